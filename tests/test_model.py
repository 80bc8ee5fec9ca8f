"""The network, the shipped weights, and safe loading and saving."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import pytest
import torch
from conftest import file_digest
from torch import nn

import calhouse
from calhouse.model import metadata_path


class TutorialModel(nn.Module):
    """The tutorial notebook's class, written out independently."""

    def __init__(self) -> None:
        super().__init__()
        self.lin1 = nn.Linear(8, 100)
        self.relu1 = nn.ReLU()
        self.lin2 = nn.Linear(100, 50)
        self.relu2 = nn.ReLU()
        self.lin3 = nn.Linear(50, 10)
        self.relu3 = nn.ReLU()
        self.lin4 = nn.Linear(10, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lin4(self.relu3(self.lin3(self.relu2(self.lin2(self.relu1(self.lin1(x)))))))


def test_architecture() -> None:
    model = calhouse.CaliforniaModel()
    names = [name for name, _ in model.named_children()]
    assert names == ["lin1", "relu1", "lin2", "relu2", "lin3", "relu3", "lin4"]
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes == {
        "lin1.weight": (100, 8),
        "lin1.bias": (100,),
        "lin2.weight": (50, 100),
        "lin2.bias": (50,),
        "lin3.weight": (10, 50),
        "lin3.bias": (10,),
        "lin4.weight": (1, 10),
        "lin4.bias": (1,),
    }
    assert all(isinstance(getattr(model, f"relu{i}"), nn.ReLU) for i in (1, 2, 3))
    assert model(torch.zeros(5, 8)).shape == (5, 1)


def test_shipped_model_loads_into_the_tutorials_own_class(split: calhouse.Split) -> None:
    state = torch.load(calhouse.MODELS["tutorial"].path, weights_only=True)
    tutorial = TutorialModel()
    tutorial.load_state_dict(state)
    tutorial.eval()
    assert calhouse.rmse(tutorial, split.X_test, split.y_test) == pytest.approx(
        0.65797454, abs=1e-4
    )


def test_shipped_model_and_metadata(model: nn.Module, split: calhouse.Split) -> None:
    path = calhouse.MODELS["tutorial"].path
    assert path.name == "california_model.pt"
    meta = calhouse.read_metadata(path)
    assert meta is not None
    assert meta["weights_sha256"] == file_digest(path)
    assert meta["data"]["dataset_sha256"] == split.data_sha256
    assert meta["data"]["split_sha256"] == split.sha256
    assert meta["training"] == {
        "epochs": 200,
        "batch_size": 10,
        "lr": 1e-4,
        "seed": 1234,
        "log_every": 20,
        "optimizer": "RMSprop",
        "loss": "MSELoss(reduction='sum')",
        "shuffle": True,
    }
    # Recorded in pinned arithmetic; this process's BLAS sums in its own order.
    assert meta["test_rmse"] == pytest.approx(
        calhouse.rmse(model, split.X_test, split.y_test), abs=1e-6
    )
    assert meta["test_rmse"] == pytest.approx(0.65797454, abs=1e-6)
    # Pinned arithmetic sums in another order than the tutorial's run: the last digits move.
    assert meta["loss_log"][0].startswith(
        "Epoch [1]/[200] running accumulative loss across all batches: 15496.1"
    )
    assert len(meta["epoch_losses"]) == 200
    assert set(meta["versions"]) >= {
        "torch",
        "captum",
        "numpy",
        "scikit-learn",
        "python",
        "calhouse",
    }
    assert meta["command"] == "calhouse train --model tutorial"
    assert meta["arithmetic"]["pinned"] is True


def test_model_paths_do_not_depend_on_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = calhouse.MODELS["tutorial"].path
    monkeypatch.chdir(tmp_path)
    assert calhouse.MODELS["tutorial"].path == before
    assert before.is_absolute()
    assert before.is_file()


# --- bad model files: clear errors naming the file, nothing modified


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped weights and metadata."""
    src = calhouse.MODELS["tutorial"].path
    dst = tmp_path / src.name
    shutil.copyfile(src, dst)
    shutil.copyfile(metadata_path(src), metadata_path(dst))
    return dst


def _assert_load_fails(path: Path, error: type[Exception], pattern: str) -> None:
    before = file_digest(path) if path.exists() else None
    with pytest.raises(error, match=pattern) as info:
        calhouse.load_model(path)
    assert str(path) in str(info.value)
    if before is not None:
        assert file_digest(path) == before


def test_missing_model_file(tmp_path: Path) -> None:
    _assert_load_fails(tmp_path / "absent.pt", FileNotFoundError, "calhouse train --output")


def test_truncated_model_file_is_caught_by_the_checksum(model_copy: Path) -> None:
    model_copy.write_bytes(model_copy.read_bytes()[:5000])
    _assert_load_fails(
        model_copy,
        calhouse.ModelFileError,
        "altered or truncated.*Train it again with `calhouse train`",
    )


def test_truncated_model_file_without_metadata(model_copy: Path) -> None:
    metadata_path(model_copy).unlink()
    model_copy.write_bytes(model_copy.read_bytes()[:5000])
    _assert_load_fails(
        model_copy, calhouse.ModelFileError, "not a readable PyTorch state dict.*truncated"
    )


def test_altered_weights_fail_the_checksum(model_copy: Path) -> None:
    state = torch.load(model_copy, weights_only=True)
    state["lin1.weight"][0, 0] += 1.0
    buffer = io.BytesIO()
    torch.save(state, buffer)
    model_copy.write_bytes(buffer.getvalue())
    _assert_load_fails(
        model_copy, calhouse.ModelFileError, r"sha256 is [0-9a-f]{64}, but .* records"
    )


def test_garbage_file(tmp_path: Path) -> None:
    path = tmp_path / "garbage.pt"
    path.write_bytes(os.urandom(2048))
    _assert_load_fails(path, calhouse.ModelFileError, "not a readable PyTorch state dict")


def test_state_dict_of_another_shape(tmp_path: Path) -> None:
    other = nn.Sequential()
    other.lin1 = nn.Linear(7, 100)
    path = tmp_path / "other.pt"
    torch.save(other.state_dict(), path)
    _assert_load_fails(
        path,
        calhouse.ModelFileError,
        r"do not fit CaliforniaModel: missing lin2.weight \(50, 100\).*"
        r"lin1.weight: expected shape \(100, 8\), got \(100, 7\)",
    )


def test_not_a_state_dict(tmp_path: Path) -> None:
    path = tmp_path / "list.pt"
    torch.save([torch.zeros(3)], path)
    _assert_load_fails(path, calhouse.ModelFileError, "expected a state dict .* got list")


class _Payload:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("touch PWNED",))


def test_pickled_code_is_never_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pt"
    torch.save({"lin1.weight": _Payload()}, path)
    _assert_load_fails(path, calhouse.ModelFileError, "holds Python objects besides tensors")
    assert not (tmp_path / "PWNED").exists()
    with pytest.raises(calhouse.ModelFileError) as info:
        calhouse.load_model(path)
    # Neither torch's terminal colours nor its advice to load with weights_only=False.
    assert "\x1b[" not in str(info.value)
    assert "weights_only=False" not in str(info.value)


def test_nan_weights_without_metadata(tmp_path: Path) -> None:
    model = calhouse.CaliforniaModel()
    with torch.no_grad():
        model.lin2.weight[3, 4] = float("nan")
    path = tmp_path / "nan.pt"
    torch.save(model.state_dict(), path)
    _assert_load_fails(path, calhouse.ModelFileError, r"NaN or infinite values \(lin2.weight\)")


def test_the_metadata_path_or_a_directory_is_not_blamed_as_corrupt(tmp_path: Path) -> None:
    json_path = calhouse.MODELS["tutorial"].path.with_suffix(".json")
    with pytest.raises(ValueError, match=r"is the metadata; give the weights file beside it"):
        calhouse.load_model(json_path)
    with pytest.raises(IsADirectoryError, match=r"is a directory; expected a \.pt weights file"):
        calhouse.load_model(tmp_path)


def test_an_unavailable_device_is_named() -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ValueError, match="device 'cuda' is not available on this machine"):
        calhouse.load_model(device="cuda")


def test_bad_metadata_json(model_copy: Path) -> None:
    meta = metadata_path(model_copy)
    meta.write_text("{not json")
    with pytest.raises(calhouse.ModelFileError, match=f"{meta}: not valid JSON metadata"):
        calhouse.load_model(model_copy)
    assert meta.read_text() == "{not json"


# --- saving


def test_save_refuses_to_overwrite(model_copy: Path) -> None:
    before = file_digest(model_copy)
    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        calhouse.save_model(calhouse.CaliforniaModel(), model_copy)
    assert file_digest(model_copy) == before


def test_save_refuses_to_overwrite_metadata(tmp_path: Path) -> None:
    path = tmp_path / "m.pt"
    metadata_path(path).write_text("{}")
    with pytest.raises(FileExistsError, match=r"m\.json already exists"):
        calhouse.save_model(calhouse.CaliforniaModel(), path, metadata={"a": 1})
    assert not path.exists()
    assert metadata_path(path).read_text() == "{}"


def test_save_then_load_round_trip(tmp_path: Path) -> None:
    torch.manual_seed(0)
    original = calhouse.CaliforniaModel()
    path = calhouse.save_model(original, tmp_path / "sub" / "m.pt", metadata={"note": "x"})
    meta = json.loads(metadata_path(path).read_text())
    assert meta == {"note": "x", "weights_sha256": file_digest(path)}
    loaded = calhouse.load_model(path)
    for key, value in original.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value)
    assert not loaded.training
    assert sorted(p.name for p in path.parent.iterdir()) == ["m.json", "m.pt"]  # no temp files left
    assert oct(path.stat().st_mode & 0o777) == "0o644"


def test_save_with_overwrite_replaces(model_copy: Path) -> None:
    torch.manual_seed(1)
    fresh = calhouse.CaliforniaModel()
    calhouse.save_model(fresh, model_copy, metadata={}, overwrite=True)
    loaded = calhouse.load_model(model_copy)
    assert torch.equal(loaded.lin1.weight, fresh.lin1.weight)


# --- the standardised variant


def test_standardized_model_stores_its_statistics() -> None:
    X = torch.tensor([[1.0, 2, 3, 4, 5, 6, 7, 8], [3.0, 6, 5, 6, 9, 8, 9, 10]])
    model = calhouse.StandardizedCaliforniaModel.from_training_data(X)
    assert torch.equal(model.mean, X.mean(0))
    assert torch.allclose(model.scale[[0, 1, 2]], torch.tensor([1.0, 2.0, 1.0]))
    z = model.standardize(X)
    assert torch.allclose(z[:, 0], torch.tensor([-1.0, 1.0]))
    assert torch.equal(model(X), model.forward_standardized(z))
    names = [name for name, _ in model.named_children()]
    assert names == ["lin1", "relu1", "lin2", "relu2", "lin3", "relu3", "lin4"]
    assert {"mean", "scale"} <= model.state_dict().keys()


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        (
            {"mean": torch.zeros(7)},
            r"mean must be a finite tensor of shape \(8,\), got shape \(7,\)",
        ),
        ({"scale": torch.full((8,), float("nan"))}, "scale must be a finite tensor"),
        ({"scale": torch.tensor([1.0] * 7 + [0.0])}, "scale must be positive for every feature"),
    ],
)
def test_standardized_model_rejects_bad_statistics(kwargs: dict, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        calhouse.StandardizedCaliforniaModel(**kwargs)


def test_standardized_weights_do_not_load_into_the_plain_model() -> None:
    path = calhouse.MODELS["standardized"].path
    with pytest.raises(calhouse.ModelFileError, match=r"unexpected mean \(8,\); unexpected scale"):
        calhouse.load_model(path)
    loaded = calhouse.load_model(path, calhouse.StandardizedCaliforniaModel())
    assert float(loaded.scale.min()) > 0


def test_load_model_refusals_in_full(tmp_path: Path) -> None:
    shipped = calhouse.MODELS["tutorial"].path
    whole = tmp_path / "whole.pt"
    torch.save(torch.nn.Linear(2, 1), whole)  # the module itself, pickled
    missing = tmp_path / "missing.pt"
    again = (
        "Train it again with `calhouse train` (`calhouse train --help` lists the models and "
        "options), or reinstall calhouse for its shipped weights."
    )
    cases = [
        ((shipped, "x"), TypeError, "model must be a torch.nn.Module to load into, got str"),
        ((shipped.with_suffix(".json"),), ValueError,
         (f"{shipped.with_suffix('.json')} is the metadata; give the weights file beside it, "
         f"{shipped}")),
        ((missing,), FileNotFoundError,
         (f"{missing}: no such model file. Train it with `calhouse train --output {missing}`, "
         "or call calhouse.load_or_train_model() to train it on first use.")),
        ((whole,), calhouse.ModelFileError,
         (f"{whole}: holds Python objects besides tensors, which could run code when loaded; "
         "calhouse loads weights only and refuses it. Use a file saved from a state_dict "
         f"(calhouse.save_model). {again}")),
    ]  # fmt: skip
    for args, error, message in cases:
        with pytest.raises(error) as refused:
            calhouse.load_model(*args)
        assert str(refused.value) == message


def test_a_reader_forcing_full_unpickling_still_gets_weights_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """torch's TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD applies where weights_only is left unset."""
    whole = tmp_path / "whole.pt"
    torch.save(torch.nn.Linear(2, 1), whole)
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    with pytest.raises(calhouse.ModelFileError, match="calhouse loads weights only"):
        calhouse.load_model(whole)
