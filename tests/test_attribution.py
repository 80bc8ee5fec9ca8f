"""Each attribution equals the direct Captum call the tutorial makes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from captum.attr import (
    DeepLift,
    FeatureAblation,
    GradientShap,
    IntegratedGradients,
    LayerConductance,
    NoiseTunnel,
)

import calhouse


def _direct(model, split, method, seed):
    """The tutorial's own calls, after seeding torch and NumPy as calhouse does."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    X_test, X_train = split.X_test, split.X_train
    if method == "integrated_gradients":
        return IntegratedGradients(model).attribute(X_test, n_steps=50)
    if method == "noise_tunnel":
        return NoiseTunnel(IntegratedGradients(model)).attribute(X_test)
    if method == "deeplift":
        return DeepLift(model).attribute(X_test)
    if method == "gradient_shap":
        return GradientShap(model).attribute(X_test, X_train)
    return FeatureAblation(model).attribute(X_test)


@pytest.fixture(scope="module")
def attributions(model, split):
    return calhouse.tutorial_attributions(model, split.X_test, split.X_train, seed=3)


def test_methods_and_labels() -> None:
    assert calhouse.METHODS == {
        "integrated_gradients": "Int Grads",
        "noise_tunnel": "Int Grads w/SmoothGrad",
        "deeplift": "DeepLift",
        "gradient_shap": "GradientSHAP",
        "feature_ablation": "Feature Ablation",
    }


@pytest.mark.parametrize("method", list(calhouse.METHODS))
def test_each_method_equals_a_direct_captum_call(model, split, attributions, method) -> None:
    expected = _direct(model, split, method, seed=3).detach()
    got = attributions[method]
    assert got.shape == (180, 8)
    assert torch.equal(got, expected)


def test_seed_makes_random_methods_repeatable_and_distinct(model, split) -> None:
    a = calhouse.attribute(model, split.X_test, "noise_tunnel", seed=1)
    b = calhouse.attribute(model, split.X_test, "noise_tunnel", seed=1)
    c = calhouse.attribute(model, split.X_test, "noise_tunnel", seed=2)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_seed_none_draws_from_the_global_state(model, split) -> None:
    torch.manual_seed(11)
    np.random.seed(11)
    got = calhouse.attribute(
        model, split.X_test, "gradient_shap", baselines=split.X_train, seed=None
    )
    assert torch.equal(got, _direct(model, split, "gradient_shap", seed=11))


def test_seeded_call_restores_global_state(model, split) -> None:
    torch.manual_seed(5)
    np.random.seed(5)
    torch_state, np_draw = torch.get_rng_state(), np.random.get_state()[1].copy()
    calhouse.attribute(model, split.X_test, "gradient_shap", baselines=split.X_train, seed=0)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], np_draw)


def test_normalized_sum_is_the_charts_formula(attributions) -> None:
    ig = attributions["integrated_gradients"]
    total = ig.numpy().sum(0)
    expected = total / np.linalg.norm(total, ord=1)
    assert np.array_equal(calhouse.normalized_sum(ig), expected)
    assert np.abs(calhouse.normalized_sum(ig)).sum() == pytest.approx(1.0)


def test_first_layer_weights_are_those_into_neuron_zero(model) -> None:
    w = model.lin1.weight[0].detach().numpy()
    assert np.array_equal(calhouse.first_layer_weights(model), w / np.linalg.norm(w, ord=1))
    w5 = model.lin1.weight[5].detach().numpy()
    np.testing.assert_allclose(calhouse.first_layer_weights(model, 5), w5 / np.abs(w5).sum())
    with pytest.raises(ValueError, match=r"neuron must be in \[0, 99\], got 100"):
        calhouse.first_layer_weights(model, 100)


def test_layer_conductance_equals_a_direct_captum_call(model, split) -> None:
    got = calhouse.layer_conductance(model, split.X_test)
    expected = LayerConductance(model, model.lin4).attribute(
        split.X_test, n_steps=100, attribute_to_layer_input=True
    )
    assert got.shape == (180, 10)
    assert torch.equal(got, expected.detach())
    w = model.lin4.weight[0].detach().numpy()
    assert np.array_equal(calhouse.last_layer_weights(model), w / np.linalg.norm(w, ord=1))


# --- bad input


def test_unknown_method(model, split) -> None:
    with pytest.raises(
        ValueError,
        match="unknown attribution method 'shap'; expected one of 'integrated_gradients'",
    ):
        calhouse.attribute(model, split.X_test, "shap")


def test_gradient_shap_needs_baselines(model, split) -> None:
    with pytest.raises(ValueError, match="gradient_shap needs baselines"):
        calhouse.attribute(model, split.X_test, "gradient_shap")


@pytest.mark.parametrize(
    ("X", "error", "pattern"),
    [
        (torch.zeros(4, 7), ValueError, r"X must have shape \(n_samples, 8\)"),
        (torch.zeros(4, 8, dtype=torch.float64), TypeError, "X must have dtype torch.float32"),
        (torch.full((4, 8), float("nan")), ValueError, "X must be finite"),
        ([[0.0] * 8], TypeError, "X must be a torch.Tensor"),
    ],
)
def test_bad_inputs(model, X, error, pattern) -> None:
    with pytest.raises(error, match=pattern):
        calhouse.attribute(model, X, "integrated_gradients")
    with pytest.raises(error, match=pattern):
        calhouse.layer_conductance(model, X)


def test_bad_baselines(model, split) -> None:
    with pytest.raises(ValueError, match=r"baselines must have shape \(n_samples, 8\)"):
        calhouse.attribute(model, split.X_test, "gradient_shap", baselines=torch.zeros(5, 3))


def test_unknown_layer(model, split) -> None:
    with pytest.raises(ValueError, match="unknown layer 'lin9'; expected one of 'lin1', 'relu1'"):
        calhouse.layer_conductance(model, split.X_test, "lin9")


@pytest.mark.parametrize(
    ("values", "pattern"),
    [(np.zeros(3), "L1 norm is 0.0"), (np.zeros((2, 2)), r"expected a vector, got .* \(2, 2\)")],
)
def test_l1_normalize_rejects(values, pattern) -> None:
    with pytest.raises(ValueError, match=pattern):
        calhouse.l1_normalize(values)
