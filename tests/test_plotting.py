"""The gallery's figures draw what they are given: bars, lines, labels, values."""

from __future__ import annotations

import re
from collections.abc import Iterator

import matplotlib as mpl

mpl.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import calhouse
from calhouse import (
    FEATURE_NAMES,
    METHOD_COLORS,
    METHODS,
    plot_attribution_bars,
    plot_grouped_bars,
    plot_loss_curve,
)

# The colours decided for the site (Okabe-Ito), written out: a test that compared the
# figures with calhouse's own table would pass whatever the table said.
DECIDED_COLORS = {
    "integrated_gradients": "#0072B2",
    "noise_tunnel": "#56B4E9",
    "deeplift": "#D55E00",
    "gradient_shap": "#E69F00",
    "feature_ablation": "#009E73",
    "weights": "#000000",
}
DECIDED_LABELS = {
    "integrated_gradients": "Int Grads",
    "noise_tunnel": "Int Grads w/SmoothGrad",
    "deeplift": "DeepLift",
    "gradient_shap": "GradientSHAP",
    "feature_ablation": "Feature Ablation",
    "weights": "Weights (lin1.weight[0])",
}


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def _tick_labels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_xticklabels()]


def _png_size(fig) -> tuple[float, float]:
    return tuple(fig.get_size_inches() * fig.dpi)


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
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("epoch", "summed squared error")
    assert mpl.colors.to_hex(curve.get_color()) == "#0072b2"
    assert mpl.colors.to_hex(marks.get_color()) == "#d55e00"
    assert marks.get_marker() == "D"  # not colour alone


def test_loss_curve_labels_ticks_between_powers_of_ten() -> None:
    meta = calhouse.read_metadata(calhouse.MODELS["tutorial"].path)
    fig = plot_loss_curve(meta["epoch_losses"])
    ax = fig.axes[0]
    fig.canvas.draw()
    low, high = ax.get_ylim()
    labelled = [
        float(t.get_text())
        for t in ax.get_yticklabels()
        if t.get_text() and low <= t.get_position()[1] <= high
    ]
    # The loss spends 195 of its 200 epochs between 100 and 1,000: ticks label that range.
    assert {200.0, 500.0} <= set(labelled)
    assert {1000.0, 2000.0, 5000.0, 10000.0} <= set(labelled)


def test_loss_curve_of_the_shipped_model_marks_its_logged_losses() -> None:
    meta = calhouse.read_metadata(calhouse.MODELS["tutorial"].path)
    fig = plot_loss_curve(meta["epoch_losses"], log_every=meta["training"]["log_every"])
    marks = fig.axes[0].get_lines()[1]
    logged = [float(line.rsplit(" ", 1)[1]) for line in meta["loss_log"]]
    np.testing.assert_allclose(marks.get_ydata(), logged, atol=5e-4)


def test_loss_curve_without_marks_and_into_given_axes() -> None:
    fig, ax = plt.subplots()
    assert plot_loss_curve([3.0, 2.0, 1.0], log_every=None, ax=ax) is fig
    assert len(ax.get_lines()) == 1
    # Plain numbers on the loss axis, however large the loss, drawn 1.5 points wide
    # whatever the reader's matplotlib style.
    with plt.rc_context({"lines.linewidth": 4.0}):
        big = plot_loss_curve(np.geomspace(3e7, 2e6, 20), log_every=None)
    big.canvas.draw()
    axis = big.axes[0]
    labels = [t.get_text() for t in axis.get_yticklabels() if t.get_text()]
    assert labels == ["1000000", "2000000", "5000000", "10000000", "20000000", "50000000"]
    assert axis.yaxis.get_offset_text().get_text() == ""
    assert axis.get_lines()[0].get_linewidth() == 1.5
    # A column or a row of losses is the same curve, in a figure laid out to fit its labels.
    for losses in (torch.tensor([[3.0], [2.0], [1.0]]), torch.tensor([[3.0, 2.0, 1.0]])):
        shaped = plot_loss_curve(losses, log_every=None)
        (line,) = shaped.axes[0].get_lines()
        np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])
        np.testing.assert_array_equal(line.get_ydata(), [3.0, 2.0, 1.0])
        assert type(shaped.get_layout_engine()).__name__ == "ConstrainedLayoutEngine"


