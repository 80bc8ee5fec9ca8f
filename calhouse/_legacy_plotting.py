"""(Transition) the figure helpers that move into the examples; deleted once they have moved.

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

from calhouse.attribution import METHODS, Contributions
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


# =============================================================================
# Beyond the tutorial (gallery examples 05-10)
#
# Panels of grouped bars, a rank-agreement matrix, the per-row distribution of
# attributions, a waterfall of one prediction, and the activity of a layer's
# neurons.
# =============================================================================

__all__ += [
    "BASELINE_COLORS",
    "plot_beeswarm",
    "plot_grouped_bar_panels",
    "plot_neuron_activity",
    "plot_rank_agreement",
    "plot_sorted_shares",
    "plot_waterfall",
]

#: Colours of the reference inputs compared in the gallery, by baseline name.
BASELINE_COLORS: dict[str, str] = {
    "zero": "#8c8c8c",
    "mean": "#1f77b4",
    "median": "#ff7f0e",
    "training distribution": "#2ca02c",
}


def plot_grouped_bar_panels(
    panels: Mapping[str, Mapping[str, np.ndarray | torch.Tensor | Sequence[float]]],
    categories: Sequence[str] = FEATURE_NAMES,
    *,
    colors: Mapping[str, str] | None = None,
    ylabel: str | None = None,
    panel_height: float = 2.6,
) -> Figure:
    """Several grouped bar charts stacked one above the other, with one legend.

    Each panel is a :func:`plot_grouped_bars` chart; all panels share their
    categories and series labels (e.g. one panel per attribution method, one bar
    per baseline in each group of features).

    Parameters
    ----------
    panels : mapping of str to mapping of str to array-like of shape (n_categories,)
        Panel title -> (series label -> values). Every panel must have the same
        series labels, in the same order.
    categories : sequence of str, default=FEATURE_NAMES
        The tick labels of every panel.
    colors : mapping of str to str, optional
        A colour per series label; default :data:`BASELINE_COLORS` for the labels
        it knows, matplotlib's cycle otherwise.
    ylabel : str, optional
        Label of every panel's value axis.
    panel_height : float, default=2.6
        Height of one panel in inches.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes[i]`` is the i-th panel; the legend is the figure's.
    """
    import matplotlib.pyplot as plt

    if not panels:
        raise ValueError("panels is empty; expected at least one title -> series")
    labels = [list(series) for series in panels.values()]
    if any(ls != labels[0] for ls in labels):
        raise ValueError(
            f"every panel must have the same series labels in the same order, got {labels}"
        )
    palette = dict(colors) if colors is not None else {}
    color_list = [
        palette.get(label, BASELINE_COLORS.get(label, f"C{i % 10}"))
        for i, label in enumerate(labels[0])
    ]
    fig, axes = plt.subplots(
        len(panels),
        1,
        figsize=(FIGURE_WIDTH, 0.6 + panel_height * len(panels)),
        layout="constrained",
        squeeze=False,
    )
    for ax, (title, series) in zip(axes[:, 0], panels.items(), strict=True):
        plot_grouped_bars(series, categories, colors=color_list, title=title, ylabel=ylabel, ax=ax)
        ax.get_legend().remove()
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside upper center", ncols=min(len(names), 4))
    return fig


def plot_rank_agreement(
    matrix: np.ndarray,
    labels: Sequence[str],
    *,
    title: str | None = "Rank correlation (Spearman) of the feature importances",
    ax: Axes | None = None,
) -> Figure:
    """A rank-correlation matrix as an annotated heatmap, from -1 (reversed) to 1 (same order).

    Parameters
    ----------
    matrix : array-like of shape (n, n)
        E.g. :func:`calhouse.rank_agreement`.
    labels : sequence of str
        The name of each row and column.
    title : str or None, default="Rank correlation (Spearman) of the feature importances"
        Axes title.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The heatmap is ``ax.images[0]``; each cell carries its value as text.
    """
    values = _as_numpy(matrix, "matrix")
    if values.ndim != 2 or values.shape[0] != values.shape[1]:
        raise ValueError(f"matrix must be square, got shape {values.shape}")
    if len(labels) != len(values):
        raise ValueError(f"expected {len(values)} labels, one per row, got {len(labels)}")
    fig, ax = _new_axes(ax, (FIGURE_WIDTH * 0.75, FIGURE_WIDTH * 0.6))
    image = ax.imshow(values, cmap="RdBu", vmin=-1, vmax=1)
    ticks = np.arange(len(labels))
    ax.set_xticks(ticks, list(labels), rotation=30, ha="right")
    ax.set_yticks(ticks, list(labels))
    for i in range(len(values)):
        for j in range(len(values)):
            ax.text(
                j,
                i,
                f"{values[i, j]:.2f}",
                ha="center",
                va="center",
                color="white" if abs(values[i, j]) > 0.6 else "black",
            )
    fig.colorbar(image, ax=ax, shrink=0.8, label="Spearman's rank correlation")
    if title:
        ax.set_title(title)
    return fig


def plot_beeswarm(
    attributions: np.ndarray | torch.Tensor,
    X: np.ndarray | torch.Tensor,
    feature_names: Sequence[str] = FEATURE_NAMES,
    *,
    title: str | None = None,
    seed: int = 0,
    ax: Axes | None = None,
) -> Figure:
    """Every row's attribution of every feature, coloured by the feature's value.

    One horizontal strip per feature, most important (by mean absolute
    attribution) at the top. Each point is one row; it is spread vertically in
    proportion to how many rows have a similar attribution, so dense regions look
    wide, and coloured by the percentile of its feature value among the rows
    (blue low, red high), so that each feature's own scale does not matter.

    Parameters
    ----------
    attributions : array-like of shape (n_samples, n_features)
        Per-row attributions.
    X : array-like of shape (n_samples, n_features)
        The feature values of the same rows.
    feature_names : sequence of str, default=FEATURE_NAMES
        The strips' labels.
    title : str, optional
        Axes title.
    seed : int, default=0
        Seed of the vertical jitter, so that the figure is reproducible.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        ``ax.collections[k]`` holds the points of the k-th strip from the top;
        the y tick labels name the strips from the top down.
    """
    values = _as_numpy(attributions, "attributions")
    features = _as_numpy(X, "X")
    if values.ndim != 2 or values.shape != features.shape:
        raise ValueError(
            f"attributions and X must have the same shape (n_samples, n_features), got "
            f"{values.shape} and {features.shape}"
        )
    if len(feature_names) != values.shape[1]:
        raise ValueError(f"expected {values.shape[1]} feature names, got {len(feature_names)}")
    fig, ax = _new_axes(ax, (FIGURE_WIDTH, 0.55 * values.shape[1] + 1.2))
    rng = np.random.default_rng(seed)
    order = np.argsort(-np.abs(values).mean(0), kind="stable")
    n = len(values)
    for position, j in enumerate(order):
        a = values[:, j]
        # Percentile of each row's value among the rows: comparable colours across features.
        ranks = np.argsort(np.argsort(features[:, j], kind="stable"), kind="stable")
        shade = ranks / max(n - 1, 1)
        edges = (
            np.linspace(a.min(), a.max(), 41)
            if a.max() > a.min()
            else np.array([a.min(), a.min() + 1])
        )
        counts, _ = np.histogram(a, edges)
        density = counts[np.clip(np.digitize(a, edges) - 1, 0, len(counts) - 1)] / counts.max()
        y = position + rng.uniform(-1, 1, n) * 0.38 * density
        points = ax.scatter(a, y, c=shade, cmap="coolwarm", vmin=0, vmax=1, s=9, linewidths=0)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(np.arange(len(order)), [feature_names[j] for j in order])
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.set_xlabel("attribution (contribution to the predicted value, $100,000)")
    ax.grid(True, axis="x", alpha=0.3)
    bar = fig.colorbar(points, ax=ax, ticks=[0, 1], pad=0.01)
    bar.ax.set_yticklabels(["low", "high"])
    bar.set_label("feature value (percentile)")
    if title:
        ax.set_title(title)
    return fig


def plot_waterfall(
    steps: Contributions,
    *,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """One prediction as a waterfall: from ``f(baseline)`` to ``f(x)``, one feature per step.

    Parameters
    ----------
    steps : Contributions
        From :func:`calhouse.contributions`.
    title : str, optional
        Axes title.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        ``ax.patches[k]`` is the k-th step's bar (from the running total before
        the step to the one after it), green when the feature raises the
        prediction and red when it lowers it; dashed lines, named in the
        legend, mark the start and ``f(x)``.
    """
    n = len(steps.values)
    fig, ax = _new_axes(ax, (FIGURE_WIDTH, 0.45 * n + 1.6))
    before = np.concatenate([[steps.start], steps.cumulative[:-1]])
    colors = np.where(steps.values >= 0, "#2a9d55", "#d1495b")
    ax.barh(np.arange(n), steps.values, left=before, color=colors, height=0.6)
    low = min(steps.start, steps.output, float(steps.cumulative.min()))
    high = max(steps.start, steps.output, float(steps.cumulative.max()))
    span = max(high - low, 1e-12)
    for k, (left, value) in enumerate(zip(before, steps.values, strict=True)):
        label = f"{value:+.3f}"
        ax.text(
            max(left, left + value) + 0.01 * span,
            k,
            "0.000" if label in ("+0.000", "-0.000") else label,
            va="center",
            fontsize="small",
        )
    ax.axvline(
        steps.start,
        color="grey",
        linestyle="--",
        linewidth=1,
        label=f"f(baseline) = {steps.start:.3f}",
    )
    ax.axvline(
        steps.output, color="black", linestyle="--", linewidth=1, label=f"f(x) = {steps.output:.3f}"
    )
    ax.set_yticks(np.arange(n), list(steps.features))
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlabel("model output ($100,000)")
    ax.set_xlim(low - 0.08 * span, high + 0.12 * span)
    ax.legend(loc="best", fontsize="small")
    ax.grid(True, axis="x", alpha=0.3)
    if title:
        ax.set_title(title)
    return fig


def plot_neuron_activity(
    active_fraction: np.ndarray | torch.Tensor,
    conductance: np.ndarray | torch.Tensor,
    *,
    layer: str = "relu3",
) -> Figure:
    """How often each neuron of a layer fires, beside its total conductance.

    Parameters
    ----------
    active_fraction : array-like of shape (n_neurons,)
        Share of the rows on which the neuron's output is positive.
    conductance : array-like of shape (n_neurons,)
        Its conductance summed over the rows.
    layer : str, default="relu3"
        The layer's name, for the titles.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels, ``fig.axes[0]`` the activity and ``fig.axes[1]`` the
        conductance; neurons that never fire are drawn in grey.
    """
    import matplotlib.pyplot as plt

    active = _as_numpy(active_fraction, "active_fraction").reshape(-1)
    total = _as_numpy(conductance, "conductance").reshape(-1)
    if active.shape != total.shape:
        raise ValueError(
            f"active_fraction and conductance need one value per neuron each, got "
            f"{len(active)} and {len(total)}"
        )
    neurons = np.arange(len(active))
    colors = np.where(active > 0, "#34b8e0", "#b0b0b0")
    fig, (left, right) = plt.subplots(1, 2, figsize=(FIGURE_WIDTH, 3.6), layout="constrained")
    left.bar(neurons, 100 * active, color=colors)
    left.set_ylabel("districts where it fires (%)")
    left.set_ylim(0, 105)
    left.set_title(f"Activity of {layer}'s neurons")
    right.bar(neurons, total, color=colors)
    right.axhline(0, color="black", linewidth=0.8)
    right.set_ylabel("summed conductance")
    right.set_title(f"Conductance of {layer}'s neurons")
    for ax in (left, right):
        ax.set_xticks(neurons)
        ax.set_xlabel("neuron")
        ax.grid(True, axis="y", alpha=0.3)
        ax.set_axisbelow(True)
    for k in neurons[active == 0]:
        left.text(k, 2, "never", rotation=90, ha="center", va="bottom", fontsize="small")
    return fig


def plot_sorted_shares(
    values: np.ndarray | torch.Tensor,
    *,
    title: str | None = None,
    xlabel: str = "neurons, largest share first",
    ax: Axes | None = None,
) -> Figure:
    """Shares of a total, largest first, with their running sum.

    Parameters
    ----------
    values : array-like of shape (n,)
        Non-negative amounts (e.g. the summed absolute attribution of each neuron).
    title : str, optional
        Axes title.
    xlabel : str, default="neurons, largest share first"
        Label of the horizontal axis.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        Bars of the shares (``ax.patches``) and the running sum as the first line
        of a twin axis, both in percent.
    """
    amounts = _as_numpy(values, "values").reshape(-1)
    if (amounts < 0).any() or amounts.sum() <= 0:
        raise ValueError("values must be non-negative with a positive sum")
    shares = 100 * np.sort(amounts)[::-1] / amounts.sum()
    fig, ax = _new_axes(ax, (FIGURE_WIDTH, 3.6))
    ranks = np.arange(1, len(shares) + 1)
    ax.bar(ranks, shares, color="#eb5e7c", width=0.85)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("share of the total (%)")
    ax.set_xlim(0.3, len(shares) + 0.7)
    twin = ax.twinx()
    twin.plot(ranks, np.cumsum(shares), color="black", linewidth=1.5)
    twin.set_ylim(0, 105)
    twin.set_ylabel("running total (%)")
    ax.grid(True, axis="y", alpha=0.3)
    if title:
        ax.set_title(title)
    return fig


# =============================================================================
# Maps of California: one value per district, drawn where the district lies.
# =============================================================================

__all__ += ["plot_attribution_maps"]


def _map_values(
    longitude: object, latitude: object, values: Mapping[str, object]
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Checked coordinates and per-district values of :func:`plot_attribution_maps`."""
    lon = _as_numpy(longitude, "longitude").reshape(-1)
    lat = _as_numpy(latitude, "latitude").reshape(-1)
    if lon.shape != lat.shape:
        raise ValueError(
            f"longitude and latitude must have the same length, got {len(lon)} and {len(lat)}"
        )
    if not values:
        raise ValueError("values must hold at least one map (a title and one value per district)")
    maps = {name: _as_numpy(v, f"values[{name!r}]").reshape(-1) for name, v in values.items()}
    for name, v in maps.items():
        if v.shape != lon.shape:
            raise ValueError(
                f"values[{name!r}] must have one value per district ({len(lon)}), got {len(v)}"
            )
    return lon, lat, maps


