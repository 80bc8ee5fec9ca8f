"""Figures that several pages share: the last step of data -> model -> training -> attribution.

Each function draws one figure with matplotlib and returns it. Colours are the
Okabe-Ito palette, chosen so that every pair of methods stays apart for readers
with protanopia, deuteranopia or tritanopia; bars also carry a hatch per method,
so that no distinction rests on colour alone. Figures are 9.6 inches wide, a
page's width at matplotlib's 100 dpi.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from calhouse.data import FEATURE_NAMES

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["METHOD_COLORS", "plot_attribution_bars", "plot_grouped_bars", "plot_loss_curve"]

#: The colour of each attribution method (keys of :data:`calhouse.METHODS`) and of the
#: first-layer weights, from the Okabe-Ito palette.
METHOD_COLORS: dict[str, str] = {
    "integrated_gradients": "#0072B2",
    "noise_tunnel": "#56B4E9",
    "deeplift": "#D55E00",
    "gradient_shap": "#E69F00",
    "feature_ablation": "#009E73",
    "weights": "#000000",
}

# The hatch of each method's bars, so that bars differ by pattern as well as colour.
_METHOD_HATCHES = {
    "integrated_gradients": "",
    "noise_tunnel": "...",
    "deeplift": "//",
    "gradient_shap": "xx",
    "feature_ablation": "\\\\",
    "weights": "",
}

_WIDTH = 9.6  # inches


def _as_numpy(values: object, name: str) -> np.ndarray:
    """A float64 NumPy copy of an array-like or tensor, checked to be finite."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    array = np.asarray(values, dtype=np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite, got {int((~np.isfinite(array)).sum())} NaN/inf")
    return array


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    fig, new = plt.subplots(figsize=figsize, layout="constrained")
    return fig, new


def plot_loss_curve(
    epoch_losses: Sequence[float] | np.ndarray,
    *,
    log_every: int | None = 20,
    ax: Axes | None = None,
) -> Figure:
    """Plot the training loss of every epoch, on a log scale.

    Parameters
    ----------
    epoch_losses : sequence of float
        The summed loss of each epoch (``TrainingResult.epoch_losses``, or the
        ``"epoch_losses"`` of a shipped model's metadata).
    log_every : int or None, default=20
        Mark the epochs that the training log prints (1, 1 + log_every, ...);
        ``None`` marks none.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; its first line is the loss per epoch (epochs numbered from 1).

    Examples
    --------
    >>> fig = plot_loss_curve([100.0, 10.0, 5.0, 4.0], log_every=2)
    >>> fig.axes[0].get_yscale(), len(fig.axes[0].lines)
    ('log', 2)
    """
    from matplotlib.ticker import LogLocator, ScalarFormatter

    losses = _as_numpy(epoch_losses, "epoch_losses").reshape(-1)
    if len(losses) == 0:
        raise ValueError("epoch_losses is empty; expected one loss per epoch")
    if (losses <= 0).any():
        raise ValueError("epoch_losses must be positive to be drawn on a log scale")
    if log_every is not None and (
        isinstance(log_every, bool) or int(log_every) != log_every or log_every < 1
    ):
        raise ValueError(f"log_every must be a positive integer or None, got {log_every!r}")
    fig, ax = _new_axes(ax, (_WIDTH, 4.2))
    epochs = np.arange(1, len(losses) + 1)
    ax.plot(epochs, losses, color="#0072B2", linewidth=1.5, label="loss of each epoch")
    if log_every is not None:
        ax.plot(
            epochs[::log_every],
            losses[::log_every],
            "D",
            color="#D55E00",
            markersize=5,
            label=f"printed in the log (every {log_every} epochs)",
        )
    ax.set_yscale("log")
    # Label 1, 2 and 5 times each power of ten: a loss that spends most epochs
    # between two powers of ten still has labelled ticks to read it against.
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    formatter = ScalarFormatter()
    formatter.set_scientific(False)
    ax.yaxis.set_major_formatter(formatter)
    ax.set_xlim(0, len(losses) + 1)
    ax.set_xlabel("epoch")
    ax.set_ylabel("summed squared error")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    return fig


