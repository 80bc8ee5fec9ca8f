"""Every class of bad input gets a clear error from calhouse, the same under ``python -O``.

Each call below runs in a fresh interpreter, once plainly and once with ``-O`` (which
removes ``assert`` statements, Captum's among them), in a scratch folder whose files
are hashed before and after: the error must be calhouse's own, say what was expected
and what came, be identical in both modes, and leave every file as it was.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import calhouse

# Every test reads the same two runs of all the bad inputs (a minute): one worker of pytest-xdist.
# The fixtures are session-scoped: that worker also runs other modules' tests in between,
# and pytest would tear a module-scoped fixture down at each switch and run it again.
pytestmark = [pytest.mark.usefixtures("raw_file"), pytest.mark.xdist_group("bad_input")]

SETUP = """
import json, sys, torch, numpy as np, calhouse
from calhouse import *
X = torch.rand(5, 8)
model = CaliforniaModel()
split = load_split()
"""

# (call, expected exception type, a fragment of its message)
CASES = {
    # data
    "test_size": ("load_split(test_size=1.5)", "ValueError", "strictly between 0 and 1"),
    "n_samples_float": ("load_split(600.0)", "TypeError", "whole number or None"),
    "n_samples_range": ("load_split(1)", "ValueError", "n_samples must be in [2, 20640]"),
    "data_missing": ("load_california('absent.data')", "DataFileError", "no such file"),
    "data_directory": ("load_california('.')", "DataFileError", "is a directory"),
    # model files
    "metadata_path": ("load_model('m.json')", "ValueError", "is the metadata"),
    "model_missing": ("load_model('absent.pt')", "FileNotFoundError", "no such model file"),
    "model_nan": ("load_model('nan.pt')", "ModelFileError", "NaN or infinite values"),
    "model_pickle": ("load_model('evil.pt')", "ModelFileError", "holds Python objects"),
    "model_shape": ("load_model('m.pt', torch.nn.Linear(8, 1))", "ModelFileError", "do not fit"),
    "device": ("load_model('m.pt', device='cuda:7')", "ValueError", "not available"),
    # training
    "batch_size": ("TrainingConfig(batch_size=0)", "ValueError", "positive integer, got 0"),
    "epochs": ("TrainingConfig(epochs=-5)", "ValueError", "positive integer, got -5"),
    "lr": ("TrainingConfig(lr=float('nan'))", "ValueError", "positive, finite number"),
    "targets": (
        "train_model(model, split.X_train, split.y_train[:, 0])",
        "ValueError",
        "y_train must have shape (420, 1)",
    ),
    "model_name": ("fit(split, 'tutoral')", "ValueError", "did you mean 'tutorial'?"),
    "under_a_file": (
        "train_and_save('tutorial', 'm.pt/new.pt')",
        "NotADirectoryError",
        "is a file",
    ),
    "existing": ("train_and_save('tutorial', 'm.pt')", "FileExistsError", "refusing to overwrite"),
    # attribution
    "method": ("attribute_dataset(model, X, 'integrated_gradient')", "ValueError", "did you mean"),
    "n_steps": (
        "attribute_dataset(model, X, 'integrated_gradients', n_steps=0)",
        "ValueError",
        "n_steps",
    ),
    "nt_samples": (
        "attribute_dataset(model, X, 'noise_tunnel', nt_samples=0)",
        "ValueError",
        "nt_samples",
    ),
    "misspelt": (
        "attribute_dataset(model, X, 'integrated_gradients', n_step=5)",
        "TypeError",
        "n_steps",
    ),
    "empty": ("attribute_dataset(model, X[:0], 'deeplift')", "ValueError", "0 rows"),
    "nan_baseline": (
        "attribute_dataset(model, X, 'deeplift', baselines=float('nan'))",
        "ValueError",
        "finite",
    ),
    "path_as_model": ("attribute_dataset('m.pt', X, 'deeplift')", "TypeError", "torch.nn.Module"),
    "meta": ("attribute_dataset(model, X.to('meta'), 'deeplift')", "ValueError", "meta"),
    "three_outputs": (
        "attribute_dataset(torch.nn.Linear(8, 3), X, 'integrated_gradients')",
        "ValueError",
        "target",
    ),
    "layer": ("layer_conductance_dataset(model, X, 'lin5')", "ValueError", "lin4"),
    "conductance_steps": (
        "layer_conductance_dataset(model, X, 'lin4', n_steps=0)",
        "ValueError",
        "n_steps",
    ),
}

RUNNER = (
    SETUP
    + """
cases = json.loads(sys.argv[1])
for name, call in cases.items():
    try:
        eval(call)
    except Exception as exc:
        print(json.dumps([name, type(exc).__name__, str(exc)]))
    else:
        print(json.dumps([name, None, "no error"]))
"""
)


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a good model file, its metadata, and broken ones."""
    import torch

    folder = tmp_path_factory.mktemp("bad-input")
    shipped = calhouse.MODELS["tutorial"].path
    shutil.copyfile(shipped, folder / "m.pt")
    shutil.copyfile(shipped.with_suffix(".json"), folder / "m.json")
    model = calhouse.CaliforniaModel()
    with torch.no_grad():
        model.lin1.weight[0, 0] = float("nan")
    torch.save(model.state_dict(), folder / "nan.pt")

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (print, ("ran code",))

    torch.save({"lin1.weight": Payload()}, folder / "evil.pt")
    return folder


@pytest.fixture(scope="session")
def runs(scratch: Path) -> dict[str, dict[str, list[str]]]:
    """What each call raised, plainly and under ``python -O``; files checked unchanged."""
    calls = json.dumps({name: call for name, (call, _, _) in CASES.items()})
    found = {}
    for mode, flags in (("plain", []), ("optimized", ["-O"])):
        before = _digests(scratch)
        result = subprocess.run(
            [sys.executable, *flags, "-c", RUNNER, calls],
            cwd=scratch,
            capture_output=True,
            text=True,
            check=True,
        )
        assert _digests(scratch) == before, f"a refused call changed or wrote a file ({mode})"
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        found[mode] = {name: [kind, message] for name, kind, message in rows}
    return found


@pytest.mark.parametrize("mode", ["plain", "optimized"])
@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_gets_a_clear_error(
    name: str, mode: str, runs: dict[str, dict[str, list[str]]]
) -> None:
    _, kind, fragment = CASES[name]
    got_kind, message = runs[mode][name]
    assert got_kind == kind, message
    assert fragment in message


def test_python_O_gives_the_same_errors(runs: dict[str, dict[str, list[str]]]) -> None:
    assert runs["optimized"] == runs["plain"]
