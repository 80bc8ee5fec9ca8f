"""Dataset-scale attribution equals plain Captum, chunk by chunk, in bounded memory."""

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
from torch import nn

import calhouse

RANDOM = ("noise_tunnel", "gradient_shap")


def close(got: torch.Tensor, expected: torch.Tensor, rtol: float = 1e-5) -> bool:
    """Equal to within ``rtol`` of the largest attribution, the issue's criterion."""
    assert got.shape == expected.shape
    scale = expected.abs().max()
    assert scale > 0  # an all-zero reference would make the comparison vacuous
    return bool((got - expected).abs().max() <= rtol * scale)


def captum(model, X, method, *, baselines=None, seed=None, X_train=None):
    """Plain Captum, the tutorial's calls, after seeding both global generators."""
    if seed is not None:
        torch.manual_seed(seed)
        np.random.seed(seed)
    X = X.detach().clone().requires_grad_(method != "feature_ablation")
    if method == "integrated_gradients":
        out = IntegratedGradients(model).attribute(X, baselines=baselines, n_steps=50)
    elif method == "noise_tunnel":
        out = NoiseTunnel(IntegratedGradients(model)).attribute(X, baselines=baselines)
    elif method == "deeplift":
        out = DeepLift(model).attribute(X, baselines=baselines)
    elif method == "gradient_shap":
        out = GradientShap(model).attribute(X, X_train)
    else:
        out = FeatureAblation(model).attribute(X, baselines=baselines)
    return out.detach()


@pytest.fixture(scope="module")
def rows(split) -> torch.Tensor:
    """120 rows spread over the whole dataset's range (the tutorial's test rows)."""
    return split.X_test[:120]


