"""Figures of the gallery: the last step of data -> model -> training -> attribution -> plots.

Each function draws one figure with matplotlib and returns it; the examples show
the figures, the tests check what is drawn. Colours of the attribution methods are
the tutorial's, so the charts can be compared with it side by side.

Figures are sized to be read on a laptop screen without zooming: about 9.6 inches
wide at matplotlib's default 100 dpi, i.e. the width of a documentation page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from calhouse.attribution import METHODS
from calhouse.data import FEATURE_NAMES, TARGET_NAME

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "FIGURE_WIDTH",
    "METHOD_COLORS",
    "plot_attribution_bars",
    "plot_features_vs_target",
    "plot_grouped_bars",
    "plot_loss_curve",
]

#: The tutorial's bar colours, by method key of :data:`calhouse.METHODS` (plus weights).
METHOD_COLORS: dict[str, str] = {
    "integrated_gradients": "#eb5e7c",
    "noise_tunnel": "#A90000",
    "deeplift": "#34b8e0",
    "gradient_shap": "#4260f5",
    "feature_ablation": "#49ba81",
    "weights": "grey",
}

#: Width of the gallery's figures in inches: a page's width at 100 dpi.
FIGURE_WIDTH = 9.6


def _as_numpy(values: object, name: str) -> np.ndarray:
    """A float64 NumPy copy of an array-like or tensor, for plotting."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    array = np.asarray(values, dtype=np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite, got {int((~np.isfinite(array)).sum())} NaN/inf")
    return array


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


def plot_features_vs_target(
    X: np.ndarray | torch.Tensor,
    y: np.ndarray | torch.Tensor,
    feature_names: Sequence[str] = FEATURE_NAMES,
    *,
    ncols: int = 3,
    target_name: str = TARGET_NAME,
    target_histogram: bool = True,
) -> Figure:
    """Scatter each feature against the target, with its least-squares line.

    The tutorial's data exploration: one panel per feature, the districts as
    points and the fitted straight line (:func:`numpy.polyfit`, degree 1) dashed
    in red. Each panel also prints the Pearson correlation ``r`` of the feature
    with the target. A spare panel at the end of the grid, if there is one, shows
    the target's distribution.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The features.
    y : array-like of shape (n_samples,) or (n_samples, 1)
        The target.
    feature_names : sequence of str, default=FEATURE_NAMES
        One name per column of ``X``, used as panel titles.
    ncols : int, default=3
        Panels per row.
    target_name : str, default="MedHouseVal"
        Label of the target axis.
    target_histogram : bool, default=True
        Draw the target's histogram in the first spare panel.

    Returns
    -------
    matplotlib.figure.Figure
        The grid; ``fig.axes[i]`` is feature ``i``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    X = _as_numpy(X, "X")
    y = _as_numpy(y, "y").reshape(-1)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n_samples, n_features), got {X.shape}")
    if len(y) != len(X):
        raise ValueError(f"y must have one value per row of X ({len(X)}), got {len(y)}")
    if len(feature_names) != X.shape[1]:
        raise ValueError(
            f"feature_names must name the {X.shape[1]} columns of X, got {len(feature_names)}"
        )
    if ncols < 1:
        raise ValueError(f"ncols must be at least 1, got {ncols}")
    n_features = X.shape[1]
    nrows = math.ceil(n_features / ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(FIGURE_WIDTH, 2.55 * nrows),
        sharey=True,
        layout="constrained",
        squeeze=False,
    )
    flat = axes.ravel()
    for i, (ax, name) in enumerate(zip(flat, feature_names, strict=False)):
        x = X[:, i]
        slope, intercept = np.polyfit(x, y, 1)
        r = float(np.corrcoef(x, y)[0, 1])
        ax.scatter(x, y, s=5, alpha=0.45, color="C0", linewidths=0)
        ends = np.array([x.min(), x.max()])
        ax.plot(ends, slope * ends + intercept, "r--", linewidth=1.5)
        ax.set_title(name)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.text(
            0.97,
            0.95,
            f"r = {r:+.2f}",
            transform=ax.transAxes,
            ha="right",
            va="top",
            bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.8, "linewidth": 0},
        )
        if i % ncols == 0:
            ax.set_ylabel(target_name)
    spare = flat[n_features:]
    for ax in spare:
        ax.set_axis_off()
    if target_histogram and len(spare):
        # Sharing y with the scatter panels turns the histogram sideways: the
        # target's distribution reads along the same axis as the scatters.
        ax = spare[0]
        ax.set_axis_on()
        ax.hist(y, bins=30, orientation="horizontal", color="C7")
        ax.set_title(f"{target_name} (distribution)")
        ax.set_xlabel("districts")
    return fig


def plot_loss_curve(
    epoch_losses: Sequence[float],
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
    """
    losses = _as_numpy(epoch_losses, "epoch_losses").reshape(-1)
    if len(losses) == 0:
        raise ValueError("epoch_losses is empty; expected one loss per epoch")
    if (losses <= 0).any():
        raise ValueError("epoch_losses must be positive to be drawn on a log scale")
    fig, ax = _new_axes(ax, (FIGURE_WIDTH, 4.2))
    epochs = np.arange(1, len(losses) + 1)
    ax.plot(epochs, losses, color="C0", linewidth=1.5, label="loss of each epoch")
    if log_every is not None:
        if log_every < 1:
            raise ValueError(f"log_every must be a positive int or None, got {log_every}")
        logged = epochs[::log_every]
        ax.plot(
            logged,
            losses[::log_every],
            "o",
            color="C3",
            markersize=5,
            label=f"printed in the log (every {log_every} epochs)",
        )
    ax.set_yscale("log")
    ax.set_xlim(0, len(losses) + 1)
    ax.set_xlabel("epoch")
    ax.set_ylabel("summed squared error")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return fig


