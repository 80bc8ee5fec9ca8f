"""Training reproduces the tutorial; load-or-train and the command line are safe."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import file_digest

import calhouse
from calhouse import cli
from calhouse.model import metadata_path

# The tutorial's log, to the printed precision; its first line is quoted in its text.
TUTORIAL_LOG = [
    "Epoch [1]/[200] running accumulative loss across all batches: 15496.155",
    "Epoch [21]/[200] running accumulative loss across all batches: 448.178",
    "Epoch [41]/[200] running accumulative loss across all batches: 408.678",
    "Epoch [61]/[200] running accumulative loss across all batches: 397.588",
    "Epoch [81]/[200] running accumulative loss across all batches: 341.604",
    "Epoch [101]/[200] running accumulative loss across all batches: 319.684",
    "Epoch [121]/[200] running accumulative loss across all batches: 262.656",
    "Epoch [141]/[200] running accumulative loss across all batches: 200.881",
    "Epoch [161]/[200] running accumulative loss across all batches: 195.418",
    "Epoch [181]/[200] running accumulative loss across all batches: 173.983",
]


@pytest.fixture(scope="module")
def retrained(split: calhouse.Split) -> tuple[torch.nn.Module, calhouse.TrainingResult, list[str]]:
    printed: list[str] = []
    model, result = calhouse.fit(split, "tutorial", progress=False, log=printed.append)
    return model, result, printed


def test_training_log_is_the_tutorials(retrained) -> None:
    _, result, printed = retrained
    assert list(result.log) == TUTORIAL_LOG
    assert printed == TUTORIAL_LOG
    assert len(result.epoch_losses) == 200
    assert result.epoch_losses[0] == pytest.approx(15496.155, abs=5e-4)


def test_test_rmse_is_the_tutorials(retrained, split: calhouse.Split) -> None:
    model, _, _ = retrained
    assert calhouse.rmse(model, split.X_test, split.y_test) == pytest.approx(0.65797454, abs=1e-4)


def test_retraining_gives_the_shipped_weights(retrained, model: torch.nn.Module) -> None:
    fresh, _, _ = retrained
    shipped = model.state_dict()
    assert fresh.state_dict().keys() == shipped.keys()
    for key, value in shipped.items():
        assert torch.equal(fresh.state_dict()[key], value), key


def test_retraining_rewrites_identical_files(
    retrained, split: calhouse.Split, tmp_path: Path
) -> None:
    fresh, result, _ = retrained
    spec = calhouse.MODELS["tutorial"]
    meta = calhouse.train.build_metadata(spec, split, fresh, result)
    path = calhouse.save_model(fresh, tmp_path / "m.pt", metadata=meta)
    shipped = calhouse.default_model_path()
    assert file_digest(path) == file_digest(shipped)
    written = calhouse.read_metadata(path)
    expected = calhouse.read_metadata(shipped)
    assert written is not None
    assert expected is not None
    # Library versions may differ from those that trained the shipped file.
    written.pop("versions")
    expected.pop("versions")
    assert written == expected


def test_fit_leaves_global_torch_state_alone(split: calhouse.Split) -> None:
    spec = dataclasses.replace(
        calhouse.MODELS["tutorial"], config=calhouse.TrainingConfig(epochs=1)
    )
    torch.manual_seed(7)
    np.random.seed(7)
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()
    threads = torch.get_num_threads()
    calhouse.fit(split, spec, progress=False, log=None)
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.random.get_state()[1].tolist() == np_state[1].tolist()


def test_train_model_rejects_bad_targets(split: calhouse.Split) -> None:
    model = calhouse.CaliforniaModel()
    with pytest.raises(ValueError, match=r"y_train must have shape \(420, 1\) .* got \(420,\)"):
        calhouse.train_model(model, split.X_train, split.y_train[:, 0], log=None)
    y = split.y_train.clone()
    y[3] = float("nan")
    with pytest.raises(ValueError, match="y_train must be finite"):
        calhouse.train_model(model, split.X_train, y, log=None)
    with pytest.raises(TypeError, match=r"X_train must have dtype torch\.float32"):
        calhouse.train_model(model, split.X_train.double(), split.y_train, log=None)


def test_unknown_model_name(split: calhouse.Split) -> None:
    with pytest.raises(ValueError, match="unknown model 'nope'; expected one of 'tutorial'"):
        calhouse.fit(split, "nope")


# --- load-or-train


@pytest.fixture
def quick_spec() -> calhouse.ModelSpec:
    """The tutorial's recipe cut to two epochs, to exercise the plumbing quickly."""
    return dataclasses.replace(
        calhouse.MODELS["tutorial"], config=calhouse.TrainingConfig(epochs=2)
    )


