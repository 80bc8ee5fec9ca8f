"""calhouse.TorchRegressor: a trained torch model as scikit-learn's inspection tools see it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import clone, is_regressor
from sklearn.inspection import permutation_importance
from sklearn.utils.validation import check_is_fitted

import calhouse


def _linear(weights: list[float], bias: float = 0.5) -> torch.nn.Module:
    layer = torch.nn.Linear(len(weights), 1)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([weights]))
        layer.bias.fill_(bias)
    return layer


def test_predictions_are_the_models_one_per_row() -> None:
    model = _linear([1.0, -2.0, 0.0])
    X = np.array([[1, 1, 1], [0, 2, 5], [3, 0, 0]], dtype=np.int64)  # converted to float32
    predicted = calhouse.TorchRegressor(model).predict(X)
    assert predicted.dtype == np.float32
    assert predicted.shape == (3,)
    np.testing.assert_array_equal(predicted, [-0.5, -3.5, 3.5])
    one_dimensional = torch.nn.Sequential(model, torch.nn.Flatten(0))  # returns shape (n,)
    np.testing.assert_array_equal(
        calhouse.TorchRegressor(one_dimensional).predict(X), [-0.5, -3.5, 3.5]
    )


def test_it_is_a_fitted_regressor_that_scikit_learn_can_clone_and_score() -> None:
    model = _linear([1.0, 0.0])
    regressor = calhouse.TorchRegressor(model, device="cpu")
    assert is_regressor(regressor)
    check_is_fitted(regressor)  # raises if scikit-learn thinks it needs fitting
    assert regressor.get_params() == {"model": model, "device": "cpu"}
    X = np.array([[0.0, 5.0], [1.0, 5.0], [2.0, 5.0]])
    np.testing.assert_array_equal(clone(regressor).predict(X), regressor.predict(X))
    assert regressor.score(X, X[:, 0] + 0.5) == 1.0


def test_permutation_importance_of_an_unused_feature_is_zero() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    model = _linear([2.0, 0.0, -1.0])
    y = calhouse.TorchRegressor(model).predict(X)
    result = permutation_importance(
        calhouse.TorchRegressor(model), X, y, n_repeats=3, random_state=0
    )
    assert result.importances_mean[1] == 0
    assert result.importances_mean[0] > result.importances_mean[2] > 0


def test_it_refuses_to_fit() -> None:
    regressor = calhouse.TorchRegressor(_linear([1.0]))
    with pytest.raises(
        NotImplementedError,
        match=r"^TorchRegressor wraps a model that is trained already and cannot fit it; "
        r"train the torch model itself \(calhouse\.fit or calhouse\.train_model\)$",
    ):
        regressor.fit(np.zeros((2, 1)), np.zeros(2))


@pytest.mark.parametrize(
    ("X", "message"),
    [
        (
            np.zeros(3),
            r"X must have shape \(n_samples, n_features\) with at least one row, got \(3,\)",
        ),
        (np.zeros((0, 2)), r"with at least one row, got \(0, 2\)"),
        (np.array([[0.0, np.nan]]), "^X must be finite; it contains NaN or infinite values$"),
        (np.array([[np.inf, 0.0]]), "X must be finite"),
    ],
)
def test_bad_rows_are_refused(X: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        calhouse.TorchRegressor(_linear([1.0, 1.0])).predict(X)


def test_a_model_with_other_outputs_or_no_model_is_refused() -> None:
    with pytest.raises(
        ValueError,
        match=r"the model must return one value per row, shape \(2, 1\); it returned \(2, 3\)",
    ):
        calhouse.TorchRegressor(torch.nn.Linear(2, 3)).predict(np.zeros((2, 2)))
    with pytest.raises(TypeError, match=r"model must be a torch\.nn\.Module, got str"):
        calhouse.TorchRegressor("model.pt").predict(np.zeros((2, 2)))


def test_predict_runs_the_model_on_its_device_without_gradients() -> None:
    seen = []

    class Probe(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            seen.append((x.device.type, x.dtype, torch.is_grad_enabled()))
            return x.sum(1, keepdim=True)

    np.testing.assert_array_equal(
        calhouse.TorchRegressor(Probe(), device="cpu").predict([[1, 2], [3, 4]]), [3.0, 7.0]
    )
    assert seen == [("cpu", torch.float32, False)]
