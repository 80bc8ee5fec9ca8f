"""The helpers behind the gallery's examples 05-10: baselines, perturbations, rankings,
a scikit-learn view of the model, contributions of one prediction, and their figures."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import matplotlib as mpl

mpl.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from captum.attr import DeepLift, InputXGradient, IntegratedGradients
from captum.metrics import infidelity, infidelity_perturb_func_decorator, sensitivity_max
from matplotlib.colors import to_hex
from scipy.stats import spearmanr
from sklearn.base import clone
from sklearn.inspection import permutation_importance
from sklearn.metrics import get_scorer

import calhouse
from calhouse import (
    BASELINE_KINDS,
    FEATURE_NAMES,
    CaliforniaModel,
    Contributions,
    StandardizedCaliforniaModel,
    as_regressor,
    attribution_summary,
    contributions,
    feature_spread,
    gaussian_perturbation,
    make_baselines,
    plot_beeswarm,
    plot_grouped_bar_panels,
    plot_neuron_activity,
    plot_rank_agreement,
    plot_sorted_shares,
    plot_waterfall,
    rank_agreement,
    rank_features,
    spearman,
    uniform_perturbation,
)


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def _rows(n: int = 40, seed: int = 0) -> torch.Tensor:
    """Float32 rows with very different scales per column, like the real features."""
    gen = torch.Generator().manual_seed(seed)
    scales = torch.tensor([2.0, 10.0, 1.3, 0.1, 600.0, 0.9, 0.05, 0.05])
    offsets = torch.tensor([3.5, 40.0, 5.0, 1.0, 1000.0, 3.0, 37.8, -122.2])
    return offsets + scales * torch.randn(n, 8, generator=gen)


def _linear_model(weights: list[float], bias: float = 0.5) -> torch.nn.Module:
    model = torch.nn.Linear(8, 1)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([weights]))
        model.bias.fill_(bias)
    return model.eval()


# -- baselines and spreads ----------------------------------------------------


def test_make_baselines_are_the_training_statistics() -> None:
    X = _rows(41)
    baselines = make_baselines(X)
    assert list(baselines) == list(BASELINE_KINDS) == ["zero", "mean", "median"]
    for value in baselines.values():
        assert value.shape == (1, 8)
        assert value.dtype == torch.float32
    assert torch.equal(baselines["zero"], torch.zeros(1, 8))
    torch.testing.assert_close(baselines["mean"][0], X.mean(0))
    np.testing.assert_allclose(baselines["median"][0], np.median(X.numpy(), axis=0), rtol=1e-6)


def test_make_baselines_median_of_an_even_count_averages_the_middle_pair() -> None:
    X = torch.tensor([[1.0] * 8, [2.0] * 8, [4.0] * 8, [10.0] * 8])
    baselines = make_baselines(X, ["median", "mean"])
    assert list(baselines) == ["median", "mean"]
    assert baselines["median"][0, 0].item() == 3.0
    assert baselines["mean"][0, 0].item() == 4.25


def test_make_baselines_mean_is_what_the_standardised_model_stores(split) -> None:
    mean = make_baselines(split.X_train, ["mean"])["mean"][0]
    assert torch.equal(mean, StandardizedCaliforniaModel.from_training_data(split.X_train).mean)


@pytest.mark.parametrize(
    ("kinds", "message"),
    [
        (["zero", "average"], "unknown baseline kind 'average'; expected one or more of 'zero'"),
        ([], "unknown baseline kind None"),
    ],
)
def test_make_baselines_rejects_unknown_kinds(kinds, message) -> None:
    with pytest.raises(ValueError, match=message):
        make_baselines(_rows(), kinds)


def test_make_baselines_checks_the_training_set() -> None:
    with pytest.raises(ValueError, match=r"X_train must have shape \(n_samples, 8\)"):
        make_baselines(torch.zeros(5, 7))
    with pytest.raises(TypeError, match=r"X_train must have dtype torch\.float32"):
        make_baselines(torch.zeros(5, 8, dtype=torch.float64))


def test_feature_spread_is_the_population_standard_deviation() -> None:
    X = _rows(50)
    spread = feature_spread(X)
    np.testing.assert_allclose(spread, X.numpy().std(0), rtol=1e-5)
    assert torch.equal(spread, StandardizedCaliforniaModel.from_training_data(X).scale)


def test_feature_spread_of_the_tutorial_split(split) -> None:
    spread = dict(zip(FEATURE_NAMES, feature_spread(split.X_train).tolist(), strict=True))
    assert spread["Population"] == pytest.approx(635.76, abs=0.01)
    assert spread["Latitude"] == pytest.approx(0.0472, abs=1e-4)


def test_feature_spread_rejects_constant_columns() -> None:
    X = _rows(10)
    X[:, 4] = 7.0
    X[:, 6] = 1.0
    with pytest.raises(ValueError, match="Population, Latitude are constant over the 10 rows"):
        feature_spread(X)


# -- perturbations ------------------------------------------------------------


def test_gaussian_perturbation_scales_the_noise_to_each_feature() -> None:
    scale = torch.tensor([1.0, 10.0, 0.1, 100.0, 2.0, 3.0, 0.01, 5.0])
    perturb = gaussian_perturbation(scale, fraction=0.2)
    torch.manual_seed(0)
    inputs = torch.ones(20_000, 8).requires_grad_()
    perturbed = perturb(inputs, torch.zeros(20_000, 8))  # Captum passes baselines
    assert not perturbed.requires_grad
    noise = inputs.detach() - perturbed
    np.testing.assert_allclose(noise.std(0), 0.2 * scale, rtol=0.03)
    np.testing.assert_allclose(noise.mean(0) / scale, 0.0, atol=0.01)


def test_gaussian_perturbation_makes_infidelity_zero_for_an_exact_linear_explanation() -> None:
    # On a linear model, IG from zero is w * x exactly, so it predicts every
    # perturbation's effect without error.
    model = _linear_model([0.5, -1.0, 2.0, 0.0, 0.001, -0.3, 4.0, 1.5])
    X = _rows(30).requires_grad_()
    attributions = IntegratedGradients(model).attribute(X).detach()
    perturb = infidelity_perturb_func_decorator(True)(
        gaussian_perturbation(feature_spread(X), fraction=0.1)
    )
    torch.manual_seed(0)
    score = infidelity(model, perturb, X, attributions, baselines=torch.zeros_like(X))
    assert score.max().item() < 1e-6
    # Attributions of the wrong size are penalised.
    torch.manual_seed(0)
    worse = infidelity(model, perturb, X, 2 * attributions, baselines=torch.zeros_like(X))
    assert worse.min().item() > 1e-4


def test_gaussian_perturbation_with_zero_attributions_gives_the_mean_squared_change() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    X = _rows(12)
    perturb = gaussian_perturbation(feature_spread(X), fraction=0.3)
    torch.manual_seed(3)
    score = infidelity(
        model,
        infidelity_perturb_func_decorator(True)(perturb),
        X,
        torch.zeros_like(X),
        baselines=torch.zeros_like(X),
        n_perturb_samples=7,
    )
    torch.manual_seed(3)
    repeated = X.repeat_interleave(7, dim=0)
    with torch.no_grad():
        change = model(repeated) - model(perturb(repeated))
    expected = change.pow(2).reshape(12, 7).mean(1)
    torch.testing.assert_close(score, expected)


def test_uniform_perturbation_stays_within_the_scaled_radius_and_fills_it() -> None:
    scale = torch.tensor([1.0, 10.0, 0.1, 100.0, 2.0, 3.0, 0.01, 5.0])
    perturb = uniform_perturbation(scale)
    torch.manual_seed(0)
    inputs = torch.zeros(5_000, 8)
    moved = perturb(inputs, 0.25)
    bound = 0.25 * scale
    assert bool((moved.detach().abs() <= bound * (1 + 1e-6)).all())
    np.testing.assert_allclose(moved.detach().abs().max(0).values / bound, 1.0, atol=0.01)
    np.testing.assert_allclose(moved.detach().mean(0) / bound, 0.0, atol=0.05)
    assert moved.is_leaf
    assert moved.requires_grad


def test_uniform_perturbation_spares_deeplift_a_gradient_warning() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    X = _rows(6).requires_grad_()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        score = sensitivity_max(
            DeepLift(model).attribute,
            X,
            uniform_perturbation(feature_spread(X)),
            perturb_radius=0.1,
            n_perturb_samples=3,
        )
    assert score.shape == (6,)
    assert bool((score >= 0).all())
    assert not [w for w in caught if "did not already require gradients" in str(w.message)]


def test_uniform_perturbation_measures_sensitivity_zero_for_a_linear_gradient() -> None:
    # InputXGradient divided by the input is the (constant) weight vector, so
    # Saliency-like explanations of a linear model never change; here the
    # explanation x * w changes only by the perturbation itself.
    model = _linear_model([1.0] * 8, bias=0.0)
    X = torch.ones(4, 8).requires_grad_()
    torch.manual_seed(0)
    score = sensitivity_max(
        InputXGradient(model).attribute,
        X,
        uniform_perturbation(torch.ones(8)),
        perturb_radius=0.1,
        n_perturb_samples=20,
    )
    # |x' - x| <= 0.1 per feature, relative to |x| = sqrt(8): at most 0.1.
    assert score.max().item() <= 0.1 + 1e-6
    assert score.min().item() > 0.05


@pytest.mark.parametrize(
    ("scale", "message"),
    [
        (torch.ones(7), r"scale must hold 8 finite, positive spreads .* got shape \(7,\)"),
        (torch.tensor([1.0] * 7 + [0.0]), "scale must hold 8 finite, positive spreads"),
        (torch.tensor([1.0] * 7 + [float("nan")]), "scale must hold 8 finite, positive spreads"),
    ],
)
def test_perturbations_reject_bad_scales(scale, message) -> None:
    with pytest.raises(ValueError, match=message):
        gaussian_perturbation(scale)
    with pytest.raises(ValueError, match=message):
        uniform_perturbation(scale)


@pytest.mark.parametrize("fraction", [0, -0.1, float("inf"), "0.1"])
def test_gaussian_perturbation_rejects_bad_fractions(fraction) -> None:
    with pytest.raises(ValueError, match="fraction must be a positive number"):
        gaussian_perturbation(torch.ones(8), fraction)


# -- rankings and their agreement ---------------------------------------------


def test_rank_features_orders_by_value_and_keeps_ties_in_column_order() -> None:
    assert rank_features([0.1, 0.5, 0.2], ("a", "b", "c")) == ["b", "c", "a"]
    assert rank_features(torch.tensor([1.0, 3.0, 3.0, 2.0]), ("w", "x", "y", "z")) == [
        "x",
        "y",
        "z",
        "w",
    ]
    importance = np.arange(8.0)
    assert rank_features(importance) == list(reversed(FEATURE_NAMES))


@pytest.mark.parametrize(
    ("importance", "message"),
    [
        ([1.0, 2.0], "importance has 2 values but there are 8 feature names"),
        ([[1.0, 2.0]], r"importance must be a vector of at least 2 values, got shape \(1, 2\)"),
        ([1.0, float("nan")] + [0.0] * 6, "importance must be finite"),
    ],
)
def test_rank_features_rejects_bad_input(importance, message) -> None:
    with pytest.raises(ValueError, match=message):
        rank_features(importance)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]),
        ([0.1, 0.4, 0.4, 0.2, 0.9, 0.0], [3, 1, 2, 2, 5, 0]),
        (np.random.default_rng(0).normal(size=8), np.random.default_rng(1).normal(size=8)),
    ],
)
def test_spearman_equals_scipy_with_and_without_ties(a, b) -> None:
    assert spearman(a, b) == pytest.approx(spearmanr(a, b).statistic, abs=1e-12)


def test_spearman_extremes_and_bad_input() -> None:
    assert spearman([1, 2, 3], [2, 4, 8]) == pytest.approx(1.0)
    assert spearman(torch.tensor([1.0, 2.0, 3.0]), [3, 2, 1]) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="not constant"):
        spearman([1, 1, 1], [1, 2, 3])
    with pytest.raises(ValueError, match="same length, got 3 and 4"):
        spearman([1, 2, 3], [1, 2, 3, 4])


def test_rank_agreement_is_the_matrix_of_pairwise_spearman() -> None:
    rng = np.random.default_rng(0)
    importances = {name: rng.normal(size=8) for name in ("a", "b", "c")}
    importances["d"] = -importances["a"]
    matrix = rank_agreement(importances)
    assert matrix.shape == (4, 4)
    np.testing.assert_allclose(np.diag(matrix), 1.0)
    np.testing.assert_allclose(matrix, matrix.T)
    assert matrix[0, 1] == pytest.approx(spearman(importances["a"], importances["b"]))
    assert matrix[0, 3] == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="need at least 2 importance vectors to compare, got 1"):
        rank_agreement({"a": importances["a"]})


# -- the summary of a set of attributions -------------------------------------


def test_attribution_summary_values() -> None:
    attributions = torch.tensor([[1.0, 2.0, 0.0, -3.0], [-1.0, 2.0, 0.0, 1.0]])
    summary = attribution_summary(attributions)
    np.testing.assert_allclose(summary["signed_mean"], [0.0, 2.0, 0.0, -1.0])
    np.testing.assert_allclose(summary["mean_abs"], [1.0, 2.0, 0.0, 2.0])
    np.testing.assert_allclose(summary["fraction_positive"], [0.5, 1.0, 0.0, 0.5])
    # Column 3: |sum| = 2 of a total 4 survives, half cancels; an all-zero column cancels nothing.
    np.testing.assert_allclose(summary["cancelled"], [1.0, 0.0, 0.0, 0.5])


def test_attribution_summary_of_a_central_baseline_cancels_by_construction(model, split) -> None:
    X = split.X_test.clone().requires_grad_()
    mean = make_baselines(split.X_train, ["mean"])["mean"]
    summary = attribution_summary(IntegratedGradients(model).attribute(X, baselines=mean))
    medinc = FEATURE_NAMES.index("MedInc")
    assert summary["mean_abs"].argmax() == medinc
    assert summary["cancelled"][medinc] > 0.9


@pytest.mark.parametrize(
    ("attributions", "message"),
    [
        (np.zeros(8), r"attributions must have shape \(n_samples, n_features\), got \(8,\)"),
        (np.full((2, 8), np.nan), "attributions must be finite"),
    ],
)
def test_attribution_summary_rejects_bad_input(attributions, message) -> None:
    with pytest.raises(ValueError, match=message):
        attribution_summary(attributions)


# -- one prediction's contributions -------------------------------------------


def test_contributions_order_and_running_totals() -> None:
    steps = contributions(
        torch.tensor([[0.5, -2.0, 1.0]]), start=1.0, output=0.4, feature_names=("a", "b", "c")
    )
    assert isinstance(steps, Contributions)
    assert steps.features == ("b", "c", "a")
    np.testing.assert_allclose(steps.values, [-2.0, 1.0, 0.5])
    np.testing.assert_allclose(steps.cumulative, [-1.0, 0.0, 0.5])
    assert steps.total == pytest.approx(0.5)
    assert steps.residual == pytest.approx(-0.1)
    by_column = contributions(
        np.array([0.5, -2.0, 1.0]), 1.0, 0.4, ("a", "b", "c"), order="columns"
    )
    assert by_column.features == ("a", "b", "c")
    np.testing.assert_allclose(by_column.cumulative, [1.5, -0.5, 0.5])


def test_contributions_residual_is_minus_the_convergence_delta(model, split) -> None:
    x = split.X_test[:1].clone().requires_grad_()
    zero = torch.zeros(1, 8)
    attribution, delta = IntegratedGradients(model).attribute(
        x, baselines=zero, n_steps=20, return_convergence_delta=True
    )
    with torch.no_grad():
        start, output = model(zero).item(), model(x).item()
    steps = contributions(attribution, start, output)
    assert steps.residual == pytest.approx(-delta.item(), abs=1e-5)
    assert abs(steps.residual) > 1e-5  # 20 steps leave a visible gap to check against


@pytest.mark.parametrize(
    ("attribution", "start", "output", "kwargs", "message"),
    [
        (np.zeros(7), 0.0, 1.0, {}, r"one row of 8 values, .* got \(7,\)"),
        (np.zeros((2, 8)), 0.0, 1.0, {}, r"got \(2, 8\)"),
        (np.zeros(8), float("nan"), 1.0, {}, "must be finite"),
        (np.zeros(8), 0.0, 1.0, {"order": "size"}, "order must be 'magnitude' or 'columns'"),
    ],
)
def test_contributions_reject_bad_input(attribution, start, output, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        contributions(attribution, start, output, **kwargs)


# -- a trained torch model seen by scikit-learn ---------------------------------


def test_as_regressor_predicts_what_the_model_predicts(model, split) -> None:
    regressor = as_regressor(model)
    predictions = regressor.predict(split.X_test.numpy())
    assert predictions.shape == (180,)
    with torch.no_grad():
        np.testing.assert_array_equal(predictions, model(split.X_test).numpy().ravel())
    scorer = get_scorer("neg_root_mean_squared_error")
    rmse = -scorer(regressor, split.X_test.numpy(), split.y_test.numpy().ravel())
    assert rmse == pytest.approx(calhouse.rmse(model, split.X_test, split.y_test), rel=1e-6)
    assert clone(regressor).predict(split.X_test.numpy()[:3]).shape == (3,)


def test_as_regressor_gives_zero_permutation_importance_to_an_unused_feature() -> None:
    model = _linear_model([1.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.5])
    X = _rows(60).numpy()
    X[:, 4] = X[:, 4] / 600.0  # bring Population to the others' scale for this toy model
    y = as_regressor(model).predict(X)
    result = permutation_importance(
        as_regressor(model), X, y, scoring="neg_root_mean_squared_error", random_state=0
    )
    importance = result.importances_mean
    np.testing.assert_allclose(importance[[1, 3, 4, 5, 6]], 0.0, atol=1e-6)
    assert importance[0] > 0.5
    assert importance[2] > 0.5
    # Weight times spread: AveRooms 2 x 1.3, MedInc 1 x 2, Longitude 0.5 x 0.05.
    assert rank_features(importance)[:3] == ["AveRooms", "MedInc", "Longitude"]


def test_as_regressor_refuses_to_fit_and_checks_its_input() -> None:
    regressor = as_regressor(CaliforniaModel())
    with pytest.raises(NotImplementedError, match="already trained and cannot fit it"):
        regressor.fit(np.zeros((2, 8)), np.zeros(2))
    with pytest.raises(ValueError, match=r"must have shape \(n_samples, 8\)"):
        regressor.predict(np.zeros((2, 7)))
    with pytest.raises(ValueError, match="must be finite"):
        regressor.predict(np.full((1, 8), np.nan))
    with pytest.raises(TypeError, match=r"model must be a torch\.nn\.Module, got str"):
        as_regressor("model")


# -- figures ------------------------------------------------------------------


def _bar_heights(ax) -> list[list[float]]:
    return [[bar.get_height() for bar in container] for container in ax.containers]


def test_grouped_bar_panels_draw_one_panel_per_group_and_one_legend() -> None:
    panels = {
        "first": {"zero": np.arange(8.0), "mean": np.ones(8)},
        "second": {"zero": -np.arange(8.0), "mean": np.full(8, 2.0)},
    }
    fig = plot_grouped_bar_panels(panels, ylabel="share")
    assert [ax.get_title() for ax in fig.axes] == ["first", "second"]
    np.testing.assert_allclose(_bar_heights(fig.axes[1]), [-np.arange(8.0), np.full(8, 2.0)])
    assert all(ax.get_legend() is None for ax in fig.axes)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["zero", "mean"]
    colors = [to_hex(c.patches[0].get_facecolor()) for c in fig.axes[0].containers]
    assert colors == [calhouse.BASELINE_COLORS["zero"], calhouse.BASELINE_COLORS["mean"]]
    assert fig.axes[0].get_ylabel() == "share"


def test_grouped_bar_panels_reject_mismatched_panels() -> None:
    with pytest.raises(ValueError, match="same series labels in the same order"):
        plot_grouped_bar_panels({"a": {"x": np.ones(8)}, "b": {"y": np.ones(8)}})
    with pytest.raises(ValueError, match="panels is empty"):
        plot_grouped_bar_panels({})


def test_rank_agreement_heatmap_shows_the_matrix() -> None:
    matrix = np.array([[1.0, 0.5, -0.25], [0.5, 1.0, 0.0], [-0.25, 0.0, 1.0]])
    fig = plot_rank_agreement(matrix, ["a", "b", "c"])
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), matrix)
    assert [t.get_text() for t in ax.texts] == [f"{v:.2f}" for v in matrix.ravel()]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="matrix must be square"):
        plot_rank_agreement(np.ones((2, 3)), ["a", "b"])
    with pytest.raises(ValueError, match="expected 3 labels, one per row, got 2"):
        plot_rank_agreement(matrix, ["a", "b"])


def test_beeswarm_puts_the_most_important_feature_on_top_with_its_values() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 8))
    attributions = rng.normal(size=(30, 8)) * np.array([1, 5, 1, 1, 1, 1, 1, 0.1])
    fig = plot_beeswarm(attributions, X)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "HouseAge"
    assert labels[-1] == "Longitude"
    top = ax.collections[0]
    np.testing.assert_allclose(top.get_offsets()[:, 0], attributions[:, 1])
    assert bool((np.abs(top.get_offsets()[:, 1]) <= 0.38).all())
    # Colour is the percentile of the value: the largest value gets 1, the smallest 0.
    shade = top.get_array()
    assert shade[X[:, 1].argmax()] == 1.0
    assert shade[X[:, 1].argmin()] == 0.0
    again = plot_beeswarm(attributions, X)
    np.testing.assert_array_equal(again.axes[0].collections[0].get_offsets(), top.get_offsets())


def test_beeswarm_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="same shape"):
        plot_beeswarm(np.zeros((3, 8)), np.zeros((4, 8)))
    with pytest.raises(ValueError, match="expected 8 feature names, got 2"):
        plot_beeswarm(np.zeros((3, 8)), np.zeros((3, 8)), ("a", "b"))


def test_waterfall_draws_each_step_from_the_running_total() -> None:
    steps = contributions(np.array([0.5, -2.0, 1.0]), 1.0, 0.5, ("a", "b", "c"))
    fig = plot_waterfall(steps, title="one")
    ax = fig.axes[0]
    bars = ax.patches
    np.testing.assert_allclose([b.get_width() for b in bars], [-2.0, 1.0, 0.5])
    np.testing.assert_allclose([b.get_x() for b in bars], [1.0, -1.0, 0.0])
    assert [to_hex(b.get_facecolor()) for b in bars] == ["#d1495b", "#2a9d55", "#2a9d55"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["b", "c", "a"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["f(baseline) = 1.000", "f(x) = 0.500"]
    assert [t.get_text() for t in ax.texts] == ["-2.000", "+1.000", "+0.500"]


def test_neuron_activity_greys_out_silent_neurons() -> None:
    fires = np.array([1.0, 0.0, 0.6, 0.0])
    conductance = np.array([3.0, 0.0, -1.0, 0.2])
    fig = plot_neuron_activity(fires, conductance, layer="relu3")
    left, right = fig.axes
    np.testing.assert_allclose([b.get_height() for b in left.patches], 100 * fires)
    np.testing.assert_allclose([b.get_height() for b in right.patches], conductance)
    grey = to_hex("#b0b0b0")
    assert [to_hex(b.get_facecolor()) == grey for b in right.patches] == [
        False,
        True,
        False,
        True,
    ]
    assert [t.get_text() for t in left.texts] == ["never", "never"]
    with pytest.raises(ValueError, match="one value per neuron each, got 4 and 3"):
        plot_neuron_activity(fires, conductance[:3])


def test_sorted_shares_in_percent_with_their_running_total() -> None:
    fig = plot_sorted_shares(np.array([1.0, 3.0, 0.0, 6.0]))
    ax, twin = fig.axes
    np.testing.assert_allclose([b.get_height() for b in ax.patches], [60.0, 30.0, 10.0, 0.0])
    np.testing.assert_allclose(twin.get_lines()[0].get_ydata(), [60.0, 90.0, 100.0, 100.0])
    with pytest.raises(ValueError, match="non-negative with a positive sum"):
        plot_sorted_shares(np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="non-negative with a positive sum"):
        plot_sorted_shares(np.zeros(3))
