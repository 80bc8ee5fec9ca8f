"""The dataset-scale engine equals plain Captum, for any tabular model, chunk by chunk.

Every comparison is with Captum's own classes called directly (``METHODS[name].captum
(model).attribute(...)``), never with another calhouse function.
"""

from __future__ import annotations

import copy
import inspect
import io
import itertools
import sys
import threading
from collections.abc import Iterator
from typing import ClassVar

import numpy as np
import pytest
import torch
from captum.attr import IntegratedGradients, LayerConductance
from torch import nn

import calhouse
from calhouse import _runner as runner
from calhouse import attribution as engine
from calhouse._random import intra_op_threads

METHODS = engine.METHODS
RANDOM = [name for name, spec in METHODS.items() if spec.random]


def close(got: torch.Tensor, expected: torch.Tensor, rtol: float = 1e-5) -> bool:
    """Equal to within ``rtol`` of the largest attribution."""
    assert got.shape == expected.shape
    scale = expected.abs().max()
    assert scale > 0  # an all-zero reference would make the comparison vacuous
    return bool((got - expected).abs().max() <= rtol * scale)


def plain(model, X, method, *, baselines=None, target=None, seed=None, **options):
    """The plain Captum call for ``method``, after seeding both global generators."""
    if seed is not None:
        torch.manual_seed(seed)
        np.random.seed(seed)
    spec = METHODS[method]
    X = X.detach().clone().requires_grad_(method != "feature_ablation")
    out = spec.captum(model).attribute(X, baselines=baselines, target=target, **options)
    return out.detach()


def reference_rows(n_features: int) -> torch.Tensor:
    return torch.randn(40, n_features, generator=torch.Generator().manual_seed(11))


# --- models other than the tutorial's


class Vector(nn.Module):
    """A network returning one value per row as a vector, shape (n_samples,)."""

    def __init__(self, n_features: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_features, 16), nn.ReLU(), nn.Linear(16, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)


def build(kind: str) -> tuple[nn.Module, int, int | None]:
    """A freshly initialised model, its number of features and of outputs."""
    torch.manual_seed(3)
    if kind == "wide_deep_relu":
        layers = [nn.Linear(5, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU()]
        layers += [nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1)]
        return nn.Sequential(*layers), 5, 1
    if kind == "tanh":
        return nn.Sequential(nn.Linear(3, 7), nn.Tanh(), nn.Linear(7, 1)), 3, 1
    if kind == "one_feature":
        return nn.Sequential(nn.Linear(1, 6), nn.ReLU(), nn.Linear(6, 1)), 1, 1
    if kind == "vector_output":
        return Vector(4), 4, None
    if kind == "three_outputs":
        return nn.Sequential(nn.Linear(6, 20), nn.ReLU(), nn.Linear(20, 3)), 6, 3
    raise AssertionError(kind)


MODELS = ["wide_deep_relu", "tanh", "one_feature", "vector_output", "three_outputs"]


