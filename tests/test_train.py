"""Training: the recipe's behaviour anywhere, and the shipped bytes in pinned arithmetic."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import file_digest

import calhouse
from calhouse import _pinned, shipped
from calhouse.model import metadata_path

# The tutorial's log, as it printed it.
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
TUTORIAL_RMSE = 0.65797454

# Every test here reads the data (CALHOUSE_DATA, which nox and CI set).
pytestmark = pytest.mark.usefixtures("raw_file")


def logged_losses(lines: list[str]) -> list[float]:
    return [float(re.fullmatch(r"Epoch \[\d+\]/\[\d+\] .*: ([\d.]+)", line)[1]) for line in lines]


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m calhouse ...`` in a new process, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "calhouse", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )


# --- the shipped bytes, in pinned arithmetic


# The tests of one retraining (a minute) run on one worker of pytest-xdist. Its fixture is
# session-scoped: the worker runs other modules' tests in between, and a module-scoped
# fixture would be torn down at each switch and the model trained again.
RETRAINED_GROUP = pytest.mark.xdist_group("retrained")


@pytest.fixture(scope="session")
def retrained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The tutorial's model trained again through load_or_train_model (a pinned process).

    The caller's environment asks for other kernels than this processor's best
    (:data:`OTHER_KERNELS`): the pinned process must give the shipped bytes
    whatever kernels its caller chose.
    """
    path = tmp_path_factory.mktemp("retrained") / "models" / "california_model.pt"
    lines: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        for name, value in OTHER_KERNELS.items():
            patch.setenv(name, value)
        calhouse.load_or_train_model("tutorial", path, log=lines.append)
    return path, lines


@RETRAINED_GROUP
def test_pinned_training_gives_the_shipped_bytes(retrained: tuple[Path, list[str]]) -> None:
    path, _ = retrained
    shipped_path = calhouse.MODELS["tutorial"].path
    assert file_digest(path) == file_digest(shipped_path)
    written, expected = calhouse.read_metadata(path), calhouse.read_metadata(shipped_path)
    assert written is not None
    assert expected is not None
    # Library versions may differ from those that trained the shipped file.
    written.pop("versions")
    expected.pop("versions")
    assert written == expected


@RETRAINED_GROUP
def test_pinned_training_tells_the_tutorials_story(retrained: tuple[Path, list[str]]) -> None:
    path, lines = retrained
    assert len(lines) == len(TUTORIAL_LOG)
    assert [line.split(":")[0] for line in lines] == [line.split(":")[0] for line in TUTORIAL_LOG]
    # Summed float32 losses keep their last digits only for the same order of sums.
    assert logged_losses(lines) == pytest.approx(logged_losses(TUTORIAL_LOG), abs=0.01)
    meta = calhouse.read_metadata(path)
    assert meta is not None
    assert meta["test_rmse"] == pytest.approx(TUTORIAL_RMSE, abs=1e-6)
    assert meta["arithmetic"]["pinned"] is True
    assert meta["command"] == "calhouse train --model tutorial"


@RETRAINED_GROUP
def test_load_or_train_loads_once_trained(retrained: tuple[Path, list[str]]) -> None:
    path, _ = retrained
    digest = file_digest(path)
    lines: list[str] = []
    model = calhouse.load_or_train_model("tutorial", path, log=lines.append)
    assert lines == [f"Loading pre-trained model from: {path}"]
    assert file_digest(path) == digest
    assert not model.training


def _cpu_has(flag: str) -> bool:
    try:
        return flag in Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False


# The kernels and MKL code paths a process can be started with on this machine.
KERNEL_CHOICES = {
    "aten-default": {"ATEN_CPU_CAPABILITY": "default"},
    "aten-avx2": {"ATEN_CPU_CAPABILITY": "avx2"},
    "aten-avx512": {"ATEN_CPU_CAPABILITY": "avx512"},
    "mkl-sse4_2": {"MKL_ENABLE_INSTRUCTIONS": "SSE4_2", "MKL_CBWR": "COMPATIBLE"},
    "mkl-avx2": {"MKL_ENABLE_INSTRUCTIONS": "AVX2", "MKL_CBWR": "AVX2"},
}
NEEDS = {"aten-avx2": "avx2", "aten-avx512": "avx512f", "mkl-avx2": "avx2"}
# A caller's choice of other kernels than this processor's best: MKL's SSE4.2 path, and
# ATen's AVX2 kernels where there is AVX2 (not the best where there is AVX-512).
OTHER_KERNELS = {
    **KERNEL_CHOICES["mkl-sse4_2"],
    "ATEN_CPU_CAPABILITY": "avx2" if _cpu_has("avx2") else "default",
}