def test_load_or_train_trains_once_then_loads(
    quick_spec: calhouse.ModelSpec, split: calhouse.Split, tmp_path: Path
) -> None:
    path = tmp_path / "models" / "m.pt"
    lines: list[str] = []
    first = calhouse.load_or_train_model(quick_spec, path, split=split, log=lines.append)
    assert path.is_file()
    assert metadata_path(path).is_file()
    assert lines[0].startswith("Epoch [1]/[2] running accumulative loss")
    assert lines[-1].startswith("Finished training the model. Saved it to ")
    digest = file_digest(path)
    lines.clear()
    second = calhouse.load_or_train_model(quick_spec, path, split=split, log=lines.append)
    assert lines == [f"Loading pre-trained model from: {path}"]
    assert file_digest(path) == digest
    assert torch.equal(first.lin1.weight, second.lin1.weight)


def test_load_or_train_never_trains_over_a_damaged_file(
    quick_spec: calhouse.ModelSpec, split: calhouse.Split, tmp_path: Path
) -> None:
    path = tmp_path / "m.pt"
    path.write_bytes(b"\x00" * 100)
    with pytest.raises(calhouse.ModelFileError, match=f"{path}: not a readable"):
        calhouse.load_or_train_model(quick_spec, path, split=split, log=None)
    assert path.read_bytes() == b"\x00" * 100
    assert not metadata_path(path).exists()


def test_load_or_train_shows_the_project_relative_path(model: torch.nn.Module) -> None:
    lines: list[str] = []
    loaded = calhouse.load_or_train_model(log=lines.append)
    # Relative to the project (or to the installed package): the same on every machine.
    assert lines == ["Loading pre-trained model from: models/california_model.pt"]
    assert torch.equal(loaded.lin4.weight, model.lin4.weight)


def test_train_and_save_refuses_an_existing_file_before_training(
    quick_spec: calhouse.ModelSpec, tmp_path: Path
) -> None:
    path = tmp_path / "m.pt"
    path.write_text("keep me")
    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        calhouse.train_and_save(quick_spec, path, log=None)
    assert path.read_text() == "keep me"


# --- the command line


def test_cli_train_writes_model_and_metadata(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli.pt"
    assert cli.main(["train", "--output", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[: len(TUTORIAL_LOG)] == TUTORIAL_LOG
    assert printed[-1] == "test RMSE: 0.65797452"
    assert file_digest(out) == file_digest(calhouse.default_model_path())


def test_cli_refuses_to_overwrite_without_force(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    quick_spec: calhouse.ModelSpec,
) -> None:
    # The full recipe runs in test_cli_train_writes_model_and_metadata; two epochs
    # are enough to show what --force does.
    monkeypatch.setitem(calhouse.MODELS, "tutorial", quick_spec)
    out = tmp_path / "cli.pt"
    out.write_bytes(b"an existing file")
    assert cli.main(["train", "--output", str(out), "--quiet"]) == 2
    assert "already exists; refusing to overwrite it (use --force" in capsys.readouterr().err
    assert out.read_bytes() == b"an existing file"
    assert cli.main(["train", "--output", str(out), "--quiet", "--force"]) == 0
    meta = calhouse.read_metadata(out)
    assert meta is not None
    assert meta["training"]["epochs"] == 2
    assert meta["weights_sha256"] == file_digest(out)


def test_cli_check_confirms_the_shipped_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", "--no-retrain"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "OK"


def test_cli_rejects_unknown_model(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["train", "--model", "nope"])
    assert info.value.code == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err


# --- every shipped model: metadata consistent with the weights and the data


@pytest.mark.parametrize("name", list(calhouse.MODELS))
def test_shipped_models_match_their_metadata(name: str, raw_file: Path) -> None:
    spec = calhouse.MODELS[name]
    model = calhouse.load_or_train_model(name, log=None)
    assert isinstance(model, spec.model_class)
    meta = calhouse.read_metadata(spec.path)
    assert meta is not None
    split = calhouse.load_split(spec.n_samples, path=raw_file)
    assert meta["model"] == name
    assert meta["data"]["split_sha256"] == split.sha256
    assert meta["training"]["epochs"] == spec.config.epochs
    assert meta["weights_sha256"] == file_digest(spec.path)
    assert calhouse.rmse(model, split.X_test, split.y_test) == pytest.approx(
        meta["test_rmse"], abs=1e-7
    )


def test_standardized_model_retrains_to_the_shipped_weights(split: calhouse.Split) -> None:
    fresh, result = calhouse.fit(split, "standardized", progress=False, log=None)
    shipped = calhouse.load_or_train_model("standardized", log=None)
    for key, value in shipped.state_dict().items():
        assert torch.equal(fresh.state_dict()[key], value), key
    meta = calhouse.read_metadata(calhouse.MODELS["standardized"].path)
    assert list(result.log) == meta["loss_log"]
    # Standardising the inputs is worth more than a third of the error.
    assert meta["test_rmse"] < 0.65797454 * 0.7