class Recorder(nn.Module):
    """The model, recording the batch size of every forward pass."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.batches: list[int] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.batches.append(x.shape[0])
        return self.model(x)


# --- equal to Captum


@pytest.mark.parametrize("method", list(calhouse.METHODS))
def test_equals_plain_captum(model, split, rows, method) -> None:
    """Deterministic methods to 1e-5; random ones given the same draws (same seed)."""
    X_train = split.X_train if method == "gradient_shap" else None
    expected = captum(model, rows, method, seed=7, X_train=X_train)
    got = calhouse.attribute_dataset(model, rows, method, baselines=X_train, seed=7)
    assert got.dtype == torch.float32
    assert got.device.type == "cpu"
    assert close(got, expected)


@pytest.mark.parametrize("method", RANDOM)
def test_random_methods_draw_what_captum_draws(model, split, rows, method) -> None:
    X_train = split.X_train if method == "gradient_shap" else None
    a = calhouse.attribute_dataset(model, rows, method, baselines=X_train, seed=1)
    b = calhouse.attribute_dataset(model, rows, method, baselines=X_train, seed=2)
    assert not close(a, b, rtol=1e-2)  # the draws matter, so the seed is really used
    assert close(b, captum(model, rows, method, seed=2, X_train=X_train))
    # seed=None: the global state, exactly as the direct call after the same seeding.
    torch.manual_seed(2)
    np.random.seed(2)
    c = calhouse.attribute_dataset(model, rows, method, baselines=X_train, seed=None)
    assert torch.equal(c, b)


def test_random_methods_with_other_options(model, split, rows) -> None:
    torch.manual_seed(4)
    expected = NoiseTunnel(IntegratedGradients(model)).attribute(
        rows.clone().requires_grad_(), nt_samples=3, stdevs=0.3, n_steps=20
    )
    got = calhouse.attribute_dataset(
        model, rows, "noise_tunnel", seed=4, nt_samples=3, stdevs=0.3, n_steps=20
    )
    assert close(got, expected.detach())
    torch.manual_seed(4)
    np.random.seed(4)
    expected = GradientShap(model).attribute(
        rows.clone().requires_grad_(), split.X_train, n_samples=7, stdevs=0.2
    )
    got = calhouse.attribute_dataset(
        model, rows, "gradient_shap", baselines=split.X_train, seed=4, n_samples=7, stdevs=0.2
    )
    assert close(got, expected.detach())


def test_seeded_call_restores_the_callers_random_state(model, split, rows) -> None:
    torch.manual_seed(5)
    np.random.seed(5)
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()[1].copy()
    calhouse.attribute_dataset(model, rows, "gradient_shap", baselines=split.X_train, seed=0)
    calhouse.attribute_dataset(model, rows, "noise_tunnel", seed=0)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], np_state)


@pytest.mark.parametrize(
    "method", ["integrated_gradients", "noise_tunnel", "deeplift", "feature_ablation"]
)
@pytest.mark.parametrize("kind", ["number", "vector", "row", "per_row"])
def test_baselines_as_captum_takes_them(model, split, rows, method, kind) -> None:
    mean = split.X_train.mean(0)
    given = {
        "number": 0.5,
        "vector": mean,
        "row": mean[None],
        "per_row": split.X_train[: len(rows)],
    }[kind]
    # Captum's form of the same baselines (a row for every input for DeepLift's hooks).
    plain = {"number": 0.5, "vector": mean[None], "row": mean[None], "per_row": given}[kind]
    expected = captum(model, rows, method, baselines=plain, seed=3)
    got = calhouse.attribute_dataset(model, rows, method, baselines=given, seed=3)
    assert close(got, expected)


@pytest.mark.parametrize(("layer", "to_input"), [("lin4", True), ("lin2", False)])
def test_layer_conductance_equals_captum(model, split, rows, layer, to_input) -> None:
    module = dict(model.named_modules())[layer]
    expected = LayerConductance(model, module).attribute(
        rows, n_steps=100, attribute_to_layer_input=to_input
    )
    got = calhouse.layer_conductance_dataset(model, rows, layer, attribute_to_layer_input=to_input)
    assert got.shape == expected.shape
    assert close(got, expected.detach())
    # The tutorial's call through calhouse's own wrapper, and a non-zero baseline.
    assert close(
        calhouse.layer_conductance_dataset(model, rows), calhouse.layer_conductance(model, rows)
    )
    mean = split.X_train.mean(0, keepdim=True)
    expected = LayerConductance(model, model.lin4).attribute(
        rows, baselines=mean, n_steps=30, attribute_to_layer_input=True
    )
    got = calhouse.layer_conductance_dataset(model, rows, baselines=mean, n_steps=30)
    assert close(got, expected.detach())


def test_standardized_model_and_its_average_district(rows) -> None:
    """The example's setting: the full-data model, baseline = the training mean."""
    model = calhouse.load_or_train_model("full", log=None)
    expected = captum(model, rows, "integrated_gradients", baselines=model.mean[None])
    got = calhouse.attribute_dataset(model, rows, "integrated_gradients", baselines=model.mean)
    assert close(got, expected)


# --- chunking: the result does not depend on it, and memory is bounded by it