def targets_for(n_outputs: int | None, n_rows: int) -> list:
    if n_outputs is None or n_outputs == 1:
        return [None]
    per_row = [(i * i + i // 2) % n_outputs for i in range(n_rows)]  # every output, unordered
    return [2, per_row, torch.tensor(per_row)]


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("kind", MODELS)
def test_other_models_equal_plain_captum(kind, method) -> None:
    model, n_features, n_outputs = build(kind)
    X = 2 * torch.randn(37, n_features, generator=torch.Generator().manual_seed(1))
    baselines = reference_rows(n_features) if METHODS[method].references else None
    for target in targets_for(n_outputs, len(X)):
        expected = plain(model, X, method, baselines=baselines, target=target, seed=5)
        for batch_size in (None, 7, 1):  # 7 and 1 leave a short last chunk / one row each
            got = engine.attribute_dataset(
                model, X, method, baselines=baselines, target=target, seed=5, batch_size=batch_size
            )
            assert close(got, expected), (target, batch_size)


@pytest.mark.parametrize("method", [m for m, s in METHODS.items() if not s.references])
@pytest.mark.parametrize("kind", ["number", "vector", "row", "per_row"])
def test_baseline_forms(method, kind) -> None:
    model, n_features, _ = build("tanh")
    X = torch.randn(23, n_features, generator=torch.Generator().manual_seed(2))
    mean = X.mean(0)
    given = {"number": 0.5, "vector": mean, "row": mean[None], "per_row": X.flip(0)}[kind]
    as_captum = {"number": 0.5, "vector": mean[None], "row": mean[None], "per_row": X.flip(0)}
    expected = plain(model, X, method, baselines=as_captum[kind], seed=3)
    for batch_size in (5, 1):  # chunks of one row have one-row baselines of their own
        got = engine.attribute_dataset(
            model, X, method, baselines=given, seed=3, batch_size=batch_size
        )
        assert close(got, expected), batch_size


@pytest.mark.parametrize("n_steps", [1, 2, 7, 50, 301])
def test_gauss_legendre_steps_equal_captums(n_steps) -> None:
    """numpy's leggauss nodes and weights give Captum's own IG and LC for any step count."""
    model, n_features, _ = build("wide_deep_relu")
    X = torch.randn(20, n_features, generator=torch.Generator().manual_seed(4))
    expected = IntegratedGradients(model).attribute(X, n_steps=n_steps)
    got = engine.attribute_dataset(model, X, "integrated_gradients", n_steps=n_steps)
    assert close(got, expected.detach())
    expected = LayerConductance(model, model[2]).attribute(X, n_steps=n_steps)
    got = engine.layer_conductance_dataset(model, X, "2", n_steps=n_steps)
    assert close(got, expected.detach())


# --- layer conductance


@pytest.mark.parametrize(("kind", "layer"), [("wide_deep_relu", "4"), ("three_outputs", "1")])
@pytest.mark.parametrize("to_input", [False, True])
def test_layer_conductance_equals_plain_captum(kind, layer, to_input) -> None:
    model, n_features, n_outputs = build(kind)
    X = torch.randn(29, n_features, generator=torch.Generator().manual_seed(8))
    module = dict(model.named_modules())[layer]
    for base, target in itertools.product(
        (X.mean(0, keepdim=True), X.flip(0)), targets_for(n_outputs, len(X))
    ):
        expected = LayerConductance(model, module).attribute(
            X, baselines=base, target=target, n_steps=30, attribute_to_layer_input=to_input
        )
        for batch_size in (None, 4):
            got = engine.layer_conductance_dataset(
                model,
                X,
                module if batch_size else layer,  # the module or its name
                baselines=base,
                target=target,
                n_steps=30,
                attribute_to_layer_input=to_input,
                batch_size=batch_size,
            )
            assert close(got, expected.detach()), (base.shape, target, batch_size)


# --- the tutorial's model and data


@pytest.fixture(scope="module")
def rows(split) -> torch.Tensor:
    """120 rows spread over the whole dataset's range (the tutorial's test rows)."""
    return split.X_test[:120]


@pytest.mark.parametrize("method", list(METHODS))
def test_tutorial_model_equals_plain_captum(model, split, rows, method) -> None:
    """The tutorial's calls: deterministic methods to 1e-5; random ones with the same draws."""
    X_train = split.X_train if METHODS[method].references else None
    expected = plain(model, rows, method, baselines=X_train, seed=7)
    got = engine.attribute_dataset(model, rows, method, baselines=X_train, seed=7)
    assert close(got, expected)


def test_tutorial_layer_conductance(model, rows) -> None:
    expected = LayerConductance(model, model.lin4).attribute(
        rows, n_steps=100, attribute_to_layer_input=True
    )
    got = engine.layer_conductance_dataset(
        model, rows, "lin4", n_steps=100, attribute_to_layer_input=True
    )
    assert got.shape == (120, 10)
    assert close(got, expected.detach())


def test_the_every_district_examples_call(split) -> None:
    """plot_11's call: a standardising model and its training mean as a (8,) baseline."""
    standardized = calhouse.StandardizedCaliforniaModel.from_training_data(split.X_train)
    average = split.X_train.mean(0)
    X = split.X_train[:50]
    expected = plain(standardized, X, "integrated_gradients", baselines=average[None], n_steps=50)
    got = calhouse.attribute_dataset(
        standardized, X, "integrated_gradients", baselines=average, n_steps=50
    )
    assert close(got, expected)


# --- random methods: the draws


@pytest.mark.parametrize("method", RANDOM)
def test_random_methods_draw_what_captum_draws(model, split, rows, method) -> None:
    X_train = split.X_train if METHODS[method].references else None
    a = engine.attribute_dataset(model, rows, method, baselines=X_train, seed=1)
    b = engine.attribute_dataset(model, rows, method, baselines=X_train, seed=2)
    assert not close(a, b, rtol=1e-2)  # the draws matter, so the seed is really used
    assert close(b, plain(model, rows, method, baselines=X_train, seed=2))
    # seed=None: the global state, exactly as the direct call after the same seeding.
    torch.manual_seed(2)
    np.random.seed(2)
    c = engine.attribute_dataset(model, rows, method, baselines=X_train, seed=None)
    assert torch.equal(c, b)
    # ... and leaves both generators where the direct call leaves them.
    after = torch.get_rng_state(), np.random.get_state()[1].copy()
    plain(model, rows, method, baselines=X_train, seed=2)
    assert torch.equal(torch.get_rng_state(), after[0])
    assert np.array_equal(np.random.get_state()[1], after[1])


@pytest.mark.parametrize("stdevs", [0.0, 0.3])
def test_random_methods_with_other_options(model, split, rows, stdevs) -> None:
    options = {"nt_samples": 3, "stdevs": stdevs, "n_steps": 20}
    expected = plain(model, rows, "noise_tunnel", seed=4, **options)
    got = engine.attribute_dataset(model, rows, "noise_tunnel", seed=4, **options)
    assert close(got, expected)
    options = {"n_samples": 7, "stdevs": stdevs}
    expected = plain(model, rows, "gradient_shap", baselines=split.X_train, seed=4, **options)
    got = engine.attribute_dataset(
        model, rows, "gradient_shap", baselines=split.X_train, seed=4, **options
    )
    assert close(got, expected)


def test_seeded_call_restores_the_callers_random_state(model, split, rows) -> None:
    torch.manual_seed(5)
    np.random.seed(5)
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()[1].copy()
    engine.attribute_dataset(model, rows, "gradient_shap", baselines=split.X_train, seed=0)
    engine.attribute_dataset(model, rows, "noise_tunnel", seed=0)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], np_state)


