"""Every bad input to the engine gets a clear error from calhouse, before any work.

Each case names what was expected and what came; the same errors come under
``python -O`` (no check is an ``assert``), and a refused call runs the network on
one row at most (the look at its outputs), never on the table.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from calhouse import _checks, _table_checks
from calhouse import attribution as engine

N_ROWS = 5


class Counting(nn.Module):
    """A network of 4 features and ``n_outputs`` outputs that counts the rows it runs on."""

    def __init__(self, n_outputs: int = 1) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, n_outputs))
        self.rows = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.rows += x.shape[0]
        return self.net(x)


def good(**changes):
    """A good call of attribute_dataset, with ``changes`` made to its arguments."""
    kwargs = {
        "model": Counting(),
        "X": torch.randn(N_ROWS, 4),
        "method": "integrated_gradients",
    }
    return kwargs | changes


BASELINE_CASES = [
    # (changes, error, message pattern)
    ({"baselines": torch.zeros(3, 4)}, ValueError, (r"baselines must have shape \(4,\), \(1, 4\) "
     r"or one row per row of X \(5, 4\), got \(3, 4\)")),
    ({"baselines": torch.zeros(5, 3)}, ValueError, r"baselines must have shape .* got \(5, 3\)"),
    ({"baselines": torch.zeros(2, 5, 4)}, ValueError, r"got \(2, 5, 4\)"),
    ({"baselines": np.zeros(4, dtype=np.float32)}, TypeError,
     (r"baselines must be a torch.Tensor of shape .* or a number, got numpy.ndarray; "
     r"convert it with torch.as_tensor\(baselines, dtype=torch.float32\)")),
    ({"baselines": float("nan")}, ValueError, "baselines must be finite, got nan"),
    ({"baselines": float("-inf")}, ValueError, "baselines must be finite, got -inf"),
    ({"baselines": torch.tensor([0.0, float("nan"), 0.0, 0.0])}, ValueError,
     r"baselines must be finite; row 0, column 1 is nan"),
    ({"baselines": torch.zeros(1, 4, dtype=torch.float64)}, TypeError,
     r"baselines must have dtype torch.float32, got torch.float64; convert it with .float\(\)"),
    ({"baselines": torch.zeros(1, 4, device="meta")}, ValueError,
     "baselines is on the 'meta' device, which holds shapes but no values"),
    ({"baselines": "zeros"}, TypeError, "baselines must be a torch.Tensor .* got str 'zeros'"),
    ({"baselines": True}, TypeError, "baselines must be a torch.Tensor .* got bool True"),
    ({"method": "gradient_shap"}, ValueError,
     r"gradient_shap needs baselines: a tensor of reference rows of shape \(n_references, 4\)"),
    ({"method": "gradient_shap", "baselines": 0.0}, TypeError,
     r"baselines must be a tensor of reference rows of shape \(n_references, 4\)"),
    ({"method": "gradient_shap", "baselines": torch.zeros(0, 4)}, ValueError,
     r"baselines must have shape \(n_references, 4\), got \(0, 4\)"),
    ({"method": "gradient_shap", "baselines": torch.full((3, 4), float("nan"))}, ValueError,
     "baselines must be finite"),
]  # fmt: skip

OPTION_CASES = [
    ({"n_steps": 0}, ValueError, "n_steps must be a positive integer, got 0"),
    ({"n_steps": -5}, ValueError, "n_steps must be a positive integer, got -5"),
    ({"n_steps": 2.5}, ValueError, "n_steps must be a positive integer, got 2.5"),
    ({"n_steps": True}, ValueError, "n_steps must be a positive integer, got True"),
    ({"n_step": 5}, TypeError, ("integrated_gradients got an unexpected option 'n_step' "
     r"\(did you mean 'n_steps'\?\); it takes: n_steps")),
    ({"method": "noise_tunnel", "nt_samples": 0}, ValueError,
     "nt_samples must be a positive integer, got 0"),
    ({"method": "noise_tunnel", "nt_sample": 3}, TypeError,
     r"\(did you mean 'nt_samples'\?\); it takes: n_steps, nt_samples, stdevs"),
    ({"method": "noise_tunnel", "stdevs": -1.0}, ValueError,
     r"stdevs must be a finite number >= 0, got -1\.0"),
    ({"method": "noise_tunnel", "stdevs": float("nan")}, ValueError,
     "stdevs must be a finite number >= 0, got nan"),
    ({"method": "gradient_shap", "baselines": torch.zeros(3, 4), "n_samples": 0}, ValueError,
     "n_samples must be a positive integer, got 0"),
    ({"method": "gradient_shap", "baselines": torch.zeros(3, 4), "stdevs": "big"}, ValueError,
     "stdevs must be a finite number >= 0, got 'big'"),
    ({"method": "deeplift", "n_steps": 5}, TypeError,
     "deeplift got an unexpected option 'n_steps'; it takes: no options"),
    ({"method": "feature_ablation", "perturbations_per_evl": 2}, TypeError,
     "feature_ablation got an unexpected option 'perturbations_per_evl'"),
    ({"internal_batch_size": 64}, TypeError, ("internal_batch_size is Captum's own way of "
     r"splitting the work; here the rows go through in chunks already: pass batch_size")),
    ({"method": "feature_ablation", "perturbations_per_eval": 4}, TypeError,
     "perturbations_per_eval is Captum's own way"),
    ({"method": "deepLift"}, ValueError, ("unknown attribution method 'deepLift' "
     r"\(did you mean 'deeplift'\?\); expected one of 'integrated_gradients'")),
    ({"method": "layer_conductance"}, ValueError,
     r"is a layer method: use calhouse.layer_conductance_dataset\(model, X, layer\)"),
    ({"method": None}, ValueError, "unknown attribution method None"),
    ({"batch_size": 0}, ValueError, "batch_size must be a positive integer, got 0"),
    ({"batch_size": -3}, ValueError, "batch_size must be a positive integer, got -3"),
    ({"batch_size": "64"}, ValueError, "batch_size must be a positive integer, got '64'"),
    ({"seed": -1}, ValueError, r"seed must be between 0 and 2\*\*32 - 1, got -1"),
    ({"seed": 2**32}, ValueError, "seed must be between 0 and 2"),
    ({"seed": 1.5}, TypeError, "seed must be an int or None, got float 1.5"),
    ({"progress": "yes"}, TypeError, "progress must be True or False, got str 'yes'"),
    ({"device": "meta"}, ValueError, "device 'meta' holds shapes but no values"),
    ({"device": "toaster"}, ValueError,
     "device must name a torch device such as 'cpu' or 'cuda:0', got 'toaster'"),
]  # fmt: skip

MODEL_CASES = [
    ({"model": "models/california_model.pt"}, TypeError,
     (r"model must be a torch.nn.Module \(a network\), got str 'models/california_model.pt'; "
     "it looks like a file path: load the network first")),
    ({"model": Path("model.pt")}, TypeError, "it looks like a file path"),
    ({"model": print}, TypeError, "model must be a torch.nn.Module"),
    ({"model": Counting(3)}, ValueError, ("the model returns 3 outputs per row; pass target=, "
     r"the output to explain: an int in 0..2, or one per row \(a list or a 1-D integer "
     r"tensor of 5\)")),
    ({"model": nn.Linear(7, 1)}, ValueError, ("the model cannot run on the rows of X, which have "
     "4 columns: model\\(X\\[:1\\]\\) raised RuntimeError: mat1 and mat2 shapes")),
    ({"model": nn.LSTM(4, 2)}, TypeError, "the model must return a tensor, it returned tuple"),
    ({"model": nn.Bilinear(4, 4, 1)}, ValueError, "the model cannot run on the rows of X"),
    ({"model": nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))}, ValueError,
     (r"raised ValueError: Expected more than 1 value per channel when training.* \(it is in "
     r"training mode: model.eval\(\) turns that off\)")),
    ({"model": nn.Unflatten(1, (2, 2))}, ValueError,
     (r"the model must return a tensor of shape \(n_samples,\) or \(n_samples, n_outputs\); "
     r"for 1 row it returned \(1, 2, 2\)")),
]  # fmt: skip

X_CASES = [
    ({"X": torch.zeros(0, 4)}, ValueError, "X has 0 rows; at least one row is needed"),
    ({"X": torch.zeros(5, 0)}, ValueError, "X has 0 columns; at least one feature is needed"),
    ({"X": torch.zeros(5, 4, device="meta")}, ValueError,
     "X is on the 'meta' device, which holds shapes but no values"),
    ({"X": np.zeros((5, 4), dtype=np.float32)}, TypeError,
     (r"X must be a torch.Tensor of shape \(n_samples, n_features\), got numpy.ndarray; "
     r"convert it with torch.as_tensor\(X, dtype=torch.float32\)")),
    ({"X": [[0.0] * 4] * 5}, TypeError, "X must be a torch.Tensor .* got list"),
    ({"X": torch.zeros(5, 4, dtype=torch.float64)}, TypeError,
     r"X must have dtype torch.float32, got torch.float64; convert it with .float\(\)"),
    ({"X": torch.zeros(5, 4, dtype=torch.int64)}, TypeError, "X must have dtype torch.float32"),
    ({"X": torch.zeros(4)}, ValueError, (r"X must have shape \(n_samples, n_features\), got "
     r"\(4,\); for a single row use X.reshape\(1, -1\)")),
    ({"X": torch.zeros(2, 5, 4)}, ValueError, r"got \(2, 5, 4\)"),
    ({"X": torch.zeros(5, 4).to_sparse()}, TypeError,
     r"X must be a dense tensor, got layout torch.sparse_coo; convert it with .to_dense\(\)"),
    ({"X": torch.tensor([[0.0, 0, 0, 0], [0, 0, float("inf"), 0]]),
      "feature_names": ["MedInc", "HouseAge", "AveRooms", "AveBedrms"]}, ValueError,
     r"X must be finite; row 1, column 2 \(AveRooms\) is inf \(1 non-finite values in all\)"),
    ({"X": torch.zeros(5, 3), "feature_names": ["a", "b", "c", "d"]}, ValueError,
     r"X has 3 columns, but feature_names has 4 names \(a, b, c, d\)"),
    ({"feature_names": ["a", "b"]}, ValueError,
     r"X has 4 columns, but feature_names has 2 names \(a, b\)"),
    ({"feature_names": "abcd"}, TypeError, "feature_names must be a sequence of strings"),
    ({"feature_names": ["a", "b", "c", 4]}, TypeError, "feature_names must hold strings, got int 4"),
]  # fmt: skip

TARGET_CASES = [
    ({"model": Counting(3), "target": 3}, ValueError,
     r"target must be an int in 0..2, .* \(the model returns 3 outputs per row\), got 3"),
    ({"model": Counting(3), "target": -1}, ValueError, "got -1"),
    ({"model": Counting(3), "target": True}, TypeError, "target must be .* got bool True"),
    ({"model": Counting(3), "target": 1.0}, TypeError, "target must be .* got float 1.0"),
    ({"model": Counting(3), "target": (0, 1)}, TypeError,
     ("a tuple is Captum's index into a multi-dimensional output; for one target per row "
     "pass a list")),
    ({"model": Counting(3), "target": np.zeros(5, dtype=np.int64)}, TypeError,
     r"got numpy.ndarray; convert it with torch.as_tensor\(target\)"),
    ({"model": Counting(3), "target": [0, 1, 2]}, ValueError, r"got shape \(3,\)"),
    ({"model": Counting(3), "target": [0, 1, 2, 0, 1.5]}, TypeError,
     "the list holds a non-integer"),
    ({"model": Counting(3), "target": torch.tensor([0, 1, 2, 3, 0])}, ValueError,
     "got values from 0 to 3"),
    ({"model": Counting(3), "target": torch.zeros(5)}, TypeError,
     "got a tensor of dtype torch.float32"),
    ({"model": Counting(3), "target": torch.zeros(5, 1, dtype=torch.int64)}, ValueError,
     r"got shape \(5, 1\)"),
    ({"model": Counting(3), "target": torch.zeros(5, dtype=torch.int64, device="meta")},
     ValueError, "target is on the 'meta' device"),
    ({"target": 1}, ValueError, (r"target must be an int in 0..0, .* \(the model returns 1 "
     r"output per row\), got 1")),
]  # fmt: skip

CASES = BASELINE_CASES + OPTION_CASES + MODEL_CASES + X_CASES + TARGET_CASES


def case_id(case) -> str:
    changes = case[0]
    key = next(k for k in changes if k != "method") if len(changes) > 1 else next(iter(changes))
    return f"{key}={changes[key]!r}"[:40]


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_bad_input_to_attribute_dataset(case) -> None:
    changes, error, pattern = case
    kwargs = good(**changes)
    with pytest.raises(error, match=pattern):
        engine.attribute_dataset(**kwargs)
    model = kwargs["model"]
    if isinstance(model, Counting):
        assert model.rows <= 1  # at most the one-row look at the outputs


LAYER_CASES = [
    ({"layer": "net.3"}, ValueError, (r"unknown layer 'net.3' \(did you mean 'net.2'\?\); the "
     "model's submodules are 'net', 'net.0', 'net.1', 'net.2'")),
    ({"layer": nn.Linear(8, 1)}, ValueError, "layer must be a submodule of the model, got Linear"),
    ({"layer": 2}, TypeError, "layer must be a submodule of the model or its name, got int 2"),
    ({"n_steps": 0}, ValueError, "n_steps must be a positive integer, got 0"),
    ({"n_steps": -5}, ValueError, "n_steps must be a positive integer, got -5"),
    ({"attribute_to_layer_input": "yes"}, TypeError,
     "attribute_to_layer_input must be True or False, got str 'yes'"),
    ({"model": Counting(3)}, ValueError, "the model returns 3 outputs per row; pass target="),
    ({"baselines": torch.zeros(3, 4)}, ValueError, r"got \(3, 4\)"),
    ({"baselines": float("nan")}, ValueError, "baselines must be finite"),
    ({"X": torch.zeros(0, 4)}, ValueError, "X has 0 rows; at least one row is needed"),
    ({"X": torch.zeros(5, 4, device="meta")}, ValueError, "X is on the 'meta' device"),
    ({"batch_size": 0}, ValueError, "batch_size must be a positive integer, got 0"),
    ({"device": "meta"}, ValueError, "device 'meta' holds shapes but no values"),
]  # fmt: skip


@pytest.mark.parametrize("case", LAYER_CASES, ids=[case_id(c) for c in LAYER_CASES])
def test_bad_input_to_layer_conductance_dataset(case) -> None:
    changes, error, pattern = case
    changes = dict(changes)
    model = changes.pop("model", Counting())
    kwargs = {"X": torch.randn(N_ROWS, 4), "layer": "net.1"} | changes
    with pytest.raises(error, match=pattern):
        engine.layer_conductance_dataset(model, **kwargs)
    assert model.rows <= 1


def test_the_layer_module_of_another_model_is_not_a_layer_of_this_one() -> None:
    other = Counting()
    with pytest.raises(ValueError, match="layer must be a submodule of the model, got ReLU"):
        engine.layer_conductance_dataset(Counting(), torch.randn(3, 4), other.net[1])


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_unavailable_cuda_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"device 'cuda' is not available on this machine \("):
        engine.attribute_dataset(**good(device="cuda"))


def test_a_layer_that_runs_twice_is_refused() -> None:
    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = nn.Linear(2, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.linear(self.linear(x)).sum(1)

    model = Twice()
    with pytest.raises(ValueError, match="layer 'linear' ran 2 times in one forward pass"):
        engine.layer_conductance_dataset(model, torch.randn(3, 2), "linear")
    # The error came from the hook's first run, on one row: the hook is gone again.
    assert not model.linear._forward_hooks
    assert not model.linear._forward_pre_hooks


# --- the same errors under python -O

SCRIPT = """
import json, sys
import numpy as np
import torch
from torch import nn
from calhouse import attribution as engine

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
three = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
X = torch.randn(5, 4)
calls = {
    "n_steps=0": lambda: engine.attribute_dataset(model, X, "integrated_gradients", n_steps=0),
    "n_steps=-5": lambda: engine.layer_conductance_dataset(model, X, "1", n_steps=-5),
    "nt_samples=0": lambda: engine.attribute_dataset(model, X, "noise_tunnel", nt_samples=0),
    "n_samples=0": lambda: engine.attribute_dataset(
        model, X, "gradient_shap", baselines=X, n_samples=0),
    "n_step": lambda: engine.attribute_dataset(model, X, "integrated_gradients", n_step=5),
    "rows": lambda: engine.attribute_dataset(model, X, "deeplift", baselines=torch.zeros(3, 4)),
    "numpy": lambda: engine.attribute_dataset(model, X, "deeplift", baselines=np.zeros(4)),
    "nan": lambda: engine.attribute_dataset(model, X, "deeplift", baselines=float("nan")),
    "3 outputs": lambda: engine.attribute_dataset(three, X, "deeplift"),
    "path": lambda: engine.attribute_dataset("model.pt", X, "deeplift"),
    "empty": lambda: engine.attribute_dataset(model, X[:0], "deeplift"),
    "meta": lambda: engine.attribute_dataset(model, X.to("meta"), "deeplift"),
    "target": lambda: engine.attribute_dataset(three, X, "deeplift", target=7),
}
out = {}
for name, call in calls.items():
    try:
        call()
        out[name] = "no error"
    except Exception as exc:
        out[name] = f"{type(exc).__name__}: {exc}"