@pytest.mark.parametrize("method", [*calhouse.METHODS, "layer_conductance"])
def test_result_does_not_depend_on_batch_size(model, split, rows, method) -> None:
    few = rows[:30]

    def run(batch_size):
        if method == "layer_conductance":
            return calhouse.layer_conductance_dataset(model, few, batch_size=batch_size)
        return calhouse.attribute_dataset(
            model,
            few,
            method,
            baselines=split.X_train if method == "gradient_shap" else None,
            seed=0,
            batch_size=batch_size,
        )

    reference = run(len(few))
    for batch_size in (1, 7, None, 10_000):
        assert close(run(batch_size), reference), batch_size


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
def test_chunks_bound_every_forward_pass(model, split, rows, method, options) -> None:
    per_row = {  # network evaluations per input row in one forward pass
        "integrated_gradients": options.get("n_steps", 50),
        "noise_tunnel": 5 * 50,
        "gradient_shap": 5,
        "deeplift": 2,  # the row and its baseline
        "feature_ablation": 1,  # one pass per feature
    }[method]
    recorder = Recorder(model)
    baselines = split.X_train if method == "gradient_shap" else None
    calhouse.attribute_dataset(
        recorder, rows, method, baselines=baselines, batch_size=16, **options
    )
    assert max(recorder.batches) == 16 * per_row
    n_chunks = -(-len(rows) // 16)
    forwards_per_chunk = {"feature_ablation": 9}.get(method, 1)
    assert len(recorder.batches) == n_chunks * forwards_per_chunk
    # The default chunk never evaluates more than CHUNK_EVALUATIONS rows at once.
    recorder.batches.clear()
    default = max(1, calhouse.CHUNK_EVALUATIONS // per_row)
    many = split.X_train.repeat(2 * default // len(split.X_train) + 1, 1)[: 2 * default + 3]
    calhouse.attribute_dataset(recorder, many, method, baselines=baselines, **options)
    assert max(recorder.batches) == default * per_row <= calhouse.CHUNK_EVALUATIONS
    assert len(recorder.batches) == 3 * forwards_per_chunk


def test_layer_conductance_chunks(model, rows) -> None:
    recorder = Recorder(model)
    calhouse.layer_conductance_dataset(recorder, rows, "model.lin4", batch_size=10, n_steps=20)
    # One row first, to learn the layer's width; then 12 chunks of 10 rows x 21 points.
    assert recorder.batches == [1] + [10 * 21] * 12
    recorder.batches.clear()
    calhouse.layer_conductance_dataset(recorder, rows, "model.lin4")
    assert max(recorder.batches) <= calhouse.CHUNK_EVALUATIONS


# --- device


def test_torch_thread_count_is_restored(model, rows) -> None:
    before = torch.get_num_threads()
    calhouse.attribute_dataset(model, rows, "integrated_gradients", batch_size=7)
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="one value per row"):
        calhouse.attribute_dataset(nn.Linear(8, 3), rows, "integrated_gradients", batch_size=7)
    assert torch.get_num_threads() == before


def test_device_cpu_and_the_model_stays_where_it_is(model, rows) -> None:
    a = calhouse.attribute_dataset(model, rows, "deeplift", device="cpu")
    b = calhouse.attribute_dataset(model, rows, "deeplift", device=torch.device("cpu"))
    assert torch.equal(a, b)
    assert all(p.device.type == "cpu" for p in model.parameters())


@pytest.mark.parametrize(
    ("device", "pattern"),
    [
        ("meta", "device 'meta' holds shapes but no values"),
        ("toaster", "device must name a torch device such as 'cpu' or 'cuda:0', got 'toaster'"),
    ],
)
def test_unusable_devices(model, rows, device, pattern) -> None:
    with pytest.raises(ValueError, match=pattern):
        calhouse.attribute_dataset(model, rows, "integrated_gradients", device=device)
    with pytest.raises(ValueError, match=pattern):
        calhouse.layer_conductance_dataset(model, rows, device=device)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_unavailable_cuda_is_a_clear_error(model, rows) -> None:
    with pytest.raises(ValueError, match=r"device 'cuda' is not available on this machine \("):
        calhouse.attribute_dataset(model, rows, "integrated_gradients", device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("method", list(calhouse.METHODS))
def test_cuda_equals_cpu(model, split, rows, method) -> None:
    baselines = split.X_train if method == "gradient_shap" else None
    on_cpu = calhouse.attribute_dataset(model, rows, method, baselines=baselines)
    on_gpu = calhouse.attribute_dataset(model, rows, method, baselines=baselines, device="cuda")
    assert on_gpu.device.type == "cpu"
    assert close(on_gpu, on_cpu, rtol=1e-4)
    assert all(p.device.type == "cpu" for p in model.parameters())


# --- progress


def test_progress_bar_on_request_only(model, rows, capsys) -> None:
    calhouse.attribute_dataset(model, rows, "deeplift", progress=True)
    assert "deeplift: 100%" in capsys.readouterr().err
    calhouse.attribute_dataset(model, rows, "deeplift")  # not a terminal: no bar
    calhouse.layer_conductance_dataset(model, rows, progress=False)
    assert capsys.readouterr().err == ""


# --- bad input


def test_unknown_method(model, rows) -> None:
    with pytest.raises(
        ValueError,
        match="unknown attribution method 'shap'; expected one of 'integrated_gradients'",
    ):
        calhouse.attribute_dataset(model, rows, "shap")


@pytest.mark.parametrize(
    ("X", "error", "pattern"),
    [
        (torch.zeros(4, 7), ValueError, r"X must have shape \(n_samples, 8\) .* got \(4, 7\)"),
        (torch.zeros(0, 8), ValueError, r"X must have shape \(n_samples, 8\)"),
        (torch.zeros(4, 8, dtype=torch.float64), TypeError, "X must have dtype torch.float32"),
        (torch.full((4, 8), float("nan")), ValueError, "X must be finite"),
        (np.zeros((4, 8), dtype=np.float32), TypeError, "X must be a torch.Tensor"),
    ],
)
def test_bad_X(model, X, error, pattern) -> None:
    with pytest.raises(error, match=pattern):
        calhouse.attribute_dataset(model, X, "integrated_gradients")
    with pytest.raises(error, match=pattern):
        calhouse.layer_conductance_dataset(model, X)


@pytest.mark.parametrize("batch_size", [0, -3, 2.5, True, "64"])
def test_bad_batch_size(model, rows, batch_size) -> None:
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got"):
        calhouse.attribute_dataset(model, rows, "deeplift", batch_size=batch_size)
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got"):
        calhouse.layer_conductance_dataset(model, rows, batch_size=batch_size)


BAD_OPTIONS = [
    (
        "deeplift",
        {"n_steps": 5},
        TypeError,
        "unexpected option.* 'deeplift': n_steps; accepted: none",
    ),
    ("integrated_gradients", {"steps": 5}, TypeError, "accepted: n_steps"),
    (
        "integrated_gradients",
        {"n_steps": 0},
        ValueError,
        "n_steps must be a positive integer, got 0",
    ),
    (
        "noise_tunnel",
        {"stdevs": -1.0},
        ValueError,
        r"stdevs must be a finite float >= 0, got -1\.0",
    ),
    ("noise_tunnel", {"nt_samples": 1.5}, ValueError, "nt_samples must be a positive integer"),
    (
        "gradient_shap",
        {"stdevs": "big"},
        ValueError,
        "stdevs must be a finite float >= 0, got 'big'",
    ),
]


@pytest.mark.parametrize(
    "bad", BAD_OPTIONS, ids=[f"{m}-{next(iter(o))}" for m, o, *_ in BAD_OPTIONS]
)
def test_bad_options(model, split, rows, bad) -> None:
    method, options, error, pattern = bad
    with pytest.raises(error, match=pattern):
        calhouse.attribute_dataset(model, rows, method, baselines=split.X_train, **options)


def test_bad_baselines(model, rows) -> None:
    with pytest.raises(
        ValueError, match="gradient_shap needs baselines: a tensor of reference rows"
    ):
        calhouse.attribute_dataset(model, rows, "gradient_shap")
    with pytest.raises(
        ValueError,
        match=r"baselines must have shape \(8,\), \(1, 8\) or one row per row of X \(120, 8\), got \(5, 8\)",
    ):
        calhouse.attribute_dataset(model, rows, "deeplift", baselines=torch.zeros(5, 8))
    with pytest.raises(ValueError, match="baselines must be finite"):
        calhouse.attribute_dataset(model, rows, "deeplift", baselines=float("inf"))
    with pytest.raises(ValueError, match="baselines must be finite"):
        calhouse.attribute_dataset(
            model, rows, "gradient_shap", baselines=torch.full((3, 8), float("nan"))
        )
    with pytest.raises(TypeError, match=r"baselines must have dtype torch\.float32"):
        calhouse.layer_conductance_dataset(model, rows, baselines=torch.zeros(1, 8).double())


def test_bad_model_and_layer(model, rows) -> None:
    with pytest.raises(TypeError, match=r"model must be a torch\.nn\.Module, got function"):
        calhouse.attribute_dataset(lambda x: x.sum(1), rows, "integrated_gradients")
    two_outputs = nn.Linear(8, 2)
    with pytest.raises(
        ValueError, match=r"one value per row, shape \(.*, 1\).* returned \(.*, 2\)"
    ):
        calhouse.attribute_dataset(two_outputs, rows, "integrated_gradients")
    with pytest.raises(ValueError, match="unknown layer 'lin9'; expected one of 'lin1', 'relu1'"):
        calhouse.layer_conductance_dataset(model, rows, "lin9")
    with pytest.raises(ValueError, match="n_steps must be a positive integer, got 0"):
        calhouse.layer_conductance_dataset(model, rows, n_steps=0)


# --- maps (calhouse.plot_attribution_maps)


@pytest.fixture
def close_figures():
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


@pytest.mark.usefixtures("close_figures")
def test_maps_draw_every_district_on_a_shared_diverging_scale() -> None:
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(-124, -114, 500), rng.uniform(32.5, 42, 500)
    a, b = rng.normal(0, 1, 500), rng.normal(0, 3, 500)
    b[7] = 40.0  # an extreme district
    fig = calhouse.plot_attribution_maps(
        lon, lat, {"A": torch.tensor(a), "B": b}, mark=(-119.6, 35.6), mark_label="average"
    )
    maps = fig.axes[:2]
    assert [ax.get_title() for ax in maps] == ["A", "B"]
    limit = np.quantile(np.abs(np.concatenate([a, b])), 0.99)
    for ax, v in zip(maps, (a, b), strict=True):
        dots = ax.collections[0]
        assert len(dots.get_offsets()) == 500
        assert dots.norm.vmin == -limit
        assert dots.norm.vmax == limit
        # Drawn weakest first, so the strongest values end up on top.
        drawn = np.asarray(dots.get_array())
        np.testing.assert_array_equal(drawn, v[np.argsort(np.abs(v), kind="stable")])
        assert dots.get_cmap().name == "RdBu_r"
        star = ax.lines[0]
        assert (star.get_xdata()[0], star.get_ydata()[0]) == (-119.6, 35.6)
    assert maps[1].collections[0].get_array()[-1] == 40.0
    assert maps[0].get_aspect() == pytest.approx(1 / np.cos(np.radians(lat.mean())))
    assert maps[0].get_legend().get_texts()[0].get_text() == "average"
    colorbar = fig.axes[-1]
    assert colorbar.get_ylabel() == "attribution ($100,000)"


@pytest.mark.usefixtures("close_figures")
def test_maps_layout_and_limit() -> None:
    lon, lat = np.linspace(-124, -114, 50), np.linspace(32, 42, 50)
    fig = calhouse.plot_attribution_maps(
        lon, lat, {k: np.linspace(-1, 1, 50) for k in "abc"}, limit=0.5, ncols=2
    )
    maps = fig.axes[:4]
    assert [ax.get_visible() for ax in maps] == [True, True, True, False]
    assert maps[0].collections[0].norm.vmax == 0.5
    assert maps[2].get_xlabel() == "longitude (°)"
    assert maps[0].get_ylabel() == maps[2].get_ylabel() == "latitude (°)"


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        (
            {"latitude": np.zeros(3)},
            "longitude and latitude must have the same length, got 4 and 3",
        ),
        ({"values": {}}, "values must hold at least one map"),
        (
            {"values": {"A": np.zeros(5)}},
            r"values\['A'\] must have one value per district \(4\), got 5",
        ),
        ({"values": {"A": np.array([0, 1, np.nan, 2])}}, r"values\['A'\] must be finite"),
        ({"limit": 0.0}, "limit must be a positive number, got 0.0"),
        ({"ncols": 0}, "ncols must be a positive integer, got 0"),
    ],
)
def test_maps_reject(kwargs, pattern) -> None:
    given = {"longitude": np.zeros(4), "latitude": np.zeros(4), "values": {"A": np.zeros(4)}}
    with pytest.raises(ValueError, match=pattern):
        calhouse.plot_attribution_maps(**(given | kwargs))