def plot_grouped_bars(
    series: Mapping[str, np.ndarray | torch.Tensor | Sequence[float]],
    categories: Sequence[str],
    *,
    colors: Mapping[str, str] | Sequence[str] | None = None,
    hatches: Mapping[str, str] | Sequence[str] | None = None,
    title: str | None = None,
    ylabel: str | None = None,
    legend: bool = True,
    ax: Axes | None = None,
) -> Figure:
    """Grouped bar chart: one group per category, one bar per series within it.

    Bars of a group are centred on the category's tick (the tutorial's chart
    places its ticks between groups). To draw several charts one above the
    other, pass each its own ``ax`` and ``legend=False``, and give the figure
    one legend.

    Parameters
    ----------
    series : mapping of str to array-like of shape (n_categories,)
        The legend label of each series and its values, in drawing order.
    categories : sequence of str
        The tick labels, one per value.
    colors : mapping of str to str or sequence of str, optional
        A colour per series (by label, or in order); default the Okabe-Ito palette.
    hatches : mapping of str to str or sequence of str, optional
        A hatch pattern per series (by label, or in order); default none.
    title : str, optional
        Axes title.
    ylabel : str, optional
        Label of the value axis.
    legend : bool, default=True
        Draw a legend in the axes.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The chart; each series is one :class:`~matplotlib.container.BarContainer`
        in ``ax.containers``, in the order of ``series``.

    Examples
    --------
    >>> fig = plot_grouped_bars({"a": [1, 2], "b": [3, -1]}, ["x", "y"])
    >>> [len(bars) for bars in fig.axes[0].containers]
    [2, 2]
    """
    if not series:
        raise ValueError("series is empty; expected at least one label -> values")
    values = {label: _as_numpy(v, f"series[{label!r}]").reshape(-1) for label, v in series.items()}
    n_categories = len(categories)
    for label, v in values.items():
        if len(v) != n_categories:
            raise ValueError(
                f"series[{label!r}] has {len(v)} values, expected one per category "
                f"({n_categories}: {', '.join(categories)})"
            )
    labels = list(values)
    palette = [c for k, c in METHOD_COLORS.items() if k != "weights"] + ["#CC79A7", "#000000"]
    color_list = _per_series(colors, labels, "colors", [palette[i % 7] for i in range(len(labels))])
    hatch_list = _per_series(hatches, labels, "hatches", [""] * len(labels))
    fig, ax = _new_axes(ax, (_WIDTH, 4.8))
    width = 0.8 / len(labels)
    x = np.arange(n_categories)
    for i, label in enumerate(labels):
        offset = (i - (len(labels) - 1) / 2) * width
        ax.bar(
            x + offset,
            values[label],
            width,
            label=label,
            color=color_list[i],
            hatch=hatch_list[i] or None,
            edgecolor="white" if color_list[i] == "#000000" else "#333333",
            linewidth=0.4,
        )
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, list(categories))
    ax.set_xlim(-0.5, n_categories - 0.5)
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    if title:
        ax.set_title(title)
    if ylabel:
        ax.set_ylabel(ylabel)
    if legend:
        ax.legend(ncols=min(len(labels), 3))
    return fig


def _per_series(
    given: Mapping[str, str] | Sequence[str] | None,
    labels: list[str],
    name: str,
    default: list[str],
) -> list[str]:
    if given is None:
        return default
    if isinstance(given, Mapping):
        missing = [label for label in labels if label not in given]
        if missing:
            raise ValueError(f"{name} has nothing for {', '.join(map(repr, missing))}")
        return [given[label] for label in labels]
    found = list(given)
    if len(found) != len(labels):
        raise ValueError(f"expected {len(labels)} {name}, one per series, got {len(found)}")
    return found


def _method_label(key: str) -> str:
    from calhouse import METHODS

    method = METHODS.get(key)
    if method is None:
        return "Weights (lin1.weight[0])" if key == "weights" else key
    return str(getattr(method, "label", method))


def plot_attribution_bars(
    attributions: Mapping[str, np.ndarray | torch.Tensor | Sequence[float]],
    feature_names: Sequence[str] = FEATURE_NAMES,
    *,
    title: str | None = "Feature importances of the test set, L1-normalised",
    ax: Axes | None = None,
) -> Figure:
    """The tutorial's chart: the attributions of each method, grouped by feature.

    Parameters
    ----------
    attributions : mapping of str to array-like of shape (n_features,)
        Normalised attributions by method name of :data:`calhouse.METHODS`
        (drawn with the method's label, colour and hatch), and optionally
        ``"weights"`` for first-layer weights. Other keys are drawn under their
        own name.
    feature_names : sequence of str, default=FEATURE_NAMES
        The group labels.
    title : str or None, default="Feature importances of the test set, L1-normalised"
        Axes title.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        As :func:`plot_grouped_bars`.

    Examples
    --------
    >>> fig = plot_attribution_bars(
    ...     {"integrated_gradients": [0.5, 0.3, 0.2], "weights": [0.4, 0.4, -0.2]},
    ...     feature_names=["a", "b", "c"],
    ... )
    >>> [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    ['Int Grads', 'Weights (lin1.weight[0])']
    """
    series = {_method_label(key): values for key, values in attributions.items()}
    if len(series) != len(attributions):
        raise ValueError(f"two keys of attributions share a label: {list(attributions)}")
    extra = iter(["#CC79A7", "#F0E442", "#999999"])
    colors = [METHOD_COLORS.get(key) or next(extra, "#999999") for key in attributions]
    hatches = [_METHOD_HATCHES.get(key, "") for key in attributions]
    return plot_grouped_bars(
        series,
        feature_names,
        colors=colors,
        hatches=hatches,
        title=title,
        ylabel="share of the summed attribution",
        ax=ax,
    )
