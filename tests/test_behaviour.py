"""Training's behaviour, the same on every processor: what the recipe does, not its bytes.

The bit-exact reproduction tests (tests/test_train.py) retrain the shipped models in
full, and on another processor they fail whatever the bug. These run in seconds and
check what a developer could get wrong: that the loop updates the weights with the
recipe's optimizer, learning rate and loss, shuffles, logs the epochs it says, leaves
the model in eval mode, and that what goes into a model's metadata is the recipe the
code uses and the numbers the training gave.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import math
import platform
import sys
from pathlib import Path

import pytest
import torch
from conftest import file_digest

import calhouse
from calhouse import _metadata, _pinned, shipped
from calhouse.train import TrainingConfig, TrainingResult

pytestmark = pytest.mark.usefixtures("raw_file")


def _tiny_split(n: int = 30) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    X = torch.rand(n, 8, generator=generator)
    y = X @ torch.linspace(-1, 1, 8).unsqueeze(1) + 0.5
    return X, y


def _model(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return calhouse.CaliforniaModel()


# --- the loop


def test_one_full_batch_epoch_is_one_rmsprop_step_on_the_summed_squared_error() -> None:
    X, y = _tiny_split()
    model = _model()
    expected = copy.deepcopy(model)
    optimizer = torch.optim.RMSprop(expected.parameters(), lr=0.01)
    loss = ((expected(X) - y) ** 2).sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    config = TrainingConfig(epochs=1, batch_size=len(X), lr=0.01)
    result = calhouse.train_model(model, X, y, config, progress=False)
    # The logged loss is the one before the step, summed over the batch.
    assert result.epoch_losses == pytest.approx((loss.item(),), rel=1e-6)
    for name, value in expected.state_dict().items():
        torch.testing.assert_close(model.state_dict()[name], value, rtol=1e-5, atol=1e-7)


def test_every_batch_of_an_epoch_takes_a_step_and_its_loss_is_summed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    X, y = _tiny_split()
    model = _model()
    expected = copy.deepcopy(model)
    optimizer = torch.optim.RMSprop(expected.parameters(), lr=1e-3)
    total = 0.0
    for rows in (slice(0, 10), slice(10, 20), slice(20, 30)):
        loss = ((expected(X[rows]) - y[rows]) ** 2).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()

    # The batch order is drawn from torch's generator: make it the identity.
    def identity(n: int, *_args: object, **_kwargs: object) -> torch.Tensor:
        assert n == 30
        return torch.arange(n)

    monkeypatch.setattr(torch, "randperm", identity)
    config = TrainingConfig(epochs=1, batch_size=10, lr=1e-3)
    result = calhouse.train_model(model, X, y, config, progress=False)
    assert result.epoch_losses == pytest.approx((total,), rel=1e-5)
    for name, value in expected.state_dict().items():
        torch.testing.assert_close(model.state_dict()[name], value, rtol=1e-4, atol=1e-6)


def test_batches_are_shuffled_with_torchs_generator() -> None:
    X, y = _tiny_split()
    config = TrainingConfig(epochs=2, batch_size=4, lr=1e-3)
    weights = []
    for seed in (0, 0, 1):
        model = _model()
        torch.manual_seed(seed)
        calhouse.train_model(model, X, y, config, progress=False)
        weights.append(model.lin1.weight.detach().clone())
    assert torch.equal(weights[0], weights[1])
    assert not torch.equal(weights[0], weights[2])


def test_the_loss_falls_and_the_model_is_left_in_eval_mode() -> None:
    X, y = _tiny_split(60)
    model = _model()
    model.train()
    before = copy.deepcopy(model.state_dict())
    result = calhouse.train_model(
        model, X, y, TrainingConfig(epochs=30, batch_size=10, lr=1e-3), progress=False
    )
    assert not model.training
    assert all(not m.training for m in model.modules())
    assert len(result.epoch_losses) == 30
    assert result.epoch_losses[-1] < result.epoch_losses[0] / 4
    changed = [k for k, v in model.state_dict().items() if not torch.equal(v, before[k])]
    assert changed == list(before)


@pytest.mark.parametrize(("epochs", "log_every", "logged"), [(5, 2, [1, 3, 5]), (4, 20, [1])])
def test_the_log_names_the_epochs_it_says(epochs: int, log_every: int, logged: list[int]) -> None:
    X, y = _tiny_split()
    lines: list[str] = []
    config = TrainingConfig(epochs=epochs, batch_size=10, log_every=log_every)
    result = calhouse.train_model(_model(), X, y, config, progress=False, log=lines.append)
    assert lines == list(result.log)
    assert [line.split(" running")[0] for line in lines] == [
        f"Epoch [{e}]/[{epochs}]" for e in logged
    ]
    for line, epoch in zip(lines, logged, strict=True):
        loss = result.epoch_losses[epoch - 1]
        assert line.endswith(f"running accumulative loss across all batches: {loss:.3f}")
    assert calhouse.train_model(_model(), X, y, config, progress=False).log == result.log


def test_training_result_repr() -> None:
    result = TrainingResult(epoch_losses=(3.14159, 2.5, 1.0), log=("a",))
    assert repr(result) == "TrainingResult(epochs=3, first_loss=3.142, last_loss=1.000)"


def test_the_progress_bar_is_on_request(capsys: pytest.CaptureFixture[str]) -> None:
    X, y = _tiny_split()
    config = TrainingConfig(epochs=2, batch_size=10)
    calhouse.train_model(_model(), X, y, config, progress=True)
    err = capsys.readouterr().err
    assert "training" in err
    assert "2/2" in err
    assert "epoch" in err
    calhouse.train_model(_model(), X, y, config, progress=False)
    calhouse.train_model(_model(), X, y, config)  # None: only on a terminal
    assert capsys.readouterr() == ("", "")


def test_train_model_checks_its_arguments() -> None:
    X, y = _tiny_split()
    with pytest.raises(TypeError, match=r"model must be a torch\.nn\.Module, got str"):
        calhouse.train_model("model.pt", X, y)
    with pytest.raises(TypeError, match=r"config must be a calhouse\.TrainingConfig, got dict"):
        calhouse.train_model(_model(), X, y, {"epochs": 1})
    with pytest.raises(TypeError, match=r"y_train must be a float32 torch\.Tensor"):
        calhouse.train_model(_model(), X, y.numpy())
    with pytest.raises(ValueError, match=r"y_train must have shape \(30, 1\) to match X_train"):
        calhouse.train_model(_model(), X, y[:29])


def test_training_config_normalises_and_bounds_its_values() -> None:
    import numpy as np

    config = TrainingConfig(epochs=np.int64(3), lr=1, seed=np.uint32(2**32 - 1))
    assert (config.epochs, config.lr, config.seed) == (3, 1.0, 2**32 - 1)
    assert type(config.epochs) is int
    assert type(config.lr) is float
    assert type(config.seed) is int
    assert TrainingConfig(seed=0).seed == 0
    assert TrainingConfig(epochs=1, batch_size=1, log_every=1).batch_size == 1
    for bad in (2**32, True, 1.5):
        with pytest.raises(ValueError, match="seed must be an integer"):
            TrainingConfig(seed=bad)
    for bad in (math.inf, -1e-4, True, "0.1"):
        with pytest.raises(ValueError, match="lr must be a positive, finite number"):
            TrainingConfig(lr=bad)
    assert TrainingConfig() == TrainingConfig(
        epochs=200, batch_size=10, lr=1e-4, seed=1234, log_every=20
    )


# --- the error measure


def test_rmse_is_the_root_of_the_mean_squared_error() -> None:
    model = torch.nn.Linear(8, 1)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.fill_(1.0)
    X = torch.zeros(4, 8)
    y = torch.tensor([[1.0], [2.0], [3.0], [5.0]])  # errors 0, -1, -2, -4
    assert calhouse.rmse(model, X, y) == pytest.approx(math.sqrt(21 / 4), rel=1e-12)
    assert calhouse.rmse(model, X, y.reshape(-1)) == calhouse.rmse(model, X, y)
    with pytest.raises(
        ValueError, match=r"^y must be a tensor of shape \(4, 1\) to match X, got \(3, 1\)$"
    ):
        calhouse.rmse(model, X, y[:3])
    with pytest.raises(ValueError, match=r"got list"):
        calhouse.rmse(model, X, [1.0, 2.0, 3.0, 5.0])


# --- the recipe in the metadata is the code's


@pytest.mark.parametrize("name", list(calhouse.MODELS))
def test_metadata_built_from_a_shipped_model_is_its_metadata(name: str) -> None:
    spec = calhouse.MODELS[name]
    recorded = calhouse.read_metadata(spec.path)
    assert recorded is not None
    split = calhouse.load_split(spec.n_samples)
    model = calhouse.load_model(spec.path, spec.model_class())
    result = TrainingResult(tuple(recorded["epoch_losses"]), tuple(recorded["loss_log"]))
    built = shipped.build_metadata(spec, split, model, result)
    assert built["test_rmse"] == pytest.approx(recorded["test_rmse"], abs=1e-6)
    assert built["versions"]["torch"] == torch.__version__.split("+")[0] or built["versions"][
        "torch"
    ].startswith(torch.__version__.split("+")[0])
    assert set(built["versions"]) == set(recorded["versions"])
    assert built["versions"]["python"] == platform.python_version()
    assert built["arithmetic"]["pinned"] is _pinned.is_pinned()
    assert built["arithmetic"]["machine"] == platform.machine()
    assert built["arithmetic"]["environment"] == recorded["arithmetic"]["environment"]
    for key in ("test_rmse", "versions", "arithmetic", "weights_sha256"):
        built.pop(key, None)
        recorded.pop(key, None)
    assert built == recorded


def test_metadata_in_a_pinned_process_says_so(
    split: calhouse.Split, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = calhouse.MODELS["tutorial"]
    recorded = calhouse.read_metadata(spec.path)
    model = calhouse.load_model(spec.path)
    result = TrainingResult(tuple(recorded["epoch_losses"]), tuple(recorded["loss_log"]))
    monkeypatch.setattr(_pinned, "is_pinned", lambda: True)
    built = shipped.build_metadata(spec, split, model, result)
    assert built["arithmetic"] == {**recorded["arithmetic"], "machine": platform.machine()}
    assert built["test_rmse"] == pytest.approx(recorded["test_rmse"], abs=1e-7)
    monkeypatch.setattr(_pinned, "is_pinned", lambda: False)
    unpinned = shipped.build_metadata(spec, split, model, result)["arithmetic"]
    assert unpinned["pinned"] is False
    assert unpinned["linear_layers"] == "torch.nn.Linear (BLAS)"


def test_the_command_in_the_metadata_retrains_the_same_recipe() -> None:
    tutorial = calhouse.MODELS["tutorial"]
    assert _metadata.command(tutorial) == "calhouse train --model tutorial"
    assert _metadata.command(tutorial.with_seed(7)) == "calhouse train --model tutorial --seed 7"
    assert tutorial.with_seed(None) is tutorial
    short = dataclasses.replace(
        tutorial, config=dataclasses.replace(tutorial.config, epochs=3, seed=9)
    )
    assert _metadata.command(short) == "calhouse train --model tutorial --seed 9 --epochs 3"
    full = calhouse.MODELS["full"]
    assert _metadata.command(full.with_seed(1234)) == "calhouse train --model full"
    assert _metadata.command(full.with_seed(1)) == "calhouse train --model full --seed 1"


def test_the_shipped_recipes() -> None:
    tutorial, standardized, full = (
        calhouse.MODELS[n] for n in ("tutorial", "standardized", "full")
    )
    assert tutorial.config == TrainingConfig()
    assert (tutorial.n_samples, standardized.n_samples, full.n_samples) == (600, 600, None)
    assert standardized.config == TrainingConfig()
    assert full.config == TrainingConfig(epochs=60, batch_size=32, lr=1e-3, log_every=10)
    assert tutorial.model_class is calhouse.CaliforniaModel
    assert standardized.model_class is full.model_class is calhouse.StandardizedCaliforniaModel
    assert tutorial.path == calhouse.model.models_dir() / "california_model.pt"
    assert full.path.name == "california_model_full.pt"


def test_a_recipe_builds_its_model_from_the_training_split(split: calhouse.Split) -> None:
    model = calhouse.MODELS["standardized"].new_model(split)
    assert isinstance(model, calhouse.StandardizedCaliforniaModel)
    torch.testing.assert_close(model.mean, split.X_train.mean(0))
    torch.testing.assert_close(model.scale, split.X_train.std(0, correction=0))
    assert type(calhouse.MODELS["tutorial"].new_model(split)) is calhouse.CaliforniaModel


@pytest.mark.parametrize(
    ("given", "name"),
    [("tutorial", "tutorial"), (" Standardised ", "standardized"), ("DEFAULT", "tutorial")],
)
def test_model_names(given: str, name: str) -> None:
    assert shipped.get_spec(given) is calhouse.MODELS[name]
    assert shipped.get_spec(calhouse.MODELS[name]) is calhouse.MODELS[name]


def test_unknown_model_names() -> None:
    with pytest.raises(
        ValueError,
        match=r"unknown model 'zzz'; expected one of 'tutorial', 'standardized', 'full'$",
    ):
        shipped.get_spec("zzz")
    with pytest.raises(ValueError, match=r"did you mean 'standardized'\?"):
        shipped.get_spec("standardise")
    with pytest.raises(TypeError, match=r"model must be a name \('tutorial', .*\), got int"):
        shipped.get_spec(3)


def test_fit_trains_the_recipe_with_its_seed(split: calhouse.Split) -> None:
    spec = dataclasses.replace(
        calhouse.MODELS["tutorial"], config=TrainingConfig(epochs=2, seed=11)
    )
    model, result = calhouse.fit(split, spec)
    torch.manual_seed(11)
    expected = calhouse.CaliforniaModel()
    calhouse.train_model(expected, split.X_train, split.y_train, spec.config, progress=False)
    assert torch.equal(model.lin1.weight, expected.lin1.weight)
    other, _ = calhouse.fit(split, spec, seed=12)
    assert not torch.equal(other.lin1.weight, model.lin1.weight)
    assert len(result.epoch_losses) == 2
    with pytest.raises(TypeError, match=r"split must be a calhouse\.Split"):
        calhouse.fit((split.X_train, split.y_train), spec)


# --- training in a pinned process, and saving


def _pretend_pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the pinned process's code here (its arithmetic is checked by test_train.py)."""
    monkeypatch.setattr(_pinned, "is_pinned", lambda: True)


