"""The gallery's figures draw what they are given: bars, lines, labels, values."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib as mpl

mpl.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.collections import PathCollection

import calhouse
from calhouse import (
    FEATURE_NAMES,
    METHOD_COLORS,
    METHODS,
    plot_attribution_bars,
    plot_features_vs_target,
    plot_grouped_bars,
    plot_loss_curve,
)


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def _tick_labels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_xticklabels()]


def _png_size(fig) -> tuple[float, float]:
    return tuple(fig.get_size_inches() * fig.dpi)


# -- features against the target ---------------------------------------------


def _toy_data(n: int = 50) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 8))
    y = 2.0 * X[:, 0] - 0.5 * X[:, 3] + rng.normal(scale=0.1, size=n)
    return X, y


def test_features_vs_target_draws_one_panel_per_feature_with_its_fitted_line() -> None:
    X, y = _toy_data()
    fig = plot_features_vs_target(X, y)
    axes = fig.axes
    assert len(axes) == 9  # 3 x 3 grid: 8 features and the target's histogram
    assert [ax.get_title() for ax in axes[:8]] == list(FEATURE_NAMES)
    for i, ax in enumerate(axes[:8]):
        (points,) = [c for c in ax.collections if isinstance(c, PathCollection)]
        np.testing.assert_allclose(points.get_offsets(), np.column_stack([X[:, i], y]))
        (line,) = ax.get_lines()
        assert line.get_color() == "r"
        assert line.get_linestyle() == "--"
        xs, ys = line.get_data()
        slope, intercept = np.polyfit(X[:, i], y, 1)
        np.testing.assert_allclose(xs, [X[:, i].min(), X[:, i].max()])
        np.testing.assert_allclose(ys, slope * np.asarray(xs) + intercept)
        (text,) = ax.texts
        assert text.get_text() == f"r = {np.corrcoef(X[:, i], y)[0, 1]:+.2f}"
    # The planted dependence shows: MedInc's line rises, AveBedrms' falls.
    assert axes[0].texts[0].get_text().startswith("r = +0.9")
    assert axes[3].get_lines()[0].get_data()[1][1] < axes[3].get_lines()[0].get_data()[1][0]
    hist = axes[8]
    assert hist.get_title() == "MedHouseVal (distribution)"
    assert sum(p.get_width() for p in hist.patches) == len(y)


def test_features_vs_target_accepts_tensors_and_column_targets() -> None:
    X, y = _toy_data()
    fig = plot_features_vs_target(torch.tensor(X).float(), torch.tensor(y).float().view(-1, 1))
    assert len(fig.axes[0].collections[0].get_offsets()) == len(y)


def test_features_vs_target_without_histogram_hides_the_spare_panel() -> None:
    X, y = _toy_data()
    fig = plot_features_vs_target(X, y, target_histogram=False)
    assert not fig.axes[8].axison
    assert len(fig.axes[8].patches) == 0


def test_features_vs_target_grid_follows_ncols() -> None:
    X, y = _toy_data()
    fig = plot_features_vs_target(X[:, :4], y, FEATURE_NAMES[:4], ncols=2)
    assert len(fig.axes) == 4
    assert [ax.get_title() for ax in fig.axes] == list(FEATURE_NAMES[:4])


def test_features_vs_target_is_sized_for_a_page() -> None:
    X, y = _toy_data()
    width, height = _png_size(plot_features_vs_target(X, y))
    assert 800 <= width <= 1000
    assert height <= 800


@pytest.mark.parametrize(
    ("X", "y", "names", "message"),
    [
        (np.zeros(8), np.zeros(8), FEATURE_NAMES, r"X must have shape \(n_samples, n_features\)"),
        (np.zeros((5, 8)), np.zeros(4), FEATURE_NAMES, r"one value per row of X \(5\), got 4"),
        (np.zeros((5, 8)), np.zeros(5), FEATURE_NAMES[:7], "name the 8 columns of X, got 7"),
        (np.full((5, 8), np.nan), np.zeros(5), FEATURE_NAMES, "X must be finite"),
    ],
)
def test_features_vs_target_rejects_bad_input(X, y, names, message) -> None:
    with pytest.raises(ValueError, match=message):
        plot_features_vs_target(X, y, names)


# -- loss curve ----------------------------------------------------------------


def test_loss_curve_plots_every_epoch_and_marks_the_logged_ones() -> None:
    losses = [100.0 / (i + 1) for i in range(45)]
    fig = plot_loss_curve(losses, log_every=20)
    (ax,) = fig.axes
    curve, marks = ax.get_lines()
    np.testing.assert_array_equal(curve.get_xdata(), np.arange(1, 46))
    np.testing.assert_allclose(curve.get_ydata(), losses)
    np.testing.assert_array_equal(marks.get_xdata(), [1, 21, 41])
    np.testing.assert_allclose(marks.get_ydata(), [losses[0], losses[20], losses[40]])
    assert ax.get_yscale() == "log"
    assert "every 20 epochs" in marks.get_label()


def test_loss_curve_of_the_shipped_model_marks_its_logged_losses() -> None:
    meta = calhouse.read_metadata(calhouse.default_model_path())
    fig = plot_loss_curve(meta["epoch_losses"], log_every=meta["training"]["log_every"])
    marks = fig.axes[0].get_lines()[1]
    logged = [float(line.rsplit(" ", 1)[1]) for line in meta["loss_log"]]
    np.testing.assert_allclose(marks.get_ydata(), logged, atol=5e-4)


def test_loss_curve_without_marks_and_into_given_axes() -> None:
    fig, ax = plt.subplots()
    assert plot_loss_curve([3.0, 2.0, 1.0], log_every=None, ax=ax) is fig
    assert len(ax.get_lines()) == 1


@pytest.mark.parametrize(
    ("losses", "kwargs", "message"),
    [
        ([], {}, "epoch_losses is empty"),
        ([1.0, 0.0], {}, "must be positive"),
        ([1.0, float("nan")], {}, "epoch_losses must be finite"),
        ([1.0], {"log_every": 0}, "log_every must be a positive int"),
    ],
)
def test_loss_curve_rejects_bad_input(losses, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        plot_loss_curve(losses, **kwargs)


# -- grouped bars ----------------------------------------------------------------


def test_grouped_bars_draw_one_bar_per_series_and_category_centred_on_ticks() -> None:
    series = {
        "a": [1.0, -2.0, 3.0],
        "b": np.array([0.5, 0.5, -0.5]),
        "c": torch.tensor([0.0, 1, 2]),
    }
    fig = plot_grouped_bars(series, ["x", "y", "z"], colors=["red", "green", "blue"], title="T")
    (ax,) = fig.axes
    assert len(ax.containers) == 3
    for container, (label, values) in zip(ax.containers, series.items(), strict=True):
        assert container.get_label() == label
        np.testing.assert_allclose([bar.get_height() for bar in container], values)
    centres = np.array([[b.get_x() + b.get_width() / 2 for b in c] for c in ax.containers])
    np.testing.assert_allclose(
        centres.mean(0), [0, 1, 2], atol=1e-12
    )  # groups centred on their ticks
    assert _tick_labels(ax) == ["x", "y", "z"]
    np.testing.assert_allclose(ax.get_xticks(), [0, 1, 2])
    assert ax.get_title() == "T"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "c"]
    assert ax.containers[1][0].get_facecolor() == mpl.colors.to_rgba("green")


def test_grouped_bars_take_colours_by_label() -> None:
    fig = plot_grouped_bars({"a": [1, 2], "b": [3, 4]}, ["x", "y"], colors={"b": "red", "a": "k"})
    ax = fig.axes[0]
    assert ax.containers[0][0].get_facecolor() == mpl.colors.to_rgba("k")
    assert ax.containers[1][1].get_facecolor() == mpl.colors.to_rgba("red")


@pytest.mark.parametrize(
    ("series", "colors", "message"),
    [
        ({}, None, "series is empty"),
        ({"a": [1.0, 2.0]}, None, r"series\['a'\] has 2 values, expected one per category \(3"),
        ({"a": [1.0, 2.0, 3.0]}, {"b": "red"}, "colors has no colour for 'a'"),
        ({"a": [1.0, 2.0, 3.0]}, ["red", "blue"], "expected 1 colours, got 2"),
        ({"a": [1.0, np.inf, 3.0]}, None, r"series\['a'\] must be finite"),
    ],
)
def test_grouped_bars_reject_bad_input(series, colors, message) -> None:
    with pytest.raises(ValueError, match=message):
        plot_grouped_bars(series, ["x", "y", "z"], colors=colors)


# -- the tutorial's attribution chart -----------------------------------------


def test_attribution_bars_use_the_tutorials_labels_and_colours() -> None:
    rng = np.random.default_rng(1)
    attributions = {key: rng.normal(size=8) for key in METHODS}
    attributions["weights"] = rng.normal(size=8)
    fig = plot_attribution_bars(attributions)
    (ax,) = fig.axes
    assert len(ax.containers) == 6
    assert sum(len(c) for c in ax.containers) == 6 * 8
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [*METHODS.values(), "Weights (lin1.weight[0])"]
    for container, (key, values) in zip(ax.containers, attributions.items(), strict=True):
        np.testing.assert_allclose([bar.get_height() for bar in container], values)
        assert container[0].get_facecolor() == mpl.colors.to_rgba(METHOD_COLORS[key])
    assert _tick_labels(ax) == list(FEATURE_NAMES)
    width, _ = _png_size(fig)
    assert 800 <= width <= 1000


def test_attribution_bars_draw_other_keys_under_their_own_name() -> None:
    fig = plot_attribution_bars({"deeplift": np.ones(8), "my method": -np.ones(8)}, title=None)
    ax = fig.axes[0]
    assert [c.get_label() for c in ax.containers] == ["DeepLift", "my method"]
    assert ax.get_title() == ""


def test_attribution_bars_reject_keys_that_share_a_label() -> None:
    with pytest.raises(ValueError, match="share a label"):
        plot_attribution_bars({"deeplift": np.ones(8), "DeepLift": np.ones(8)})