# --- the registry


def test_registry_holds_the_tutorials_methods_labels_and_captums_defaults() -> None:
    assert list(METHODS) == [
        "integrated_gradients",
        "noise_tunnel",
        "deeplift",
        "gradient_shap",
        "feature_ablation",
    ]
    assert [spec.label for spec in METHODS.values()] == [
        "Int Grads",
        "Int Grads w/SmoothGrad",
        "DeepLift",
        "GradientSHAP",
        "Feature Ablation",
    ]
    for name, spec in METHODS.items():
        assert spec.name == name
        assert spec.captum_class.__name__ == spec.captum_name
        classes = [spec.captum_class]
        if spec.wraps is not None:
            classes.append(type(spec.captum(nn.Linear(2, 1)).attribution_method))
        for option, default in spec.options.items():
            defaults = [inspect.signature(cls.attribute).parameters.get(option) for cls in classes]
            found = [p.default for p in defaults if p is not None]
            assert found == [default], (name, option)
        with pytest.raises(TypeError):
            spec.options["n_steps"] = 3  # read-only
    nt = METHODS["noise_tunnel"].captum(nn.Linear(2, 1))
    assert type(nt).__name__ == "NoiseTunnel"
    assert type(nt.attribution_method).__name__ == "IntegratedGradients"


def test_a_method_record_keeps_a_read_only_copy_of_its_options() -> None:
    """Built at call time (METHODS itself is built at import), so a changed record is seen."""
    given = {"n_steps": 7}
    spec = engine.Method(
        name="mine",
        label="Mine",
        captum_name="IntegratedGradients",
        options=given,
        evaluations=lambda o: o["n_steps"],
        chunks=METHODS["integrated_gradients"].chunks,
    )
    given["n_steps"] = 8
    assert dict(spec.options) == {"n_steps": 7}
    with pytest.raises(TypeError):
        spec.options["n_steps"] = 9  # type: ignore[index]
    assert spec.evaluations(spec.options) == 7
    assert type(spec.captum(nn.Linear(2, 1))).__name__ == "IntegratedGradients"


# --- what comes back


@pytest.mark.parametrize("method", list(METHODS))
def test_returns_a_new_detached_float32_cpu_tensor(method) -> None:
    model, n_features, _ = build("tanh")
    X = torch.randn(9, n_features).requires_grad_()
    baselines = reference_rows(n_features) if METHODS[method].references else None
    got = engine.attribute_dataset(model, X, method, baselines=baselines)
    assert got.dtype == torch.float32
    assert got.device.type == "cpu"
    assert not got.requires_grad
    assert got.grad_fn is None
    assert got.numpy().shape == (9, n_features)
    assert X.grad is None
    assert got.data_ptr() != X.data_ptr()
    conductance = engine.layer_conductance_dataset(model, X, "1")
    assert not conductance.requires_grad
    assert conductance.numpy().shape == (9, 7)