@pytest.mark.parametrize(
    ("losses", "kwargs", "message"),
    [
        ([], {}, "epoch_losses is empty"),
        ([1.0, 0.0], {}, "must be positive"),
        ([1.0, float("nan")], {}, "epoch_losses must be finite"),
        ([float("nan"), 1.0, float("inf")], {}, "^epoch_losses must be finite, got 2 NaN/inf$"),
        ([None, 1.0], {}, "^epoch_losses must be finite, got 1 NaN/inf$"),  # a missing value
        ([1.0], {"log_every": 0}, "log_every must be a positive integer or None"),
    ],
)
def test_loss_curve_rejects_bad_input(losses, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        plot_loss_curve(losses, **kwargs)


def test_loss_curve_style_as_a_reader_sees_it() -> None:
    """Default marks every 20 epochs, line and marker sizes, frame, grid, labels, size."""
    losses = np.geomspace(1000.0, 150.0, 45)
    fig = plot_loss_curve(losses)
    (ax,) = fig.axes
    curve, marks = ax.get_lines()
    np.testing.assert_array_equal(marks.get_xdata(), [1, 21, 41])  # log_every=20 by default
    assert curve.get_linewidth() == pytest.approx(1.5)
    assert marks.get_markersize() == pytest.approx(5)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "loss of each epoch",
        "printed in the log (every 20 epochs)",
    ]
    assert ax.get_xlim() == pytest.approx((0, 46))
    fig.canvas.draw()
    assert all(line.get_visible() for line in ax.yaxis.get_gridlines())
    assert {line.get_alpha() for line in ax.yaxis.get_gridlines()} == {0.3}
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert "200" in labels  # plain numbers, not 2 x 10^2
    assert fig.get_size_inches() == pytest.approx((9.6, 4.2))


def test_loss_curve_marks_every_epoch_when_asked() -> None:
    marks = plot_loss_curve([3.0, 2.0, 1.0], log_every=1).axes[0].get_lines()[1]
    np.testing.assert_array_equal(marks.get_xdata(), [1, 2, 3])


@pytest.mark.parametrize(
    ("losses", "kwargs", "message"),
    [
        ([], {}, "epoch_losses is empty; expected one loss per epoch"),
        ([1.0, 0.0], {}, "epoch_losses must be positive to be drawn on a log scale"),
        ([1.0], {"log_every": 2.5}, "log_every must be a positive integer or None, got 2.5"),
        ([1.0], {"log_every": True}, "log_every must be a positive integer or None, got True"),
    ],
)
def test_loss_curve_says_exactly_what_is_wrong(losses, kwargs, message) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
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
        ({"a": [1.0, 2.0, 3.0]}, {"b": "red"}, "colors has nothing for 'a'"),
        ({"a": [1.0, 2.0, 3.0], "c": [1, 2, 3]}, {"b": "red"}, "^colors has nothing for 'a', 'c'$"),
        ({"a": [1.0, 2.0, 3.0]}, ["red", "blue"], "expected 1 colors, one per series, got 2"),
        ({"a": [1.0, np.inf, 3.0]}, None, r"series\['a'\] must be finite"),
    ],
)
def test_grouped_bars_reject_bad_input(series, colors, message) -> None:
    with pytest.raises(ValueError, match=message):
        plot_grouped_bars(series, ["x", "y", "z"], colors=colors)


# -- the tutorial's attribution chart -----------------------------------------


def test_the_palette_is_the_decided_one() -> None:
    assert METHOD_COLORS == DECIDED_COLORS
    assert {key: METHODS[key].label for key in METHODS} == {
        k: v for k, v in DECIDED_LABELS.items() if k != "weights"
    }


def test_attribution_bars_use_the_tutorials_labels_and_the_sites_colours() -> None:
    rng = np.random.default_rng(1)
    attributions = {key: rng.normal(size=8) for key in METHODS}
    attributions["weights"] = rng.normal(size=8)
    fig = plot_attribution_bars(attributions)
    (ax,) = fig.axes
    assert len(ax.containers) == 6
    assert sum(len(c) for c in ax.containers) == 6 * 8
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == list(DECIDED_LABELS.values())
    hatches = set()
    for container, (key, values) in zip(ax.containers, attributions.items(), strict=True):
        np.testing.assert_allclose([bar.get_height() for bar in container], values)
        assert container[0].get_facecolor() == mpl.colors.to_rgba(DECIDED_COLORS[key])
        hatches.add((container[0].get_hatch(), DECIDED_COLORS[key]))
    # Bars that share a colour family differ by hatch: IG and SmoothGrad are both blue.
    assert len({hatch for hatch, _ in hatches}) >= 4
    assert ax.get_ylabel() == "share of the summed attribution"
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


def test_grouped_bars_geometry_is_what_a_reader_sees() -> None:
    """Bar widths, the zero line, the frame, the grid and edges, read off the figure."""
    fig = plot_grouped_bars(
        {"a": [1.0, -2.0], "b": [0.5, 0.5], "c": [3.0, 1.0], "d": [1.0, 1.0]},
        ["x", "y"],
        colors=["#000000", "#0072B2", "#0072B2", "#0072B2"],
        hatches={"a": "", "b": "//", "c": "xx", "d": ""},
        ylabel="share",
    )
    (ax,) = fig.axes
    widths = {round(bar.get_width(), 12) for container in ax.containers for bar in container}
    assert widths == {0.2}  # 0.8 of a category's room, shared by 4 series
    assert ax.get_xlim() == pytest.approx((-0.5, 1.5))
    (zero,) = [line for line in ax.lines if list(line.get_ydata()) == [0, 0]]
    assert mpl.colors.to_hex(zero.get_color()) == "#000000"
    assert zero.get_linewidth() == pytest.approx(0.8)
    assert all(line.get_visible() for line in ax.yaxis.get_gridlines())
    assert not any(line.get_visible() for line in ax.xaxis.get_gridlines())
    assert ax.get_axisbelow() is True
    # Black bars get white edges, others dark grey; edges are thin.
    assert mpl.colors.to_hex(ax.containers[0][0].get_edgecolor()) == "#ffffff"
    assert mpl.colors.to_hex(ax.containers[1][0].get_edgecolor()) == "#333333"
    assert ax.containers[1][0].get_linewidth() == pytest.approx(0.4)
    assert [c[0].get_hatch() for c in ax.containers] == [None, "//", "xx", None]
    assert ax.get_ylabel() == "share"
    assert ax.get_title() == ""
    # At most three legend columns.
    assert ax.get_legend()._ncols == 3  # matplotlib has no public getter
    assert fig.get_size_inches() == pytest.approx((9.6, 4.8))


