"""A trained torch regression model seen by scikit-learn, for its inspection tools."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from torch import nn

__all__ = ["TorchRegressor"]


# scikit-learn ships no type information, so its base classes are Any to a type checker.
class TorchRegressor(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """A trained torch regression model as a scikit-learn regressor.

    With it, :func:`sklearn.inspection.permutation_importance`, a scorer or
    :class:`~sklearn.inspection.PartialDependenceDisplay` measure a torch model
    exactly as they measure any scikit-learn regressor: a model-agnostic
    reference for the attributions. The model is used as it is (trained already);
    :meth:`fit` refuses to train it.

    Parameters
    ----------
    model : torch.nn.Module
        The trained network, one output per row.
    device : str or torch.device, default="cpu"
        Where :meth:`predict` runs the model.

    Examples
    --------
    >>> from calhouse import CaliforniaModel
    >>> TorchRegressor(CaliforniaModel()).predict(np.zeros((2, 8))).shape
    (2,)
    """

    def __init__(self, model: nn.Module, device: str | torch.device = "cpu") -> None:
        self.model = model
        self.device = device

    def __sklearn_is_fitted__(self) -> bool:
        """Always fitted: the torch model is trained already."""
        return True

    def fit(self, X: object, y: object = None) -> TorchRegressor:
        """Refuse: the wrapped model is trained already, and trained in torch."""
        raise NotImplementedError(
            "TorchRegressor wraps a model that is trained already and cannot fit it; "
            "train the torch model itself (calhouse.fit or calhouse.train_model)"
        )

    def predict(self, X: object) -> np.ndarray:
        """The model's predictions for the rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows in the model's input order; converted to float32.

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
            One float32 prediction per row.
        """
        if not isinstance(self.model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(self.model).__name__}")
        features = np.asarray(X, dtype=np.float32)
        if features.ndim != 2 or features.shape[0] == 0:
            raise ValueError(
                f"X must have shape (n_samples, n_features) with at least one row, "
                f"got {features.shape}"
            )
        if not np.isfinite(features).all():
            raise ValueError("X must be finite; it contains NaN or infinite values")
        with torch.no_grad():
            output = self.model(torch.from_numpy(features).to(self.device))
        if output.shape not in ((len(features),), (len(features), 1)):
            raise ValueError(
                f"the model must return one value per row, shape ({len(features)}, 1); "
                f"it returned {tuple(output.shape)}"
            )
        predictions: np.ndarray = output.detach().cpu().numpy().reshape(-1)
        return predictions