def test_the_callers_model_is_left_as_it_was() -> None:
    """DeepLift and LayerConductance hook its modules while they run; nothing stays."""
    model, n_features, _ = build("wide_deep_relu")
    X = torch.randn(500, n_features)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    engine.attribute_dataset(model, X, "deeplift", batch_size=50)
    engine.layer_conductance_dataset(model, X, "1", batch_size=50)
    for module in model.modules():
        assert not module._forward_hooks
        assert not module._forward_pre_hooks
        assert not module._backward_hooks
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert all(p.requires_grad for p in model.parameters())


ACTIVATIONS = [nn.ReLU, nn.ELU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh, nn.Softplus]


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_deeplift_equals_captum_for_every_activation_it_rescales(activation) -> None:
    torch.manual_seed(4)
    model = nn.Sequential(nn.Linear(4, 12), activation(), nn.Linear(12, 6), activation())
    model.append(nn.Linear(6, 2))
    X = 2 * torch.randn(40, 4, generator=torch.Generator().manual_seed(5))
    for baselines in (None, X.flip(0), X.mean(0, keepdim=True)):
        expected = plain(model, X, "deeplift", baselines=baselines, target=1)
        got = engine.attribute_dataset(model, X, "deeplift", baselines=baselines, target=1)
        # A multiplier (f(x) - f(x0)) / (x - x0) cancels digits: for Sigmoid, Captum's
        # own float32 result is off by up to 1e-4 of the largest value. The engine
        # must be as accurate as Captum, both against Captum in float64.
        exact = plain(copy.deepcopy(model).double(), X.double(), "deeplift", target=1,
                      baselines=None if baselines is None else baselines.double())  # fmt: skip
        scale = exact.abs().max()
        captums_error = float((expected - exact).abs().max() / scale)
        engines_error = float((got - exact).abs().max() / scale)
        assert engines_error <= max(1e-5, 1.5 * captums_error), (engines_error, captums_error)
        assert close(got, expected, rtol=1e-4)


def test_deeplift_in_place_activations_and_an_activation_that_captum_does_not_rescale() -> None:
    """An in-place ReLU works on a copy; a GELU is differentiated as it is, as Captum does."""
    torch.manual_seed(6)
    model = nn.Sequential(nn.Linear(3, 10), nn.ReLU(inplace=True), nn.Linear(10, 8), nn.GELU())
    model.append(nn.Linear(8, 1))
    X = torch.randn(30, 3, generator=torch.Generator().manual_seed(7))
    expected = plain(model, X, "deeplift", baselines=0.3)
    got = engine.attribute_dataset(model, X, "deeplift", baselines=0.3, batch_size=8)
    assert close(got, expected)
    # Without the copy, the in-place ReLU would have changed the kept input.
    assert not close(got, plain(model, X, "integrated_gradients", baselines=0.3), rtol=1e-2)


def test_deeplift_falls_back_to_the_gradient_where_an_input_does_not_move() -> None:
    """A unit whose input is the same for a row and its baseline takes its own derivative."""
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, -1.0], [0.5, 2.0]]))
        model[0].bias.copy_(torch.tensor([0.2, -0.1]))
        model[2].weight.copy_(torch.tensor([[1.5, -0.7]]))
    X = torch.tensor([[1.0, 1.0], [2.0, 2.0], [0.5, -0.5]])
    base = torch.zeros(1, 2)
    expected = plain(model, X, "deeplift", baselines=base)
    got = engine.attribute_dataset(model, X, "deeplift", baselines=base)
    assert close(got, expected)
    # The first unit's input does not move for the first two rows: its multiplier is
    # tanh's derivative there, not 0/0.
    assert torch.isfinite(got).all()
    slope = 1 - torch.tanh(torch.tensor(0.2)) ** 2
    moved = (torch.tanh(torch.tensor(2.4)) - torch.tanh(torch.tensor(-0.1))) / 2.5
    first = 1.0 * (1.5 * slope * 1.0 + -0.7 * moved * 0.5)
    assert got[0, 0].item() == pytest.approx(first.item(), rel=1e-6)
    # A one-unit layer and a one-row chunk: the input that does not move is the only one.
    narrow = nn.Sequential(nn.Linear(2, 1), nn.Tanh(), nn.Linear(1, 1))
    with torch.no_grad():
        narrow[0].weight.copy_(torch.tensor([[1.0, -1.0]]))
        narrow[0].bias.copy_(torch.tensor([0.2]))
    got = engine.attribute_dataset(narrow, X[:1], "deeplift", baselines=base)
    assert torch.isfinite(got).all()
    assert close(got, plain(narrow, X[:1], "deeplift", baselines=base))