print(json.dumps(out))
"""


def test_the_same_errors_under_python_dash_O() -> None:
    def run(*flags: str) -> dict[str, str]:
        done = subprocess.run(
            [sys.executable, *flags, "-c", SCRIPT], capture_output=True, text=True, check=True
        )
        return json.loads(done.stdout)

    plain, optimised = run(), run("-O")
    assert optimised == plain
    assert len(plain) == 13
    for name, message in plain.items():
        assert message.split(":")[0] in ("ValueError", "TypeError"), (name, message)
    assert plain["empty"] == "ValueError: X has 0 rows; at least one row is needed"


# --- the checks themselves, for the cases the engine cannot reach


def test_checks_describe_and_suggest() -> None:
    assert _checks.describe(3) == "int 3"
    assert _checks.describe(np.zeros(2)) == "numpy.ndarray"
    assert _checks.describe("x" * 100) == "str"
    assert _checks.describe("x" * 58) == f"str '{'x' * 58}'"  # a repr of 60 characters shows
    assert _checks.describe("x" * 59) == "str"
    assert _checks.did_you_mean("stdev", ["n_steps", "stdevs"]) == " (did you mean 'stdevs'?)"
    assert _checks.did_you_mean(3, ["n_steps"]) == ""
    assert _checks.check_positive_int(np.int64(600), "n") == 600
    assert type(_checks.check_positive_int(np.int64(600), "n")) is int
    assert _checks.check_nonnegative_float(np.float32(0.5), "s") == 0.5
    assert _checks.check_seed(None) is None
    assert _checks.check_seed(np.uint32(7)) == 7
    assert _checks.check_optional_bool(None, "p") is None


def test_check_table_with_known_width() -> None:
    with pytest.raises(ValueError, match="feature_names must name each of the 3 columns, got 2"):
        _table_checks.check_feature_names(["a", "b"], 3)
    names = [f"f{i}" for i in range(10)]
    with pytest.raises(ValueError, match=r"X must have 10 columns \(f0, f1, \.\.\., f9\), got 8"):
        _table_checks.check_table(torch.zeros(2, 8), n_features=10, feature_names=names)
    six, seven = names[:6], names[:7]
    with pytest.raises(
        ValueError, match=r"^X must have 6 columns \(f0, f1, f2, f3, f4, f5\), got 8"
    ):
        _table_checks.check_table(torch.zeros(2, 8), n_features=6, feature_names=six)
    with pytest.raises(ValueError, match=r"^X must have 7 columns \(f0, f1, \.\.\., f6\), got 8"):
        _table_checks.check_table(torch.zeros(2, 8), n_features=7, feature_names=seven)
    with pytest.raises(ValueError, match=r"X must have 3 columns, got 8"):
        _table_checks.check_table(torch.zeros(2, 8), n_features=3)
    X = torch.zeros(2, 3)
    assert _table_checks.check_table(X, n_features=3) is X


def test_a_finite_table_whose_sum_overflows_is_finite() -> None:
    """The check reads the sum first; an infinite sum of finite values is no error."""
    big = torch.full((3, 2), 3e38)
    assert not torch.isfinite(big.sum())
    _table_checks.check_finite(big, "X")
    big[2, 1] = float("nan")
    with pytest.raises(ValueError, match=r"^X must be finite; row 2, column 1 is nan \(1 non"):
        _table_checks.check_finite(big, "X")


def test_check_target_forms() -> None:
    per_row = _table_checks.check_target(
        torch.tensor([2, 0], dtype=torch.int32), n_rows=2, n_outputs=3
    )
    assert per_row.dtype == torch.int64
    assert per_row.tolist() == [2, 0]
    assert _table_checks.check_target(torch.tensor(1), n_rows=2, n_outputs=3) == 1
    assert _table_checks.check_target(np.int64(2), n_rows=2, n_outputs=3) == 2
    assert _table_checks.check_target(0, n_rows=2, n_outputs=1) == 0
    with pytest.raises(ValueError, match=r"shape \(n_samples,\)\), so there is no output"):
        _table_checks.check_target(0, n_rows=2, n_outputs=None)


class NoSubmodules(nn.Module):
    """A model with weights of its own and no submodules."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(4, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.weight


def test_a_model_without_submodules_has_no_layer_to_name() -> None:
    with pytest.raises(
        ValueError, match=r"^unknown layer 'lin1'; the model's submodules are none$"
    ):
        engine.layer_conductance_dataset(NoSubmodules(), torch.randn(3, 4), "lin1")


@pytest.mark.parametrize(
    ("target", "got"),
    [(torch.tensor([True, False, True]), "a tensor of dtype torch.bool"), ("a", "str 'a'")],
)
def test_a_target_of_another_kind_is_refused_in_full(target: object, got: str) -> None:
    forms = "an int in 0..2, or one per row (a list or a 1-D integer tensor of 3)"
    with pytest.raises(TypeError) as refused:
        _table_checks.check_target(target, n_rows=3, n_outputs=3)
    assert str(refused.value) == f"target must be {forms}, got {got}"