def test_the_pinned_process_trains_the_recipe_and_saves_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pretend_pinned(monkeypatch)
    path = tmp_path / "m.pt"
    lines: list[str] = []
    shipped._train_here(
        name="standardized",
        path=str(path),
        seed=5,
        epochs=2,
        overwrite=False,
        progress=False,
        log=lines.append,
    )
    meta = calhouse.read_metadata(path)
    assert meta["model"] == "standardized"
    assert meta["training"]["seed"] == 5
    assert meta["training"]["epochs"] == 2
    assert meta["command"] == "calhouse train --model standardized --seed 5 --epochs 2"
    assert meta["loss_log"] == lines
    assert len(lines) == 1
    assert lines[0].startswith("Epoch [1]/[2] ")
    assert meta["weights_sha256"] == file_digest(path)
    calhouse.load_model(path, calhouse.StandardizedCaliforniaModel())
    with pytest.raises(FileExistsError):
        shipped._train_here(
            name="standardized", path=str(path), seed=5, epochs=2, overwrite=False, progress=False
        )


def test_train_and_save_in_a_pinned_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _pretend_pinned(monkeypatch)
    path = tmp_path / "m.pt"
    model, meta = calhouse.train_and_save("tutorial", path, seed=3, epochs=2, progress=False)
    assert not model.training
    assert meta == calhouse.read_metadata(path)
    assert meta["training"]["seed"] == 3
    assert meta["training"]["epochs"] == 2
    saved = calhouse.load_model(path)
    assert torch.equal(saved.lin4.weight, model.lin4.weight)
    assert capsys.readouterr() == ("", "")  # no log asked for, no progress bar
    path.write_bytes(b"mine")
    model, meta = calhouse.train_and_save("tutorial", path, epochs=1, overwrite=True)
    assert meta["training"]["seed"] == 1234
    assert meta["training"]["epochs"] == 1