def plot_grouped_bars(
    series: Mapping[str, np.ndarray | torch.Tensor | Sequence[float]],
    categories: Sequence[str],
    *,
    colors: Mapping[str, str] | Sequence[str] | None = None,
    title: str | None = None,
    ylabel: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Grouped bar chart: one group per category, one bar per series within it.

    Bars of a group are centred on the category's tick (the tutorial's chart
    places its ticks between groups).

    Parameters
    ----------
    series : mapping of str to array-like of shape (n_categories,)
        The legend label of each series and its values, in drawing order.
    categories : sequence of str
        The tick labels, one per value.
    colors : mapping of str to str or sequence of str, optional
        A colour per series (by label, or in order); default matplotlib's cycle.
    title : str, optional
        Axes title.
    ylabel : str, optional
        Label of the value axis.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The chart; each series is one :class:`~matplotlib.container.BarContainer`
        in ``ax.containers``, in the order of ``series``.
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
    if colors is None:
        color_list = [f"C{i % 10}" for i in range(len(labels))]
    elif isinstance(colors, Mapping):
        missing = [label for label in labels if label not in colors]
        if missing:
            raise ValueError(f"colors has no colour for {', '.join(map(repr, missing))}")
        color_list = [colors[label] for label in labels]
    else:
        color_list = list(colors)
        if len(color_list) != len(labels):
            raise ValueError(f"expected {len(labels)} colours, got {len(color_list)}")
    fig, ax = _new_axes(ax, (FIGURE_WIDTH, 4.8))
    width = 0.8 / len(labels)
    x = np.arange(n_categories)
    for i, (label, color) in enumerate(zip(labels, color_list, strict=True)):
        offset = (i - (len(labels) - 1) / 2) * width
        ax.bar(x + offset, values[label], width, label=label, color=color)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, list(categories))
    ax.set_xlim(-0.5, n_categories - 0.5)
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    if title:
        ax.set_title(title)
    if ylabel:
        ax.set_ylabel(ylabel)
    ax.legend(ncols=min(len(labels), 3), fontsize="small")
    return fig


def plot_attribution_bars(
    attributions: Mapping[str, np.ndarray | torch.Tensor | Sequence[float]],
    feature_names: Sequence[str] = FEATURE_NAMES,
    *,
    title: str | None = "Feature importances of the test set, L1-normalised",
    ax: Axes | None = None,
) -> Figure:
    """The tutorial's chart: attributions of each method, grouped by feature.

    Parameters
    ----------
    attributions : mapping of str to array-like of shape (n_features,)
        Normalised attributions by method key of :data:`calhouse.METHODS` (drawn
        with that method's label and the tutorial's colour), and optionally
        ``"weights"`` for first-layer weights. Other keys are drawn under their
        own name in matplotlib's colours.
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
    """
    labels = {**METHODS, "weights": "Weights (lin1.weight[0])"}
    series = {labels.get(key, key): values for key, values in attributions.items()}
    if len(series) != len(attributions):
        raise ValueError(f"two keys of attributions share a label: {list(attributions)}")
    colors = [METHOD_COLORS.get(key, f"C{i % 10}") for i, key in enumerate(attributions)]
    return plot_grouped_bars(
        series,
        feature_names,
        colors=colors,
        title=title,
        ylabel="share of the summed attribution",
        ax=ax,
    )
