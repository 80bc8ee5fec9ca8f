"""The registry of attribution methods: :data:`~calhouse.METHODS`, each a :class:`Method`.

Public through :mod:`calhouse.attribution` (``Method`` is documented there).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

from torch import nn

from calhouse._checks import check_nonnegative_float, check_positive_int
from calhouse._chunks import (
    Chunked,
    Job,
    feature_ablation_chunks,
    gradient_shap_chunks,
    integrated_gradients_chunks,
    noise_tunnel_chunks,
)
from calhouse._deeplift import deeplift_chunks

if TYPE_CHECKING:
    from captum.attr import Attribution


@dataclass(frozen=True)
class Method:
    """One attribution method of :func:`~calhouse.attribute_dataset`.

    Attributes
    ----------
    name : str
        The key in :data:`~calhouse.METHODS`, e.g. ``"integrated_gradients"``.
    label : str
        The label of the tutorial's chart, e.g. ``"Int Grads"``.
    captum_name : str
        The Captum class whose result :func:`~calhouse.attribute_dataset` equals, by its
        name in ``captum.attr`` (the class itself is ``captum_class``).
    options : Mapping[str, int or float]
        The options the method takes, with Captum's defaults (read-only).
    evaluations : callable
        Network evaluations per input row in the largest forward pass of a chunk,
        given the options.
    chunks : callable
        How the engine computes a chunk (internal).
    wraps : str or None, default=None
        For NoiseTunnel, the Captum class it wraps (``"IntegratedGradients"``).
    random : bool, default=False
        Whether the method draws random numbers (then ``seed`` matters).
    references : bool, default=False
        Whether its baselines are reference rows to draw from (GradientShap)
        rather than one baseline per row.

    Examples
    --------
    >>> METHODS["noise_tunnel"].label
    'Int Grads w/SmoothGrad'
    >>> METHODS["noise_tunnel"].captum_class.__name__
    'NoiseTunnel'
    >>> dict(METHODS["noise_tunnel"].options)
    {'n_steps': 50, 'nt_samples': 5, 'stdevs': 1.0}
    >>> METHODS["noise_tunnel"].evaluations(METHODS["noise_tunnel"].options)
    250
    """

    name: str
    label: str
    captum_name: str
    options: Mapping[str, int | float]
    evaluations: Callable[[Mapping[str, Any]], int] = field(repr=False, compare=False)
    chunks: Callable[[Job], Chunked] = field(repr=False, compare=False)
    wraps: str | None = None
    random: bool = False
    references: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))

    @property
    def captum_class(self) -> type[Attribution]:
        """The Captum class, e.g. :class:`captum.attr.NoiseTunnel`."""
        import captum.attr

        return cast("type[Attribution]", getattr(captum.attr, self.captum_name))

    def captum(self, model: nn.Module) -> Attribution:
        """The plain Captum object for ``model``, as the tutorial makes it.

        ``NoiseTunnel(IntegratedGradients(model))`` for ``"noise_tunnel"``, else
        ``captum_class(model)``. Its ``attribute(X, baselines=..., target=...,
        **options)`` is the call that :func:`~calhouse.attribute_dataset` equals.

        Examples
        --------
        >>> type(METHODS["deeplift"].captum(nn.Linear(3, 1))).__name__
        'DeepLift'
        """
        import captum.attr

        if self.wraps is None:
            return self.captum_class(model)
        inner = getattr(captum.attr, self.wraps)(model)
        return self.captum_class(inner)


#: The methods of :func:`~calhouse.attribute_dataset`, by name: each a ``Method`` record
#: with its Captum class, the tutorial's label and Captum's default options.
METHODS: Mapping[str, Method] = MappingProxyType(
    {
        method.name: method
        for method in (
            Method(
                name="integrated_gradients",
                label="Int Grads",
                captum_name="IntegratedGradients",
                options={"n_steps": 50},
                evaluations=lambda o: o["n_steps"],
                chunks=integrated_gradients_chunks,
            ),
            Method(
                name="noise_tunnel",
                label="Int Grads w/SmoothGrad",
                captum_name="NoiseTunnel",
                wraps="IntegratedGradients",
                options={"n_steps": 50, "nt_samples": 5, "stdevs": 1.0},
                random=True,
                evaluations=lambda o: o["n_steps"] * o["nt_samples"],
                chunks=noise_tunnel_chunks,
            ),
            Method(
                name="deeplift",
                label="DeepLift",
                captum_name="DeepLift",
                options={},
                # The rows, and then their baselines, in passes of their own.
                evaluations=lambda _o: 1,
                chunks=deeplift_chunks,
            ),
            Method(
                name="gradient_shap",
                label="GradientSHAP",
                captum_name="GradientShap",
                options={"n_samples": 5, "stdevs": 0.0},
                random=True,
                references=True,
                evaluations=lambda o: o["n_samples"],
                chunks=gradient_shap_chunks,
            ),
            Method(
                name="feature_ablation",
                label="Feature Ablation",
                captum_name="FeatureAblation",
                options={},
                # One forward pass per feature, each of the chunk's size.
                evaluations=lambda _o: 1,
                chunks=feature_ablation_chunks,
            ),
        )
    }
)

#: Captum's options for splitting a call into batches, which chunking replaces.
CAPTUM_BATCHING = {"internal_batch_size", "nt_samples_batch_size", "perturbations_per_eval"}

OPTION_CHECKS: dict[str, Callable[[object, str], int | float]] = {
    "n_steps": check_positive_int,
    "nt_samples": check_positive_int,
    "n_samples": check_positive_int,
    "stdevs": check_nonnegative_float,
}


# Documented, and imported by users, as calhouse.attribution.Method.
Method.__module__ = "calhouse.attribution"