def plot_attribution_maps(
    longitude: np.ndarray | torch.Tensor,
    latitude: np.ndarray | torch.Tensor,
    values: Mapping[str, np.ndarray | torch.Tensor],
    *,
    limit: float | None = None,
    label: str = "attribution ($100,000)",
    mark: tuple[float, float] | None = None,
    mark_label: str = "baseline",
    ncols: int = 2,
) -> Figure:
    """Maps of California, one per entry of ``values``, each district a dot coloured by its value.

    The colour scale diverges from zero (white) to red for positive values and
    blue for negative ones, and all the maps share it. Colours saturate at
    ``-limit`` and ``+limit``, by default the 99th percentile of the absolute
    values over all maps, so that a few extreme districts do not wash out the
    rest. Dots are drawn in order of increasing absolute value, so that where
    districts crowd (the cities) the strongest values stay visible. One degree
    of longitude is drawn shorter than one of latitude, by the cosine of the mean
    latitude, so that the state has its true shape.

    Parameters
    ----------
    longitude : array-like of shape (n_samples,)
        Longitude of each district, in degrees.
    latitude : array-like of shape (n_samples,)
        Latitude of each district, in degrees.
    values : mapping of str to array-like of shape (n_samples,)
        One map per entry: its title and each district's value.
    limit : float, optional
        Absolute value at which the colours saturate.
    label : str, default="attribution ($100,000)"
        Label of the colour bar.
    mark : tuple of (float, float), optional
        A point ``(longitude, latitude)`` to mark with a star on every map, e.g.
        where the baseline district lies.
    mark_label : str, default="baseline"
        The star's entry in the legend.
    ncols : int, default=2
        Maps per row.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes[k]`` is the k-th map (the colour bar's axes come last), and its
        ``collections[0]`` holds the dots in drawing order.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize

    lon, lat, maps = _map_values(longitude, latitude, values)
    if isinstance(ncols, bool) or not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"ncols must be a positive integer, got {ncols!r}")
    if limit is None:
        limit = float(np.quantile(np.abs(np.concatenate(list(maps.values()))), 0.99)) or 1.0
    elif not (math.isfinite(limit) and limit > 0):
        raise ValueError(f"limit must be a positive number, got {limit!r}")

    ncols = min(ncols, len(maps))
    nrows = math.ceil(len(maps) / ncols)
    aspect = 1 / math.cos(math.radians(float(lat.mean())))
    span = aspect * (lat.max() - lat.min() + 0.6) / (lon.max() - lon.min() + 0.6)
    panel = (FIGURE_WIDTH - 1.2) / ncols
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(FIGURE_WIDTH, nrows * panel * span + 0.6),
        layout="constrained",
        squeeze=False,
        sharex=True,
        sharey=True,
    )
    norm = Normalize(-limit, limit)
    for ax, (name, v) in zip(axes.flat[: len(maps)], maps.items(), strict=True):
        order = np.argsort(np.abs(v), kind="stable")
        points = ax.scatter(
            lon[order], lat[order], c=v[order], cmap="RdBu_r", norm=norm, s=3, linewidths=0
        )
        if mark is not None:
            ax.plot(*mark, "*", markersize=15, color="gold", mec="black", label=mark_label)
        ax.set_aspect(aspect)
        ax.set_title(name)
        ax.set_facecolor("#f2f2f2")
    for ax in axes.flat[len(maps) :]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("longitude (°)")
    for ax in axes[:, 0]:
        ax.set_ylabel("latitude (°)")
    if mark is not None:
        axes[0, 0].legend(loc="upper right")
    beyond = [np.abs(v).max() > limit for v in maps.values()]
    fig.colorbar(
        points, ax=axes, label=label, extend="both" if any(beyond) else "neither", shrink=0.8
    )
    return fig