@pytest.mark.parametrize("kind", ["tanh", "one_feature"])
def test_deeplift_with_a_baseline_per_row_in_chunks_of_one_row(kind) -> None:
    """Each one-row chunk runs its own baseline (two rows, or one feature, included)."""
    model, n_features, _ = build(kind)
    generator = torch.Generator().manual_seed(14)
    for n_rows, n_threads in itertools.product((2, 5), {1, torch.get_num_threads()}):
        X = torch.randn(n_rows, n_features, generator=generator)
        base = torch.randn(n_rows, n_features, generator=generator)
        # On one thread, the chunks run one after the other on the same thread.
        with intra_op_threads(n_threads):
            got = engine.attribute_dataset(model, X, "deeplift", baselines=base, batch_size=1)
        assert close(got, plain(model, X, "deeplift", baselines=base)), (n_rows, n_threads)


def test_deeplift_takes_an_activation_with_no_units() -> None:
    """A layer of width 0 has no multipliers (and no smallest change of its input)."""

    class WithEmptyBranch(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.empty = nn.Sequential(nn.Linear(3, 0), nn.ReLU())
            self.main = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.main(x) + self.empty(x).sum(1, keepdim=True)

    torch.manual_seed(10)
    with pytest.warns(UserWarning, match="zero-element"):  # torch's, on the empty Linear
        model = WithEmptyBranch()
    X = torch.randn(10, 3, generator=torch.Generator().manual_seed(11))
    got = engine.attribute_dataset(model, X, "deeplift", batch_size=4)
    assert close(got, plain(model, X, "deeplift"))


def test_deeplift_gives_a_module_that_runs_twice_a_multiplier_for_each_run() -> None:
    """Captum's class refuses such a network; the engine equals it on an unshared copy."""

    class Shared(nn.Module):
        def __init__(self, layers: nn.Sequential) -> None:
            super().__init__()
            self.first, self.second, self.last = layers[0], layers[2], layers[4]
            self.act = nn.Tanh()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.last(self.act(self.second(self.act(self.first(x)))))

    torch.manual_seed(8)
    unshared = nn.Sequential(
        nn.Linear(3, 9), nn.Tanh(), nn.Linear(9, 5), nn.Tanh(), nn.Linear(5, 1)
    )
    X = torch.randn(25, 3, generator=torch.Generator().manual_seed(9))
    with pytest.raises(RuntimeError, match="used more than once"):
        plain(Shared(unshared), X, "deeplift")
    got = engine.attribute_dataset(Shared(unshared), X, "deeplift", batch_size=4)
    assert close(got, plain(unshared, X, "deeplift"))


@pytest.mark.parametrize(
    ("module", "why"),
    [(nn.Softmax(dim=1), "mixes the rows of a batch"), (nn.MaxPool1d(1), "not implemented")],
)
def test_deeplift_refuses_modules_captum_gives_other_rules(module, why) -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 3), module)
    recorder = Recorder(model)
    name = type(module).__name__
    with pytest.raises(ValueError, match=rf"module 'model.3' is {name}: .*{why}.*captum.attr"):
        engine.attribute_dataset(recorder, torch.randn(5, 3), "deeplift", target=0)
    assert recorder.batches == [1]  # the probe of the outputs only: no chunk ran


