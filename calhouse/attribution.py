"""The tutorial's attributions, computed by Captum with the tutorial's settings.

Each function is a thin wrapper over a Captum call: it checks its inputs, seeds the
random methods so that a run can be repeated, and returns what Captum returns.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from calhouse._random import seeded
from calhouse.data import check_features

__all__ = [
    "METHODS",
    "attribute",
    "first_layer_weights",
    "l1_normalize",
    "last_layer_weights",
    "layer_conductance",
    "normalized_sum",
    "tutorial_attributions",
]

#: The tutorial's input-attribution methods, with the labels its chart uses.
METHODS: dict[str, str] = {
    "integrated_gradients": "Int Grads",
    "noise_tunnel": "Int Grads w/SmoothGrad",
    "deeplift": "DeepLift",
    "gradient_shap": "GradientSHAP",
    "feature_ablation": "Feature Ablation",
}


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(
            f"unknown attribution method {method!r}; expected one of "
            f"{', '.join(map(repr, METHODS))}"
        )


def attribute(
    model: nn.Module,
    X: torch.Tensor,
    method: str,
    *,
    baselines: torch.Tensor | float | None = None,
    seed: int | None = 0,
    **kwargs: Any,
) -> torch.Tensor:
    """Attribute the model's output for each row of ``X`` to its 8 input features.

    Parameters
    ----------
    model : torch.nn.Module
        The regression network (one output).
    X : torch.Tensor of shape (n_samples, 8)
        Float32 inputs to explain.
    method : str
        One of :data:`METHODS`: ``"integrated_gradients"``
        (:class:`~captum.attr.IntegratedGradients`), ``"noise_tunnel"``
        (:class:`~captum.attr.NoiseTunnel` over IG, Captum's defaults: SmoothGrad,
        5 samples, noise stdev 1.0), ``"deeplift"`` (:class:`~captum.attr.DeepLift`),
        ``"gradient_shap"`` (:class:`~captum.attr.GradientShap`) or
        ``"feature_ablation"`` (:class:`~captum.attr.FeatureAblation`).
    baselines : torch.Tensor or float, optional
        Reference input(s). Default: zero for every method but GradientShap, which
        needs a distribution of reference rows (the tutorial passes ``X_train``).
    seed : int or None, default=0
        Seed for the methods that draw random numbers (NoiseTunnel, GradientShap);
        the caller's random state is restored afterwards. ``None`` draws from the
        global state, exactly as a direct Captum call does.
    **kwargs
        Passed to the Captum ``attribute`` call (e.g. ``n_steps`` for IG, whose
        default here is the tutorial's 50).

    Returns
    -------
    torch.Tensor of shape (n_samples, 8)
        Captum's attributions.

    Examples
    --------
    >>> from calhouse import CaliforniaModel
    >>> attribute(CaliforniaModel(), torch.ones(3, 8), "deeplift").shape
    torch.Size([3, 8])
    """
    from captum.attr import (
        DeepLift,
        FeatureAblation,
        GradientShap,
        IntegratedGradients,
        NoiseTunnel,
    )

    _check_method(method)
    check_features(X)
    if isinstance(baselines, torch.Tensor):
        check_features(baselines, "baselines")
    # A leaf that requires grad, sharing X's memory: Captum would otherwise set the
    # flag itself and warn about it on every call.
    X = X.detach().requires_grad_(method != "feature_ablation")
    if method == "gradient_shap" and not isinstance(baselines, torch.Tensor):
        raise ValueError(
            "gradient_shap needs baselines: a tensor of reference rows of shape "
            "(n_references, 8) to sample from, e.g. the training set"
        )
    with seeded(seed):
        if method == "integrated_gradients":
            kwargs.setdefault("n_steps", 50)
            return IntegratedGradients(model).attribute(X, baselines=baselines, **kwargs)
        if method == "noise_tunnel":
            return NoiseTunnel(IntegratedGradients(model)).attribute(
                X, baselines=baselines, **kwargs
            )
        if method == "deeplift":
            return DeepLift(model).attribute(X, baselines=baselines, **kwargs)
        if method == "gradient_shap":
            return GradientShap(model).attribute(X, baselines, **kwargs)
        return FeatureAblation(model).attribute(X, baselines=baselines, **kwargs)


def tutorial_attributions(
    model: nn.Module,
    X_test: torch.Tensor,
    X_train: torch.Tensor,
    *,
    seed: int | None = 0,
) -> dict[str, torch.Tensor]:
    """All five of the tutorial's input attributions of ``X_test``.

    Parameters
    ----------
    model : torch.nn.Module
        The trained model.
    X_test : torch.Tensor of shape (n_samples, 8)
        Rows to explain.
    X_train : torch.Tensor of shape (n_train, 8)
        GradientShap's baseline distribution.
    seed : int or None, default=0
        As in :func:`attribute`.

    Returns
    -------
    dict of str to torch.Tensor
        One ``(n_samples, 8)`` tensor per key of :data:`METHODS`, in that order.
    """
    return {
        method: attribute(
            model,
            X_test,
            method,
            baselines=X_train if method == "gradient_shap" else None,
            seed=seed,
        ).detach()
        for method in METHODS
    }


def l1_normalize(values: np.ndarray | torch.Tensor) -> np.ndarray:
    """Divide a vector by its L1 norm, so that its absolute values sum to 1.

    Parameters
    ----------
    values : array-like of shape (n,)
        The vector.

    Returns
    -------
    numpy.ndarray of shape (n,)
        ``values / sum(abs(values))``, in the input's floating dtype (float32
        attributions stay float32, as in the tutorial's arithmetic).
    """
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    values = np.asarray(values)
    if not np.issubdtype(values.dtype, np.floating):
        values = values.astype(np.float64)
    if values.ndim != 1:
        raise ValueError(f"expected a vector, got an array of shape {values.shape}")
    norm = np.linalg.norm(values, ord=1)
    if not np.isfinite(norm) or norm == 0:
        raise ValueError(f"cannot L1-normalise a vector whose L1 norm is {norm}")
    return values / norm


def normalized_sum(attributions: torch.Tensor) -> np.ndarray:
    """Sum attributions over the rows and L1-normalise, as the tutorial's chart does.

    Signed attributions of different rows can cancel in the sum; the gallery's
    "summing hides things" example looks at what that hides.

    Parameters
    ----------
    attributions : torch.Tensor of shape (n_samples, n_features)
        Per-row attributions.

    Returns
    -------
    numpy.ndarray of shape (n_features,)
        The column sums divided by their L1 norm.
    """
    if attributions.ndim != 2:
        raise ValueError(
            f"attributions must have shape (n_samples, n_features), got {tuple(attributions.shape)}"
        )
    return l1_normalize(attributions.detach().cpu().numpy().sum(0))


def first_layer_weights(model: nn.Module, neuron: int = 0) -> np.ndarray:
    """The weights from the 8 inputs into one neuron of ``lin1``, L1-normalised.

    The tutorial's chart plots ``lin1.weight[0]``: the weights into the *first*
    of the 100 hidden neurons only, which is why ``neuron`` defaults to 0.

    Parameters
    ----------
    model : torch.nn.Module
        A model with a ``lin1`` layer.
    neuron : int, default=0
        Which hidden neuron's incoming weights.

    Returns
    -------
    numpy.ndarray of shape (8,)
    """
    weight = model.lin1.weight
    if not 0 <= neuron < weight.shape[0]:
        raise ValueError(f"neuron must be in [0, {weight.shape[0] - 1}], got {neuron}")
    return l1_normalize(weight[neuron])


def last_layer_weights(model: nn.Module) -> np.ndarray:
    """The weights of ``lin4`` (10 hidden neurons to the output), L1-normalised."""
    return l1_normalize(model.lin4.weight[0])


def layer_conductance(
    model: nn.Module,
    X: torch.Tensor,
    layer: str = "lin4",
    *,
    n_steps: int = 100,
    attribute_to_layer_input: bool = True,
) -> torch.Tensor:
    """:class:`~captum.attr.LayerConductance` of a layer's neurons, per row.

    The tutorial's call: conductance of the *inputs* of ``lin4`` (the 10 outputs
    of ``relu3``) with ``n_steps=100``.

    Parameters
    ----------
    model : torch.nn.Module
        The trained model.
    X : torch.Tensor of shape (n_samples, 8)
        Rows to explain.
    layer : str, default="lin4"
        Name of a submodule of ``model``.
    n_steps : int, default=100
        Integration steps.
    attribute_to_layer_input : bool, default=True
        Attribute to the layer's inputs (True) or outputs.

    Returns
    -------
    torch.Tensor of shape (n_samples, n_neurons)
    """
    from captum.attr import LayerConductance

    check_features(X)
    modules = dict(model.named_modules())
    if layer not in modules or layer == "":
        raise ValueError(
            f"unknown layer {layer!r}; expected one of {', '.join(repr(n) for n in modules if n)}"
        )
    return (
        LayerConductance(model, modules[layer])
        .attribute(X, n_steps=n_steps, attribute_to_layer_input=attribute_to_layer_input)
        .detach()
    )