@pytest.fixture(params=list(KERNEL_CHOICES))
def kernel_choice(request: pytest.FixtureRequest) -> dict[str, str]:
    flag = NEEDS.get(request.param)
    if flag and not _cpu_has(flag):
        pytest.skip(f"this processor has no {flag}")
    return KERNEL_CHOICES[request.param]


# The kernel choices' tests share one reference run: they run on one worker.
KERNELS_GROUP = pytest.mark.xdist_group("kernels")


@pytest.fixture(scope="session")
def three_epochs(tmp_path_factory: pytest.TempPathFactory) -> str:
    """sha256 of three epochs of the recipe trained by the command line, kernels unchosen."""
    reference = tmp_path_factory.mktemp("kernels") / "reference.pt"
    result = cli("train", "--epochs", "3", "--quiet", "--output", str(reference))
    assert result.returncode == 0, result.stderr
    return file_digest(reference)


@KERNELS_GROUP
def test_pinned_bytes_do_not_depend_on_the_callers_kernels(
    kernel_choice: dict[str, str], three_epochs: str, tmp_path: Path
) -> None:
    # Three epochs keep it quick; the full recipe runs in `retrained`, from other kernels.
    out = tmp_path / "out.pt"
    result = cli("train", "--epochs", "3", "--quiet", "--output", str(out), env=kernel_choice)
    assert result.returncode == 0, result.stderr
    assert file_digest(out) == three_epochs


@pytest.mark.skipif(not _cpu_has("avx2"), reason="needs two kernel choices")
def test_without_pinning_the_bytes_depend_on_the_kernels() -> None:
    """The control: training in the caller's arithmetic moves with the kernel choice."""
    code = (
        "import dataclasses, hashlib, io, torch, calhouse\n"
        "spec = dataclasses.replace(calhouse.MODELS['tutorial'],"
        " config=calhouse.TrainingConfig(epochs=3))\n"
        "model, _ = calhouse.fit(calhouse.load_split(), spec)\n"
        "buffer = io.BytesIO(); torch.save(model.state_dict(), buffer)\n"
        "print(hashlib.sha256(buffer.getvalue()).hexdigest())\n"
    )
    digests = {
        capability: subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env={**os.environ, "ATEN_CPU_CAPABILITY": capability},
            check=True,
        ).stdout
        for capability in ("default", "avx2")
    }
    assert digests["default"] != digests["avx2"]


@pytest.mark.parametrize("name", ["standardized"])
def test_other_shipped_recipes_give_their_shipped_bytes(name: str, tmp_path: Path) -> None:
    # The full model (20,640 rows) takes minutes: `calhouse check --model full` checks it.
    path = tmp_path / "m.pt"
    _, meta = calhouse.train_and_save(name, path)
    assert file_digest(path) == file_digest(calhouse.MODELS[name].path)
    assert meta["model"] == name


# --- pinned arithmetic itself