def test_grouped_bars_default_palette_is_okabe_ito_in_method_order() -> None:
    series = {str(i): [1.0] for i in range(8)}
    ax = plot_grouped_bars(series, ["x"]).axes[0]
    colours = [mpl.colors.to_hex(c[0].get_facecolor()).upper() for c in ax.containers]
    okabe_ito = ["#0072B2", "#56B4E9", "#D55E00", "#E69F00", "#009E73", "#CC79A7", "#000000"]
    assert colours == [*okabe_ito, okabe_ito[0]]  # the eighth series starts again


def test_grouped_bars_draw_into_given_axes_without_a_legend() -> None:
    fig, (top, bottom) = plt.subplots(2)
    returned = plot_grouped_bars({"a": [1.0]}, ["x"], ax=bottom, legend=False)
    assert returned is fig
    assert len(bottom.containers) == 1
    assert len(top.containers) == 0
    assert bottom.get_legend() is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"series": {}}, "series is empty; expected at least one label -> values"),
        (
            {"series": {"a": [1.0, 2.0]}},
            "series['a'] has 2 values, expected one per category (3: x, y, z)",
        ),
        ({"hatches": {"b": "//"}}, "hatches has nothing for 'a'"),
        ({"hatches": ["//", "xx"]}, "expected 1 hatches, one per series, got 2"),
        ({"colors": {"b": "red"}}, "colors has nothing for 'a'"),
    ],
)
def test_grouped_bars_say_exactly_what_is_wrong(kwargs: dict, message: str) -> None:
    given = {"series": {"a": [1.0, 2.0, 3.0]}, "categories": ["x", "y", "z"], **kwargs}
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        plot_grouped_bars(**given)


def test_attribution_bars_colour_unknown_keys_from_the_spare_colours() -> None:
    ax = plot_attribution_bars(
        {"deeplift": np.ones(3), "mine": np.ones(3), "yours": np.ones(3)},
        feature_names=["a", "b", "c"],
    ).axes[0]
    colours = [mpl.colors.to_hex(c[0].get_facecolor()).upper() for c in ax.containers]
    assert colours == ["#D55E00", "#CC79A7", "#F0E442"]
    assert [c[0].get_hatch() for c in ax.containers] == ["//", None, None]
    assert ax.get_title() == "Feature importances of the test set, L1-normalised"
    assert _tick_labels(ax) == ["a", "b", "c"]


def test_grouped_bars_place_series_left_to_right_in_order() -> None:
    ax = plot_grouped_bars({"a": [1.0, 1.0], "b": [1.0, 1.0], "c": [1.0, 1.0]}, ["x", "y"]).axes[0]
    centres = [[bar.get_x() + bar.get_width() / 2 for bar in c] for c in ax.containers]
    width = 0.8 / 3
    np.testing.assert_allclose(centres, [[-width, 1 - width], [0, 1], [width, 1 + width]])
    assert [c[0].get_hatch() for c in ax.containers] == [None, None, None]  # no hatch by default
    assert {line.get_alpha() for line in ax.yaxis.get_gridlines()} == {0.3}


def test_attribution_bars_beyond_the_spare_colours_and_into_given_axes() -> None:
    fig, ax = plt.subplots()
    keys = ["one", "two", "three", "four", "five"]
    returned = plot_attribution_bars({k: np.ones(2) for k in keys}, ["a", "b"], ax=ax)
    assert returned is fig
    colours = [mpl.colors.to_hex(c[0].get_facecolor()).upper() for c in ax.containers]
    assert colours == ["#CC79A7", "#F0E442", "#999999", "#999999", "#999999"]


def test_columns_are_drawn_as_the_vectors_they_hold() -> None:
    """A (n, 1) tensor, as a model returns it, is one value per epoch or category."""
    curve = plot_loss_curve(torch.tensor([[3.0], [2.0], [1.0]])).axes[0].get_lines()[0]
    assert np.shape(curve.get_ydata()) == (3,)
    ax = plot_grouped_bars({"a": torch.ones(3, 1)}, ["x", "y", "z"]).axes[0]
    assert [bar.get_height() for bar in ax.containers[0]] == [1.0, 1.0, 1.0]
