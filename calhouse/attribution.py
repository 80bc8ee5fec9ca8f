"""The tutorial's attributions, computed by Captum with the tutorial's settings.

Each function is a thin wrapper over a Captum call: it checks its inputs, seeds the
random methods so that a run can be repeated, and returns what Captum returns.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from calhouse._random import seeded
from calhouse.data import FEATURE_NAMES, check_features

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


# =============================================================================
# Beyond the tutorial (gallery examples 05-10)
#
# Reference inputs built from the training set, perturbations scaled to each
# feature's spread for captum.metrics, rankings and their agreement, a
# scikit-learn view of a trained model, and one prediction taken apart.
# =============================================================================

__all__ += [
    "BASELINE_KINDS",
    "Contributions",
    "as_regressor",
    "attribution_summary",
    "contributions",
    "feature_spread",
    "gaussian_perturbation",
    "make_baselines",
    "rank_agreement",
    "rank_features",
    "spearman",
    "uniform_perturbation",
]

#: The single-row baselines :func:`make_baselines` builds from a training set.
BASELINE_KINDS: tuple[str, ...] = ("zero", "mean", "median")


def make_baselines(
    X_train: torch.Tensor, kinds: tuple[str, ...] | list[str] = BASELINE_KINDS
) -> dict[str, torch.Tensor]:
    """Reference inputs for the attribution methods, one row each, from the training set.

    Parameters
    ----------
    X_train : torch.Tensor of shape (n_samples, 8)
        The training features; only their statistics are used, never the test set's.
    kinds : sequence of str, default=BASELINE_KINDS
        Any of ``"zero"`` (the tutorial's all-zero input), ``"mean"`` (each
        feature's training mean: an average district) and ``"median"`` (each
        feature's training median, the average of the two middle values for an
        even count, as :func:`numpy.median` takes it).

    Returns
    -------
    dict of str to torch.Tensor
        One float32 tensor of shape ``(1, 8)`` per kind, in the order asked for,
        ready for the ``baselines=`` argument of Captum's ``attribute``.

    Examples
    --------
    >>> X = torch.tensor([[1.0] * 8, [2.0] * 8, [6.0] * 8])
    >>> {k: v[0, 0].item() for k, v in make_baselines(X).items()}
    {'zero': 0.0, 'mean': 3.0, 'median': 2.0}
    """
    check_features(X_train, "X_train")
    kinds = tuple(kinds)
    unknown = [kind for kind in kinds if kind not in BASELINE_KINDS]
    if unknown or not kinds:
        raise ValueError(
            f"unknown baseline kind {unknown[0] if unknown else None!r}; expected one or more "
            f"of {', '.join(map(repr, BASELINE_KINDS))}"
        )
    X = X_train.detach()
    build = {
        "zero": lambda: torch.zeros(1, X.shape[1], dtype=X.dtype),
        "mean": lambda: X.mean(0, keepdim=True),
        "median": lambda: torch.quantile(X, 0.5, dim=0, keepdim=True),
    }
    return {kind: build[kind]() for kind in kinds}


def feature_spread(X: torch.Tensor) -> torch.Tensor:
    """How far each feature ranges: its population standard deviation over the rows of ``X``.

    This is the scale a perturbation should be measured in. On the tutorial's
    training set it is about 636 people for Population and 0.05 degrees for
    Latitude, so one fixed noise level cannot suit every column.

    Parameters
    ----------
    X : torch.Tensor of shape (n_samples, 8)
        Features, usually the training set.

    Returns
    -------
    torch.Tensor of shape (8,)
        The spread of each column (the same statistic
        :class:`~calhouse.StandardizedCaliforniaModel` stores as ``scale``).

    Raises
    ------
    ValueError
        If a column is constant, so that it has no spread to scale by.
    """
    check_features(X)
    spread = X.detach().std(0, correction=0)
    constant = [FEATURE_NAMES[i] for i in range(len(spread)) if not spread[i] > 0]
    if constant:
        raise ValueError(
            f"every feature must vary to have a spread, but {', '.join(constant)} "
            f"{'is' if len(constant) == 1 else 'are'} constant over the {len(X)} rows"
        )
    return spread


def _check_scale(scale: torch.Tensor | np.ndarray) -> torch.Tensor:
    scale = torch.as_tensor(scale, dtype=torch.float32)
    valid = bool((torch.isfinite(scale) & (scale > 0)).all()) if scale.numel() else False
    if scale.shape != (len(FEATURE_NAMES),) or not valid:
        raise ValueError(
            f"scale must hold {len(FEATURE_NAMES)} finite, positive spreads (one per feature, "
            f"e.g. feature_spread(X_train)), got shape {tuple(scale.shape)}: {scale.tolist()}"
        )
    return scale


def gaussian_perturbation(
    scale: torch.Tensor | np.ndarray, fraction: float = 0.1
) -> Callable[..., torch.Tensor]:
    """Gaussian noise scaled to each feature's spread, for :func:`captum.metrics.infidelity`.

    Captum's examples perturb every input with the same noise in raw units,
    which is nothing for Population (hundreds of people) and a lot for Latitude
    (hundredths of a degree here). This perturbation moves feature ``j`` by a
    normal draw with standard deviation ``fraction * scale[j]``.

    Parameters
    ----------
    scale : torch.Tensor of shape (8,)
        Each feature's spread, e.g. :func:`feature_spread` of the training set.
    fraction : float, default=0.1
        Noise standard deviation as a fraction of the spread.

    Returns
    -------
    callable
        ``perturb(inputs, baselines=None)`` returning the perturbed inputs (a new
        tensor, without gradient). Wrap it with Captum's
        :func:`~captum.metrics.infidelity_perturb_func_decorator` so that Captum
        derives the perturbations from it. It draws from torch's global
        generator: seed that to repeat a run.

    Examples
    --------
    >>> perturb = gaussian_perturbation(torch.ones(8), fraction=0.5)
    >>> perturb(torch.zeros(3, 8)).shape
    torch.Size([3, 8])
    """
    scale = _check_scale(scale)
    if not (isinstance(fraction, (int, float)) and np.isfinite(fraction) and fraction > 0):
        raise ValueError(f"fraction must be a positive number, got {fraction!r}")

    # Captum passes the baselines when infidelity is given some; the noise ignores them.
    def perturb(inputs: torch.Tensor, baselines: object = None) -> torch.Tensor:  # noqa: ARG001
        inputs = inputs.detach()
        return inputs - torch.randn_like(inputs) * (fraction * scale.to(inputs.device))

    return perturb


def uniform_perturbation(scale: torch.Tensor | np.ndarray) -> Callable[..., torch.Tensor]:
    """Uniform noise scaled to each feature's spread, for :func:`captum.metrics.sensitivity_max`.

    Captum's default draws every feature from ``[-perturb_radius, perturb_radius]``
    in raw units (0.02 by default). Here feature ``j`` moves by a uniform draw from
    ``[-perturb_radius * scale[j], perturb_radius * scale[j]]``: the radius becomes
    a fraction of each feature's spread.

    Parameters
    ----------
    scale : torch.Tensor of shape (8,)
        Each feature's spread, e.g. :func:`feature_spread` of the training set.

    Returns
    -------
    callable
        ``perturb(inputs, perturb_radius)`` returning the perturbed inputs as a new
        leaf tensor that requires gradients: ``sensitivity_max`` runs under
        :func:`torch.no_grad`, so without it gradient methods such as DeepLift
        would switch gradients on themselves and warn. It draws from torch's
        global generator. With ``scale=torch.ones(8)`` it draws from the same
        distribution as Captum's default perturbation.

    Examples
    --------
    >>> perturb = uniform_perturbation(torch.full((8,), 10.0))
    >>> bool((perturb(torch.zeros(4, 8), 0.1).abs() <= 1.0).all())
    True
    """
    scale = _check_scale(scale)

    def perturb(inputs: torch.Tensor, perturb_radius: float) -> torch.Tensor:
        noise = (torch.rand_like(inputs) * 2 - 1) * (perturb_radius * scale.to(inputs.device))
        return (inputs.detach() + noise).requires_grad_()

    return perturb


def _as_vector(values: object, name: str) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    vector = np.asarray(values, dtype=np.float64)
    if vector.ndim != 1 or vector.size < 2:
        raise ValueError(f"{name} must be a vector of at least 2 values, got shape {vector.shape}")
    if not np.isfinite(vector).all():
        raise ValueError(f"{name} must be finite, got {vector.tolist()}")
    return vector


def rank_features(
    importance: np.ndarray | torch.Tensor, feature_names: tuple[str, ...] = FEATURE_NAMES
) -> list[str]:
    """Feature names ordered from the most to the least important.

    Parameters
    ----------
    importance : array-like of shape (n_features,)
        One score per feature, larger meaning more important (e.g. the mean
        absolute attribution). Equal scores keep the columns' order.
    feature_names : tuple of str, default=FEATURE_NAMES
        The names, in column order.

    Returns
    -------
    list of str

    Examples
    --------
    >>> rank_features([0.1, 0.5, 0.2], ("a", "b", "c"))
    ['b', 'c', 'a']
    """
    vector = _as_vector(importance, "importance")
    if len(vector) != len(feature_names):
        raise ValueError(
            f"importance has {len(vector)} values but there are {len(feature_names)} feature names"
        )
    return [feature_names[i] for i in np.argsort(-vector, kind="stable")]


def _average_ranks(vector: np.ndarray) -> np.ndarray:
    order = np.argsort(vector, kind="stable")
    ranks = np.empty(len(vector))
    ranks[order] = np.arange(1, len(vector) + 1)
    _, tie_group = np.unique(vector, return_inverse=True)
    return (np.bincount(tie_group, ranks) / np.bincount(tie_group))[tie_group]


def spearman(a: np.ndarray | torch.Tensor, b: np.ndarray | torch.Tensor) -> float:
    """Spearman's rank correlation of two importance vectors.

    Parameters
    ----------
    a, b : array-like of shape (n_features,)
        Two scores per feature. Tied values share their average rank.

    Returns
    -------
    float
        1 when both order the features the same way, -1 when one reverses the other.

    Examples
    --------
    >>> spearman([1, 2, 3, 4], [10, 20, 30, 40])
    1.0
    >>> spearman([1, 2, 3, 4], [4, 3, 2, 1])
    -1.0
    """
    ra, rb = _average_ranks(_as_vector(a, "a")), _average_ranks(_as_vector(b, "b"))
    if ra.shape != rb.shape:
        raise ValueError(f"a and b must have the same length, got {len(ra)} and {len(rb)}")
    if ra.std() == 0 or rb.std() == 0:
        raise ValueError("a rank correlation needs two vectors that are not constant")
    return float(np.corrcoef(ra, rb)[0, 1])


def rank_agreement(importances: Mapping[str, np.ndarray | torch.Tensor]) -> np.ndarray:
    """How much several rankings of the features agree: Spearman's correlation for each pair.

    Parameters
    ----------
    importances : mapping of str to array-like of shape (n_features,)
        One importance vector per method (or baseline, or model).

    Returns
    -------
    numpy.ndarray of shape (n_methods, n_methods)
        Entry ``[i, j]`` is :func:`spearman` of the i-th and j-th vectors, in the
        mapping's order; the diagonal is 1.
    """
    vectors = list(importances.values())
    if len(vectors) < 2:
        raise ValueError(f"need at least 2 importance vectors to compare, got {len(vectors)}")
    k = len(vectors)
    matrix = np.ones((k, k))
    for i in range(k):
        for j in range(i + 1, k):
            matrix[i, j] = matrix[j, i] = spearman(vectors[i], vectors[j])
    return matrix


def attribution_summary(attributions: torch.Tensor | np.ndarray) -> dict[str, np.ndarray]:
    """What the tutorial's signed sum over rows keeps of each feature, and what it hides.

    Parameters
    ----------
    attributions : torch.Tensor of shape (n_samples, n_features)
        Per-row attributions.

    Returns
    -------
    dict of str to numpy.ndarray of shape (n_features,)
        ``"signed_mean"``: the mean signed attribution (the tutorial's sum divided
        by the number of rows); ``"mean_abs"``: the mean absolute attribution;
        ``"fraction_positive"``: the share of rows where it is positive;
        ``"cancelled"``: ``1 - |sum| / sum(|a|)``, the share of the feature's total
        attribution that opposite signs cancel in the sum (0 when every row has
        the same sign, 1 when they cancel exactly; 0 for an all-zero column).

    Examples
    --------
    >>> s = attribution_summary(torch.tensor([[1.0, 2.0], [-1.0, 2.0]]))
    >>> s["cancelled"].tolist(), s["mean_abs"].tolist()
    ([1.0, 0.0], [1.0, 2.0])
    """
    if isinstance(attributions, torch.Tensor):
        attributions = attributions.detach().cpu().numpy()
    values = np.asarray(attributions, dtype=np.float64)
    if values.ndim != 2 or values.shape[0] < 1:
        raise ValueError(
            f"attributions must have shape (n_samples, n_features), got {values.shape}"
        )
    if not np.isfinite(values).all():
        raise ValueError("attributions must be finite; they contain NaN or infinite values")
    total = np.abs(values).sum(0)
    kept = np.divide(np.abs(values.sum(0)), total, out=np.ones_like(total), where=total > 0)
    return {
        "signed_mean": values.mean(0),
        "mean_abs": np.abs(values).mean(0),
        "fraction_positive": (values > 0).mean(0),
        "cancelled": 1.0 - kept,
    }


@dataclass(frozen=True)
class Contributions:
    """One prediction taken apart: from the baseline's output to the input's, feature by feature.

    Attributes
    ----------
    features : tuple of str
        The features in the order of the steps.
    values : numpy.ndarray of shape (n_features,)
        Each feature's contribution (its attribution), in step order.
    start : float
        The model's output at the baseline, ``f(baseline)``.
    output : float
        The model's output at the input, ``f(x)``.
    """

    features: tuple[str, ...]
    values: np.ndarray
    start: float
    output: float

    @property
    def cumulative(self) -> np.ndarray:
        """The running total after each step, starting from ``start``."""
        return self.start + np.cumsum(self.values)

    @property
    def total(self) -> float:
        """Where the steps end: ``start + sum(values)``."""
        return float(self.start + self.values.sum())

    @property
    def residual(self) -> float:
        """``output - total``: what the attributions leave unexplained.

        For Integrated Gradients this is Captum's convergence delta with its sign
        flipped; zero for an exactly complete method.
        """
        return float(self.output - self.total)


def contributions(
    attribution: torch.Tensor | np.ndarray,
    start: float,
    output: float,
    feature_names: tuple[str, ...] = FEATURE_NAMES,
    *,
    order: str = "magnitude",
) -> Contributions:
    """Arrange one row's attributions as steps from ``f(baseline)`` to ``f(x)``.

    Parameters
    ----------
    attribution : torch.Tensor of shape (n_features,) or (1, n_features)
        The attributions of a single input row.
    start : float
        The model's output at the baseline.
    output : float
        The model's output at the input.
    feature_names : tuple of str, default=FEATURE_NAMES
        Names of the columns.
    order : {"magnitude", "columns"}, default="magnitude"
        Largest absolute contribution first, or the data's column order.

    Returns
    -------
    Contributions
        The steps; :attr:`Contributions.residual` says how far they fall short.

    Examples
    --------
    >>> c = contributions(torch.tensor([0.5, -2.0]), start=1.0, output=-0.5, feature_names=("a", "b"))
    >>> c.features, c.cumulative.tolist(), c.residual
    (('b', 'a'), [-1.0, -0.5], 0.0)
    """
    if isinstance(attribution, torch.Tensor):
        attribution = attribution.detach().cpu().numpy()
    row = np.asarray(attribution, dtype=np.float64)
    if row.ndim == 2 and row.shape[0] == 1:
        row = row[0]
    if row.ndim != 1 or len(row) != len(feature_names):
        raise ValueError(
            f"attribution must be one row of {len(feature_names)} values, shape "
            f"({len(feature_names)},) or (1, {len(feature_names)}), got {np.shape(attribution)}"
        )
    if not (np.isfinite(row).all() and np.isfinite(start) and np.isfinite(output)):
        raise ValueError("attribution, start and output must be finite")
    if order not in ("magnitude", "columns"):
        raise ValueError(f"order must be 'magnitude' or 'columns', got {order!r}")
    index = np.argsort(-np.abs(row), kind="stable") if order == "magnitude" else np.arange(len(row))
    return Contributions(
        features=tuple(feature_names[i] for i in index),
        values=row[index],
        start=float(start),
        output=float(output),
    )


@functools.cache
def _regressor_class() -> type:
    from sklearn.base import BaseEstimator, RegressorMixin

    class TorchRegressor(RegressorMixin, BaseEstimator):
        """A trained torch regression model seen by scikit-learn; see :func:`as_regressor`."""

        def __init__(self, model: nn.Module, device: str | torch.device = "cpu") -> None:
            self.model = model
            self.device = device

        def __sklearn_is_fitted__(self) -> bool:
            return True

        def fit(self, X: object, y: object = None) -> TorchRegressor:
            raise NotImplementedError(
                "this estimator wraps a model that is already trained and cannot fit it; "
                "train the torch model itself (calhouse.fit or calhouse.train_model)"
            )

        def predict(self, X: object) -> np.ndarray:
            features = torch.as_tensor(np.asarray(X, dtype=np.float32))
            check_features(features)
            with torch.no_grad():
                return self.model(features.to(self.device)).cpu().numpy().reshape(-1)

    return TorchRegressor


def as_regressor(model: nn.Module, *, device: str | torch.device = "cpu") -> Any:
    """A trained torch model as a scikit-learn regressor, for scikit-learn's inspection tools.

    With it, :func:`sklearn.inspection.permutation_importance` (or a scorer)
    can measure a torch model exactly as it measures any scikit-learn regressor:
    a model-agnostic reference for the attributions.

    Parameters
    ----------
    model : torch.nn.Module
        The trained network (one output).
    device : str or torch.device, default="cpu"
        Where ``predict`` runs the model.

    Returns
    -------
    TorchRegressor
        A scikit-learn estimator (``RegressorMixin``, ``BaseEstimator``):
        ``predict(X)`` takes an array of shape ``(n_samples, 8)`` and returns the
        ``(n_samples,)`` float32 predictions; ``score`` is R²; ``fit`` raises
        :class:`NotImplementedError`, as the model is trained already.

    Examples
    --------
    >>> from calhouse import CaliforniaModel
    >>> as_regressor(CaliforniaModel()).predict(np.zeros((2, 8))).shape
    (2,)
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return _regressor_class()(model, device)