def test_deeplift_needs_the_same_modules_for_rows_and_baselines() -> None:
    class Branches(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear, self.relu, self.tanh = nn.Linear(2, 1), nn.ReLU(), nn.Tanh()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out = self.linear(x)
            if bool((x.abs().sum(1) > 0).all()):
                out = self.relu(out) + self.tanh(out)
            return out

    for rows_and_baselines, more in (
        ((torch.ones(3, 2), None), "more"),
        ((torch.zeros(3, 2), 1.0), "fewer"),
    ):
        X, base = rows_and_baselines
        with pytest.raises(ValueError, match=f"ran {more} activation modules on the rows"):
            engine.attribute_dataset(Branches(), X, "deeplift", baselines=base)


# --- chunking: the result does not depend on it, and memory is bounded by it


class Recorder(nn.Module):
    """The model, recording the batch size of every forward pass (in a list of the class)."""

    batches: ClassVar[list[int]] = []

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        Recorder.batches = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.batches.append(x.shape[0])
        return self.model(x)


@pytest.mark.parametrize(
    ("method", "options"),
    [
        ("integrated_gradients", {}),
        ("integrated_gradients", {"n_steps": 8}),
        ("noise_tunnel", {}),
        ("gradient_shap", {}),
        ("deeplift", {}),
        ("feature_ablation", {}),
    ],
)
def test_chunks_bound_every_forward_pass(method, options) -> None:
    spec = METHODS[method]
    chosen = {**spec.options, **options}
    per_row = spec.evaluations(chosen)
    assert (
        per_row
        == {
            "integrated_gradients": chosen.get("n_steps"),
            "noise_tunnel": 5 * 50,
            "gradient_shap": 5,
            "deeplift": 1,  # the rows, then their baselines, in passes of their own
            "feature_ablation": 1,  # one pass per feature
        }[method]
    )
    model, n_features, _ = build("tanh")
    recorder = Recorder(model)
    X = torch.randn(120, n_features)
    baselines = reference_rows(n_features) if spec.references else None
    engine.attribute_dataset(recorder, X, method, baselines=baselines, batch_size=16, **options)
    probe = recorder.batches.pop(0)
    assert probe == 1  # one row first, to learn the model's outputs
    assert max(recorder.batches) == 16 * per_row
    n_chunks = -(-len(X) // 16)
    forwards_per_chunk = {"feature_ablation": n_features + 1}.get(method, 1)
    rows_passes = [size for size in recorder.batches if size > 1]
    assert len(rows_passes) == n_chunks * forwards_per_chunk
    if method == "deeplift":
        # Each chunk's rows; the zero baseline (one row, the same for every chunk)
        # once in each thread that ran chunks, not once per chunk.
        assert sorted(rows_passes) == sorted([16] * 7 + [8])
        assert 1 <= recorder.batches.count(1) <= min(torch.get_num_threads(), n_chunks)
        # A baseline per row runs with its chunk: a pass of the baselines per chunk.
        recorder.batches.clear()
        engine.attribute_dataset(recorder, X, method, baselines=X.flip(0), batch_size=16)
        assert sorted(recorder.batches) == sorted([1] + [16] * 14 + [8, 8])
    else:
        assert len(recorder.batches) == len(rows_passes)
    # The default chunk never evaluates more than CHUNK_EVALUATIONS rows at once.
    recorder.batches.clear()
    default = max(1, engine.CHUNK_EVALUATIONS // per_row)
    many = torch.randn(2 * default + 3, n_features)
    engine.attribute_dataset(recorder, many, method, baselines=baselines, **options)
    assert max(recorder.batches) == default * per_row <= engine.CHUNK_EVALUATIONS
    assert len([size for size in recorder.batches if size > 1]) == 3 * forwards_per_chunk


def test_layer_conductance_chunks() -> None:
    model, n_features, _ = build("tanh")
    recorder = Recorder(model)
    X = torch.randn(120, n_features)
    engine.layer_conductance_dataset(recorder, X, "model.1", batch_size=10, n_steps=20)
    # One row to learn the outputs, one to learn the layer's width; then 12 chunks
    # of 10 rows x 21 points.
    assert recorder.batches == [1, 1] + [10 * 21] * 12
    recorder.batches.clear()
    engine.layer_conductance_dataset(recorder, X, "model.1")
    assert max(recorder.batches) <= engine.CHUNK_EVALUATIONS


def test_an_error_in_a_chunk_stops_the_work() -> None:
    class FailsLater(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = nn.Linear(2, 1)
            self.calls = 0

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            self.calls += 1
            if self.calls == 4:
                raise RuntimeError("chunk 3 failed")
            return self.linear(x)

    model = FailsLater()
    with pytest.raises(RuntimeError, match="chunk 3 failed"):
        engine.attribute_dataset(model, torch.randn(1000, 2), "integrated_gradients", batch_size=1)
    assert model.calls < 100  # the other 997 chunks were cancelled


# --- threads, devices, progress


def test_torch_thread_count_is_restored() -> None:
    model, n_features, _ = build("tanh")
    X = torch.randn(50, n_features)
    before = torch.get_num_threads()
    engine.attribute_dataset(model, X, "integrated_gradients", batch_size=7)
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError, match="boom"):
        engine.attribute_dataset(Boom(), X, "integrated_gradients", batch_size=7)
    assert torch.get_num_threads() == before


class Boom(nn.Module):
    """Runs on one row (the check), fails on a chunk."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[0] > 1:
            raise RuntimeError("boom")
        return x.sum(1, keepdim=True)


def engine_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("calhouse")}


@pytest.fixture
def two_torch_threads() -> Iterator[None]:
    """Chunks on two threads, whatever this machine has."""
    with intra_op_threads(2):
        yield


@pytest.mark.usefixtures("two_torch_threads")
def test_the_threads_are_kept_from_one_call_to_the_next() -> None:
    model, n_features, _ = build("tanh")
    X = torch.randn(200, n_features)
    first = engine.attribute_dataset(model, X, "integrated_gradients", batch_size=7)
    kept = engine_threads()
    assert len(kept) >= 2
    again = engine.attribute_dataset(model, X, "integrated_gradients", batch_size=7)
    assert engine_threads() == kept
    assert torch.equal(first, again)
    # A failed call leaves them working.
    with pytest.raises(RuntimeError, match="boom"):
        engine.attribute_dataset(Boom(), X, "integrated_gradients", batch_size=7)
    assert torch.equal(
        engine.attribute_dataset(model, X, "integrated_gradients", batch_size=7), first
    )
    assert engine_threads() == kept


@pytest.mark.usefixtures("two_torch_threads")
def test_a_forked_process_starts_threads_of_its_own(monkeypatch) -> None:
    model, n_features, _ = build("tanh")
    X = torch.randn(200, n_features)
    first = engine.attribute_dataset(model, X, "deeplift", batch_size=7)
    parents = engine_threads()
    parents_pool = runner.SHARED_THREADS._pool
    # In a forked child the pool's threads do not exist: a new process id, a new pool.
    monkeypatch.setattr(runner.os, "getpid", lambda: -1)
    assert torch.equal(engine.attribute_dataset(model, X, "deeplift", batch_size=7), first)
    assert len(engine_threads() - parents) == 2
    # The copy of the parent's pool is left alone (its locks may be held for ever
    # in a child): here, in the same process, it still takes work.
    assert parents_pool is not None
    assert parents_pool.submit(lambda: 5).result() == 5


def test_a_call_on_more_threads_gets_a_larger_pool(monkeypatch) -> None:
    model, n_features, _ = build("tanh")
    X = torch.randn(200, n_features)
    monkeypatch.setattr(runner, "SHARED_THREADS", runner.SharedThreads())
    with intra_op_threads(1):  # the same chunks, one after another
        expected = engine.attribute_dataset(model, X, "deeplift", batch_size=7)
    assert runner.SHARED_THREADS.size == 0
    pools = []
    for n_threads in (2, 3):
        with intra_op_threads(n_threads):
            got = engine.attribute_dataset(model, X, "deeplift", batch_size=7)
        assert runner.SHARED_THREADS.size == n_threads
        assert torch.equal(got, expected)
        pools.append(runner.SHARED_THREADS._pool)
    with pytest.raises(RuntimeError, match="shutdown"):  # the smaller one is shut down
        pools[0].submit(print)
    with intra_op_threads(2):  # fewer: the larger pool serves
        engine.attribute_dataset(model, X, "deeplift", batch_size=7)
    assert runner.SHARED_THREADS.size == 3


def test_device_cpu_and_the_model_stays_where_it_is() -> None:
    model, n_features, _ = build("tanh")
    X = torch.randn(50, n_features)
    a = engine.attribute_dataset(model, X, "deeplift", device="cpu")
    b = engine.attribute_dataset(model, X, "deeplift", device=torch.device("cpu"))
    assert torch.equal(a, b)
    assert all(p.device.type == "cpu" for p in model.parameters())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("method", list(METHODS))
def test_cuda_equals_cpu(method) -> None:
    model, n_features, n_outputs = build("three_outputs")
    X = torch.randn(300, n_features)
    target = targets_for(n_outputs, len(X))[2]
    baselines = reference_rows(n_features) if METHODS[method].references else None
    on_cpu = engine.attribute_dataset(model, X, method, baselines=baselines, target=target)
    on_gpu = engine.attribute_dataset(
        model, X, method, baselines=baselines, target=target, device="cuda"
    )
    assert on_gpu.device.type == "cpu"
    assert close(on_gpu, on_cpu, rtol=1e-4)
    assert all(p.device.type == "cpu" for p in model.parameters())


def test_progress_bar_on_request_only(capsys) -> None:
    model, n_features, _ = build("tanh")
    X = torch.randn(50, n_features)
    engine.attribute_dataset(model, X, "deeplift", progress=True)
    assert "deeplift: 100%" in capsys.readouterr().err
    engine.attribute_dataset(model, X, "deeplift")  # not a terminal: no bar
    engine.layer_conductance_dataset(model, X, "1", progress=False)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("n_threads", [1, 2])
def test_progress_bar_counts_every_row_once(capsys, n_threads) -> None:
    model, n_features, _ = build("tanh")
    X = torch.randn(1000, n_features)
    with intra_op_threads(n_threads):  # chunks on this many threads, whatever the machine has
        engine.attribute_dataset(model, X, "deeplift", batch_size=7, progress=True)
    final = capsys.readouterr().err.split("\r")[-1]
    assert "deeplift: 100%" in final
    assert "1.00k/1.00k" in final
    assert "row/s]" in final


def test_progress_bar_by_default_on_a_terminal_only(monkeypatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    model, n_features, _ = build("tanh")
    X = torch.randn(50, n_features)
    monkeypatch.setattr(sys, "stderr", Terminal())
    engine.attribute_dataset(model, X, "deeplift")
    assert "deeplift: 100%" in sys.stderr.getvalue()
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # not a terminal
    engine.attribute_dataset(model, X, "deeplift")
    assert sys.stderr.getvalue() == ""


def test_layer_conductance_defaults_and_what_it_passes_on(capsys, monkeypatch) -> None:
    model, n_features, _ = build("wide_deep_relu")
    X = torch.randn(23, n_features, generator=torch.Generator().manual_seed(12))
    # Captum's default number of steps (50).
    expected = LayerConductance(model, model[2]).attribute(X)
    assert close(engine.layer_conductance_dataset(model, X, "2"), expected.detach())
    # The bar is labelled with the method, and shows on request.
    engine.layer_conductance_dataset(model, X, "2", progress=True)
    assert "layer_conductance: 100%" in capsys.readouterr().err
    # The column names reach the messages.
    bad = X.clone()
    bad[3, 1] = float("nan")
    names = [f"x{i}" for i in range(n_features)]
    with pytest.raises(ValueError, match=r"row 3, column 1 \(x1\) is nan"):
        engine.layer_conductance_dataset(model, bad, "2", feature_names=names)
    # Chunks run on threads: as many as there are chunks allow, no copies of the network.
    asked = []
    real = engine.threads

    def spy(device, n_chunks):
        asked.append((device, n_chunks))
        return real(device, n_chunks)

    monkeypatch.setattr(engine, "threads", spy)
    engine.layer_conductance_dataset(model, X, "2", batch_size=5)
    assert asked == [(torch.device("cpu"), 5)]


@pytest.mark.parametrize("method", [*engine.METHODS, "layer_conductance"])
def test_torchs_default_dtype_changes_nothing(method) -> None:
    """A reader's float64 default (torch.set_default_dtype) gives the same float32 numbers."""
    model, n_features, _ = build("wide_deep_relu")
    X = torch.randn(9, n_features, generator=torch.Generator().manual_seed(13))

    def run() -> torch.Tensor:
        if method == "layer_conductance":
            return torch.cat(
                [engine.layer_conductance_dataset(model, X, "2", baselines=b) for b in (0.5, None)]
            )
        options = {"seed": 3} if method in ("noise_tunnel", "gradient_shap") else {}
        if method == "gradient_shap":
            return engine.attribute_dataset(model, X, method, baselines=X[:4], **options)
        # A given baseline, and the zero baseline the engine makes itself.
        return torch.cat(
            [
                engine.attribute_dataset(model, X, method, baselines=b, **options)
                for b in (0.5, None)
            ]
        )

    expected = run()
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        got = run()
    finally:
        torch.set_default_dtype(default)
    assert got.dtype == torch.float32
    assert torch.equal(got, expected)


@pytest.mark.parametrize("n_rows", [2, 3])
def test_noise_tunnel_with_one_baseline_per_row_equals_captum(model, rows, n_rows) -> None:
    X, base = rows[:n_rows], rows[-n_rows:]
    expected = plain(model, X, "noise_tunnel", baselines=base, seed=5)
    got = engine.attribute_dataset(model, X, "noise_tunnel", baselines=base, seed=5)
    assert close(got, expected)