def test_train_and_save_starts_a_pinned_process_with_the_recipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_pinned, "is_pinned", lambda: False)
    calls = []

    def fake_child(function: str, kwargs: dict, *, on_line=None):
        calls.append((function, dict(kwargs), on_line))
        with monkeypatch.context() as inner:
            inner.setattr(_pinned, "is_pinned", lambda: True)
            shipped._train_here(**kwargs, log=on_line)
        return __import__("subprocess").CompletedProcess([], 0, "", "")

    monkeypatch.setattr(_pinned, "run_pinned", fake_child)
    path = tmp_path / "m.pt"
    lines: list[str] = []
    _, meta = calhouse.train_and_save(
        "standardised", path, seed=4, epochs=1, overwrite=False, progress=False, log=lines.append
    )
    ((function, kwargs, on_line),) = calls
    assert function == "calhouse.shipped:_train_here"
    assert kwargs == {
        "name": "standardized",
        "path": str(path),
        "seed": 4,
        "epochs": 1,
        "overwrite": False,
        "progress": False,
    }
    assert on_line == lines.append
    assert meta["loss_log"] == lines
    assert meta["data"]["n_samples"] == 600  # the recipe's rows, not the whole table


def test_training_in_the_pinned_process_shows_its_bar_on_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_pinned, "is_pinned", lambda: True)
    for progress in (True, False):
        path = tmp_path / f"{progress}.pt"
        shipped._train_here(
            name="tutorial", path=str(path), seed=1, epochs=1, overwrite=False, progress=progress
        )
        err = capsys.readouterr().err
        # The bar's label, and its unit in the rate (epoch/s, or s/epoch when slow).
        shown = "training: 100%" in err and ("epoch/s" in err or "s/epoch" in err)
        assert shown is progress