def test_pinned_linear_equals_torch_linear() -> None:
    torch.manual_seed(0)
    layer = torch.nn.Linear(8, 5)
    x = torch.randn(7, 8)
    with _pinned.PinnedArithmetic():
        pinned = layer(x)
        by_keyword = torch.nn.functional.linear(x, layer.weight, bias=layer.bias)
        without_bias = torch.nn.functional.linear(x, layer.weight)
    torch.testing.assert_close(pinned, layer(x), rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(by_keyword, layer(x), rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(without_bias, x @ layer.weight.T, rtol=1e-6, atol=1e-6)


def test_pinned_square_root_is_correctly_rounded() -> None:
    x = torch.rand(10_000) * 100
    exact = torch.from_numpy(np.sqrt(x.numpy()))  # IEEE square root
    with _pinned.PinnedArithmetic():
        assert torch.equal(x.sqrt(), exact)
        y = x.clone()
        y.sqrt_()
        # The optimizer's forms: a list of tensors at once, and in place.
        pair = torch._foreach_sqrt([x, 4 * x])
        z, w = x.clone(), 4 * x
        torch._foreach_sqrt_([z, w])
    assert torch.equal(y, exact)
    assert len(pair) == 2
    assert torch.equal(pair[0], exact)
    assert torch.equal(pair[1], 2 * exact)
    assert torch.equal(z, exact)
    assert torch.equal(w, 2 * exact)


@pytest.mark.parametrize(
    "call", [lambda x: x @ x.T, lambda x: torch.mm(x, x.T), lambda x: x.exp(), torch.tanh]
)
def test_pinned_arithmetic_refuses_processor_specific_operations(call) -> None:
    with _pinned.PinnedArithmetic(), pytest.raises(RuntimeError, match="pinned arithmetic"):
        call(torch.ones(2, 2))


def test_pinned_arithmetic_names_what_it_refuses() -> None:
    message = (
        "pinned arithmetic cannot compute tanh the same way on every processor; it supports "
        "torch.nn.Linear, ReLU, sums, products and square roots"
    )
    with _pinned.PinnedArithmetic(), pytest.raises(RuntimeError, match=f"^{re.escape(message)}$"):
        torch.tanh(torch.ones(2))


def test_training_here_requires_a_pinned_process() -> None:
    if _pinned.is_pinned():
        pytest.skip("this test process was itself started in pinned arithmetic")
    message = (
        "this process is not pinned (torch was started without ATEN_CPU_CAPABILITY=default); "
        "train with train_and_save() or `calhouse train`"
    )
    with pytest.raises(RuntimeError, match=f"^{re.escape(message)}$"):
        shipped._train_here(
            name="tutorial", path="x.pt", seed=1, epochs=1, overwrite=False, progress=False
        )


# --- portable behaviour of the recipe (the same on every processor)


@pytest.fixture(scope="session")
def short_run(split: calhouse.Split) -> tuple[torch.nn.Module, calhouse.TrainingResult]:
    lines: list[str] = []
    model, result = calhouse.fit(split, "tutorial", log=lines.append)
    return model, result


def test_training_trains(short_run, split: calhouse.Split) -> None:
    model, result = short_run
    losses = result.epoch_losses
    assert len(losses) == 200
    # The first epoch's summed loss is stable across processors to the printed digits.
    assert losses[0] == pytest.approx(15496.155, abs=0.05)
    assert losses[-1] < losses[0] / 50
    assert np.mean(losses[-20:]) < np.mean(losses[20:40])
    assert calhouse.rmse(model, split.X_test, split.y_test) == pytest.approx(0.658, abs=0.01)
    assert not model.training


def test_an_untrained_model_is_far_worse(split: calhouse.Split) -> None:
    torch.manual_seed(1234)
    assert calhouse.rmse(calhouse.CaliforniaModel(), split.X_test, split.y_test) > 5


def test_the_recipe_in_the_metadata_is_the_codes() -> None:
    for name, spec in calhouse.MODELS.items():
        meta = calhouse.read_metadata(spec.path)
        assert meta is not None
        recorded = {k: meta["training"][k] for k in dataclasses.asdict(spec.config)}
        assert recorded == dataclasses.asdict(spec.config), name
        assert meta["training"]["optimizer"] == "RMSprop"
        assert meta["class"] == spec.model_class.__name__
        assert meta["command"] == f"calhouse train --model {name}"


def test_fit_leaves_global_torch_state_alone(split: calhouse.Split) -> None:
    spec = dataclasses.replace(
        calhouse.MODELS["tutorial"], config=calhouse.TrainingConfig(epochs=1)
    )
    torch.manual_seed(7)
    np.random.seed(7)
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()
    threads = torch.get_num_threads()
    calhouse.fit(split, spec)
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.random.get_state()[1].tolist() == np_state[1].tolist()


def test_training_prints_nothing_unless_asked(
    split: calhouse.Split, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = dataclasses.replace(
        calhouse.MODELS["tutorial"], config=calhouse.TrainingConfig(epochs=1)
    )
    calhouse.fit(split, spec, progress=False)
    calhouse.load_or_train_model("tutorial")
    assert capsys.readouterr() == ("", "")


def test_train_model_rejects_bad_targets(split: calhouse.Split) -> None:
    model = calhouse.CaliforniaModel()
    with pytest.raises(ValueError, match=r"y_train must have shape \(420, 1\) .* got \(420,\)"):
        calhouse.train_model(model, split.X_train, split.y_train[:, 0])
    y = split.y_train.clone()
    y[3] = float("nan")
    with pytest.raises(ValueError, match="y_train must be finite"):
        calhouse.train_model(model, split.X_train, y)
    with pytest.raises(TypeError, match=r"X_train must have dtype torch\.float32"):
        calhouse.train_model(model, split.X_train.double(), split.y_train)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("batch_size", 0, "batch_size must be a positive integer, got 0"),
        ("epochs", -5, "epochs must be a positive integer, got -5"),
        ("epochs", 2.5, "epochs must be a positive integer, got 2.5"),
        ("lr", 0.0, "lr must be a positive, finite number, got 0.0"),
        ("lr", float("nan"), "lr must be a positive, finite number"),
        ("seed", -1, r"seed must be an integer in \[0, 2\*\*32\), got -1"),
        ("log_every", True, "log_every must be a positive integer, got True"),
    ],
)
def test_training_config_is_checked(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        calhouse.TrainingConfig(**{field: value})


def test_model_names_suggest_what_was_meant(split: calhouse.Split) -> None:
    assert shipped.get_spec("standardised") is calhouse.MODELS["standardized"]
    with pytest.raises(ValueError, match=r"unknown model 'tutoral'.*did you mean 'tutorial'\?"):
        calhouse.fit(split, "tutoral")


# --- where files go


def test_train_and_save_refuses_before_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_training(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("training started")

    monkeypatch.setattr(_pinned, "run_pinned", no_training)
    existing = tmp_path / "m.pt"
    existing.write_text("keep me")
    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        calhouse.train_and_save("tutorial", existing)
    assert existing.read_text() == "keep me"
    with pytest.raises(NotADirectoryError, match=r"m\.pt is a file, not a directory"):
        calhouse.train_and_save("tutorial", existing / "new.pt")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        calhouse.train_and_save("tutorial", tmp_path)
    (tmp_path / "n.json").write_text("{}")
    with pytest.raises(FileExistsError, match=r"n\.json already exists"):
        calhouse.train_and_save("tutorial", tmp_path / "n.pt")


def test_an_installed_calhouse_never_writes_into_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site-packages" / "calhouse"
    (package / "models").mkdir(parents=True)
    monkeypatch.setattr(shipped, "_installed_package_dir", lambda: package)
    monkeypatch.setattr(shipped, "models_dir", lambda: package / "models")
    with pytest.raises(ValueError, match="read-only to it; give a destination"):
        calhouse.train_and_save("tutorial")
    with pytest.raises(ValueError, match="never writes into itself"):
        calhouse.train_and_save("tutorial", package / "mine.pt")
    with pytest.raises(FileNotFoundError, match="reinstall calhouse"):
        calhouse.load_or_train_model("tutorial")
    assert list(package.rglob("*")) == [package / "models"]


def test_load_or_train_never_trains_over_a_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "m.pt"
    path.write_bytes(b"\x00" * 100)
    with pytest.raises(calhouse.ModelFileError, match=f"{path}: not a readable"):
        calhouse.load_or_train_model("tutorial", path)
    assert path.read_bytes() == b"\x00" * 100
    assert not metadata_path(path).exists()


# --- the command line


def test_cli_train_force_and_messages(tmp_path: Path) -> None:
    out = tmp_path / "cli.pt"
    out.write_bytes(b"an existing file")
    refused = cli("train", "--epochs", "2", "--output", str(out))
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        (
            f"calhouse train: error: {out} already exists; refusing to overwrite it (pass "
            "overwrite=True, or --force on the command line, to replace it)"
        )
    ]
    assert out.read_bytes() == b"an existing file"
    done = cli("train", "--epochs", "2", "--output", str(out), "--force")
    assert done.returncode == 0, done.stderr
    printed = done.stdout.splitlines()
    assert printed[0].startswith("Epoch [1]/[2] running accumulative loss across all batches: ")
    assert printed[-2] == f"Finished training the model. Saved it to {out.resolve()}"
    assert printed[-1].startswith("test RMSE: ")
    meta = calhouse.read_metadata(out)
    assert meta is not None
    assert meta["training"]["epochs"] == 2
    assert meta["command"] == "calhouse train --model tutorial --epochs 2"
    assert meta["weights_sha256"] == file_digest(out)


def test_cli_check_confirms_the_shipped_model() -> None:
    result = cli("check", "--no-retrain")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "OK"


def test_cli_check_reports_a_mismatch(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from calhouse import cli as cli_module

    real = calhouse.read_metadata
    monkeypatch.setattr(cli_module, "read_metadata", lambda path: {**real(path), "test_rmse": 0.7})
    assert cli_module.main(["check", "--no-retrain"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "MISMATCH"
    assert "differs from the metadata's by more than 1e-06" in out[-2]


@pytest.mark.parametrize(
    ("machine", "fresh_rmse", "status"), [("aarch64", 0.659, True), ("arm64", 0.70, False)]
)
def test_cli_check_elsewhere_compares_within_a_stated_tolerance(
    machine: str,
    fresh_rmse: float,
    status: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from calhouse import cli as cli_module

    def fake_training(_name: str, path: Path, **_kwargs: object) -> tuple[None, dict[str, float]]:
        Path(path).write_bytes(b"other bytes")
        return None, {"test_rmse": fresh_rmse}

    monkeypatch.setattr(cli_module, "train_and_save", fake_training)
    meta = {"weights_sha256": "0" * 64}
    assert cli_module._check_retrained("tutorial", meta, 0.658, machine=machine) is status
    out = capsys.readouterr().out
    assert f"this processor ({machine}) is not x86-64" in out
    assert "(tolerance 0.01)" in out


def test_cli_errors_are_one_line_and_suggest(tmp_path: Path) -> None:
    result = cli("trian")
    assert result.returncode == 2
    assert (
        "unknown command 'trian' (expected: train, check); did you mean 'train'?" in result.stderr
    )
    result = cli("train", "--model", "tutoral", "--output", str(tmp_path / "x.pt"))
    assert result.returncode == 2
    assert "did you mean 'tutorial'?" in result.stderr
    help_text = cli("--help").stdout
    assert help_text.startswith("usage: calhouse ")
    assert "``" not in help_text


def test_offline_without_data_one_clear_error(tmp_path: Path) -> None:
    """No CALHOUSE_DATA and no network: one line that says what to do, nothing written."""
    env = {k: v for k, v in os.environ.items() if k not in ("CALHOUSE_DATA", "SCIKIT_LEARN_DATA")}
    cache = tmp_path / "scikit_learn_data"
    env.update(
        SCIKIT_LEARN_DATA=str(cache),
        https_proxy="http://127.0.0.1:9",  # nothing listens on the discard port
        HTTPS_PROXY="http://127.0.0.1:9",
        no_proxy="",
        NO_PROXY="",
    )
    out = tmp_path / "m.pt"
    result = subprocess.run(
        [sys.executable, "-m", "calhouse", "train", "--output", str(out)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "calhouse train: error: could not download the California housing data"
    )
    assert "export CALHOUSE_DATA=/path/to/cal_housing.data" in lines[0]
    assert not out.exists()
    assert not [p for p in cache.rglob("*") if p.is_file()]
    script = subprocess.run(
        [sys.executable, "-c", "import calhouse; calhouse.load_split()"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert (
        script.stderr.strip()
        .splitlines()[-1]
        .startswith(
            "calhouse.data.DataDownloadError: could not download the California housing data"
        )
    )


def test_metadata_files_are_json_objects() -> None:
    for spec in calhouse.MODELS.values():
        assert isinstance(json.loads(metadata_path(spec.path).read_text()), dict)


SEEDS = sorted((calhouse.MODELS["tutorial"].path.parent / "seeds").glob("*.pt"))


def test_twenty_seeds_ship() -> None:
    assert [int(p.stem.rsplit("_", 1)[1]) for p in SEEDS] == sorted(range(1, 21), key=str)


@pytest.mark.parametrize("path", SEEDS, ids=[p.stem for p in SEEDS])
def test_seed_models_are_the_tutorials_recipe_with_their_seed(path: Path) -> None:
    seed = int(path.stem.rsplit("_", 1)[1])
    meta = calhouse.read_metadata(path)
    assert meta is not None
    tutorial = calhouse.read_metadata(calhouse.MODELS["tutorial"].path)
    assert meta["command"] == f"calhouse train --model tutorial --seed {seed}"
    assert meta["training"] == {**tutorial["training"], "seed": seed}
    assert meta["data"] == tutorial["data"]
    assert meta["arithmetic"] == tutorial["arithmetic"]
    assert meta["weights_sha256"] == file_digest(path)
    calhouse.load_model(path)  # checked against its sha256, weights only


@pytest.mark.parametrize(
    ("X", "y", "error", "message"),
    [
        (
            torch.zeros(10, 7),
            torch.zeros(10, 1),
            ValueError,
            "X_train must have 8 columns (MedInc, HouseAge, ..., Longitude), got 7",
        ),
        (
            torch.zeros(10, 8),
            torch.zeros(10, 1, dtype=torch.float64),
            TypeError,
            "y_train must be a float32 torch.Tensor of shape (n_samples, 1)",
        ),
        (
            torch.zeros(10, 8),
            torch.full((10, 1), float("nan")),
            ValueError,
            "y_train must be finite; it contains NaN or infinite values",
        ),
    ],
)
def test_train_model_refuses_bad_tables_in_full(X, y, error, message) -> None:
    model = calhouse.CaliforniaModel()
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        calhouse.train_model(model, X, y, calhouse.TrainingConfig(epochs=1))
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