def test_a_failed_pinned_process_is_one_error_with_its_last_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    monkeypatch.setattr(_pinned, "is_pinned", lambda: False)
    stderr = "Traceback (most recent call last):\n  ...\nValueError: out of memory\n"
    monkeypatch.setattr(
        _pinned,
        "run_pinned",
        lambda *_a, **_k: subprocess.CompletedProcess([], 3, "", stderr),
    )
    with pytest.raises(
        RuntimeError,
        match=r"^the pinned training process failed \(exit status 3\): ValueError: out of memory$",
    ):
        calhouse.train_and_save("tutorial", tmp_path / "m.pt", epochs=1)
    monkeypatch.setattr(
        _pinned, "run_pinned", lambda *_a, **_k: subprocess.CompletedProcess([], 1, "", "")
    )
    with pytest.raises(RuntimeError, match=r"failed \(exit status 1\)$"):
        calhouse.train_and_save("tutorial", tmp_path / "m.pt", epochs=1)
    assert list(tmp_path.iterdir()) == []


def test_run_pinned_starts_a_pinned_process_and_passes_its_output_on(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PYTHONUNBUFFERED", "PYTHONIOENCODING"):  # run_pinned sets them, not us
        monkeypatch.delenv(name, raising=False)
    lines: list[str] = []
    command = (
        "echo $ATEN_CPU_CAPABILITY $OMP_NUM_THREADS $MKL_NUM_THREADS $PYTHONUNBUFFERED "
        "$PYTHONIOENCODING; echo 'second line  '; echo MAX; echo to stderr >&2; "
        "printf 'not UTF-8: \\377\\n' >&2; printf 'cut: \\303' >&2; exit 3"
    )
    child = _pinned.run_pinned("os:system", {"command": command}, on_line=lines.append)
    assert lines == ["default 1 1 1 utf-8", "second line  ", "MAX"]  # only the newline goes
    assert child.stdout == "default 1 1 1 utf-8\nsecond line  \nMAX\n"
    assert child.stderr == "to stderr\nnot UTF-8: \ufffd\ncut: \ufffd"
    assert child.returncode == 0  # os.system returned the shell's status; python exited 0
    assert child.args[0] == sys.executable
    assert child.args[-2] == "os:system"
    assert capfd.readouterr().err == "to stderr\nnot UTF-8: \ufffd\ncut: \ufffd"
    failed = _pinned.run_pinned("os:_exit", {"status": 4})
    assert failed.returncode == 4


def test_run_pinned_shows_the_childs_progress_while_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child reports to stderr, then waits (up to 15 s) until the report has been shown.

    The wait bounds how long a broken reader hangs the test (each mutant of
    run_pinned that shows nothing costs that much in ``nox -s mutants``); a working
    one shows the report within milliseconds, even on a busy machine.
    """
    marker = tmp_path / "shown"
    report = "epoch 1 " + "." * 600  # longer than one read of the pipe
    shown: list[str] = []

    class Terminal(io.StringIO):
        def write(self, text: str) -> int:
            shown.append(text)
            if report in "".join(shown):
                marker.touch()
            return len(text)

    monkeypatch.setattr(sys, "stderr", Terminal())
    command = (
        f"echo {report} >&2; for i in $(seq 150); do "
        f"if [ -e {marker} ]; then echo epoch 2 >&2; echo went on; exit 0; fi; sleep 0.1; "
        "done; echo gave up"
    )
    child = _pinned.run_pinned("os:system", {"command": command})
    assert child.stdout == "went on\n"
    # Both reports, read apart (the second came after the first was shown), in order.
    assert "".join(shown) == child.stderr == report + "\nepoch 2\n"


def test_load_or_train_trains_the_tutorials_missing_file_in_a_source_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no arguments: the tutorial's model, trained where the shipped file belongs."""
    monkeypatch.setattr(shipped, "models_dir", lambda: tmp_path)
    calls = []

    def fake_training(name: str, path: Path, **_kwargs: object):
        calls.append((name, path))
        model = calhouse.CaliforniaModel()
        calhouse.save_model(model, path)
        return model.train(), {}

    monkeypatch.setattr(shipped, "train_and_save", fake_training)
    model = calhouse.load_or_train_model()
    assert calls == [("tutorial", tmp_path / "california_model.pt")]
    assert isinstance(model, calhouse.CaliforniaModel)
    assert not model.training


def test_load_or_train_trains_a_missing_file_and_loads_an_existing_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pretend_pinned(monkeypatch)
    calls = []
    real = shipped.train_and_save

    def short(name: str, path: Path, **kwargs: object):
        calls.append((name, path, kwargs))
        return real(name, path, epochs=1, **kwargs)

    monkeypatch.setattr(shipped, "train_and_save", short)
    path = tmp_path / "m.pt"
    lines: list[str] = []
    model = calhouse.load_or_train_model("standardized", path, log=lines.append, progress=False)
    assert calls == [("standardized", path, {"progress": False, "log": lines.append})]
    assert isinstance(model, calhouse.StandardizedCaliforniaModel)
    assert not model.training
    assert lines[0].startswith("Epoch [1]/[1] ")
    lines.clear()
    again = calhouse.load_or_train_model("standardized", str(path), log=lines.append)
    assert lines == [f"Loading pre-trained model from: {path}"]
    assert torch.equal(again.lin1.weight, model.lin1.weight)
    assert len(calls) == 1


def test_train_and_save_defaults_to_the_tutorial_and_no_bar_off_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    monkeypatch.setattr(_pinned, "is_pinned", lambda: False)
    calls: list[dict] = []

    def no_child(_function: str, kwargs: dict, *, on_line=None):  # noqa: ARG001
        calls.append(dict(kwargs))
        return subprocess.CompletedProcess([], 1, "", "stopped here\n")

    monkeypatch.setattr(_pinned, "run_pinned", no_child)
    with pytest.raises(RuntimeError, match="stopped here"):
        calhouse.train_and_save(path=tmp_path / "m.pt")  # pytest's stderr is no terminal
    assert calls[0]["name"] == "tutorial"
    assert calls[0]["progress"] is False


def test_the_installed_package_never_writes_into_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A package directory with models/ in it is an installed wheel; a source checkout has none."""
    package = tmp_path / "site-packages" / "calhouse"
    (package / "models").mkdir(parents=True)
    monkeypatch.setattr(shipped, "__file__", str(package / "shipped.py"))
    inside = package / "models" / "mine.pt"
    with pytest.raises(ValueError, match="never writes into itself") as refused:
        calhouse.train_and_save("tutorial", inside, epochs=1)
    assert str(refused.value) == (
        f"{inside} is inside the installed calhouse package, which never writes into itself; "
        "choose a file elsewhere"
    )
    monkeypatch.setattr(shipped, "models_dir", lambda: package / "models")
    with pytest.raises(ValueError, match="are read-only to it") as refused:
        calhouse.train_and_save("tutorial", epochs=1)
    assert str(refused.value) == (
        f"calhouse is installed, and its shipped weights ({package / 'models'}) are read-only "
        "to it; give a destination (path=..., or --output FILE on the command line)"
    )
    assert sorted(p.name for p in package.rglob("*")) == ["models"]
    # Without models/ beside it, the folder is a source checkout: saving there is allowed
    # (checked as far as the destination; no training runs here).
    (package / "models").rmdir()
    assert shipped._destination(shipped.get_spec("tutorial"), inside, False) == inside


def test_fit_defaults_to_the_tutorials_recipe_and_passes_its_options_on(
    split: calhouse.Split, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def recorded(model, X, y, config, *, progress=None, log=None):  # noqa: ARG001
        calls.append((config, progress, log))
        return "trained"

    monkeypatch.setattr(shipped, "train_model", recorded)
    lines: list[str] = []
    model, result = calhouse.fit(split, progress=True, log=lines.append)
    assert result == "trained"
    assert type(model) is calhouse.CaliforniaModel
    assert calls == [(calhouse.MODELS["tutorial"].config, True, lines.append)]
    with pytest.raises(TypeError) as refused:
        calhouse.fit("split.csv")
    assert str(refused.value) == "split must be a calhouse.Split (load_split()), got str"


def test_versions_name_a_missing_distribution_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    def version(dist: str) -> str:
        if dist == "captum":
            raise metadata.PackageNotFoundError(dist)
        return "1.0"

    monkeypatch.setattr(metadata, "version", version)
    found = _metadata.versions()
    assert found["captum"] == "unknown"
    assert found["torch"] == "1.0"


def test_the_recorded_rmse_is_in_ordinary_arithmetic_outside_a_pinned_process(
    split: calhouse.Split,
) -> None:
    if _pinned.is_pinned():
        pytest.skip("this test process was itself started in pinned arithmetic")
    model = calhouse.load_model()
    assert _metadata.pinned_rmse(model, split) == calhouse.rmse(model, split.X_test, split.y_test)


def test_an_installed_package_finds_its_models_inside_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site-packages" / "calhouse"
    (package / "models").mkdir(parents=True)
    monkeypatch.setattr(calhouse.model, "__file__", str(package / "model.py"))
    assert calhouse.model.models_dir() == package / "models"
    (package / "models").rmdir()  # a source checkout: the project's models/ beside the package
    assert calhouse.model.models_dir() == tmp_path / "site-packages" / "models"


def test_a_process_on_the_portable_kernels_counts_as_pinned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "DEFAULT")
    assert _pinned.is_pinned()
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX2")
    assert not _pinned.is_pinned()


def test_the_command_of_a_recipe_of_ones_own_names_it() -> None:
    mine = dataclasses.replace(calhouse.MODELS["tutorial"], name="mine")
    assert _metadata.command(mine) == "calhouse train --model mine"
