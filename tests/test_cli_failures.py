"""The command line's failure paths: exit status 1 for a mismatch, 2 for an error, one line.

``calhouse.cli.main`` is called in this process, with the slow parts (training,
which runs in a pinned child process) replaced by fakes that write what a run
would, so every path is fast; ``tests/test_train.py`` runs the real commands.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import calhouse
from calhouse import cli
from calhouse.data import DataFileError
from calhouse.model import ModelFileError

pytestmark = pytest.mark.usefixtures("raw_file")

SHIPPED_SHA256 = "ab" * 32


class FakeTraining:
    """Stands in for ``train_and_save``: records its call, writes ``content``, returns ``meta``."""

    def __init__(self, content: bytes = b"weights", test_rmse: float = 0.5) -> None:
        self.content = content
        self.test_rmse = test_rmse
        self.calls: list[tuple[tuple[object, ...], dict[str, object]]] = []

    def __call__(self, *args: object, **kwargs: object) -> tuple[None, dict[str, object]]:
        self.calls.append((args, kwargs))
        path = args[1] if len(args) > 1 else kwargs.get("path")
        if path is not None:
            Path(path).write_bytes(self.content)
        return None, {"test_rmse": self.test_rmse}


def _error_line(capsys: pytest.CaptureFixture[str], command: str) -> str:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"calhouse {command}: error: ")
    return lines[0]


# --- calhouse train


def test_train_passes_its_options_and_prints_where_it_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeTraining(test_rmse=0.123456789)
    monkeypatch.setattr(cli, "train_and_save", fake)
    out = tmp_path / "m.pt"
    argv = ["train", "--model", "standardised", "--output", str(out), "--seed", "7"]
    assert cli.main([*argv, "--epochs", "3", "--force", "--progress"]) == 0
    ((args, kwargs),) = fake.calls
    assert args == ("standardized", str(out))
    assert kwargs == {
        "seed": 7,
        "epochs": 3,
        "overwrite": True,
        "progress": True,
        "log": print,
    }
    assert capsys.readouterr().out.splitlines() == [
        f"Finished training the model. Saved it to {out.resolve()}",
        "test RMSE: 0.12345679",
    ]


def test_train_defaults(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeTraining()
    monkeypatch.setattr(cli, "train_and_save", fake)
    assert cli.main(["train", "--no-progress"]) == 0
    ((args, kwargs),) = fake.calls
    assert args == ("tutorial", None)
    assert kwargs == {
        "seed": None,
        "epochs": None,
        "overwrite": False,
        "progress": False,
        "log": print,
    }
    # Without --output the message names the recipe's own file.
    first = capsys.readouterr().out.splitlines()[0]
    assert first == (
        f"Finished training the model. Saved it to {calhouse.MODELS['tutorial'].path.resolve()}"
    )


def test_train_quiet_prints_nothing_and_shows_no_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeTraining()
    monkeypatch.setattr(cli, "train_and_save", fake)
    assert cli.main(["train", "--quiet", "--progress", "--output", str(tmp_path / "m.pt")]) == 0
    ((_, kwargs),) = fake.calls
    assert kwargs["log"] is None
    assert kwargs["progress"] is False
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--epochs", "0"], "epochs must be a positive integer, got 0"),
        (["--seed", "-1"], r"seed must be an integer in \[0, 2\*\*32\), got -1"),
    ],
)
def test_train_refuses_bad_settings_before_training(
    options: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from calhouse import _pinned

    def no_training(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("training started")

    monkeypatch.setattr(_pinned, "run_pinned", no_training)
    out = tmp_path / "m.pt"
    assert cli.main(["train", "--output", str(out), *options]) == 2
    line = _error_line(capsys, "train")
    assert re.search(message, line), line
    assert not out.exists()


def test_train_refuses_an_existing_file_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.pt"
    out.write_bytes(b"mine")
    assert cli.main(["train", "--output", str(out)]) == 2
    line = _error_line(capsys, "train")
    assert f"{out} already exists; refusing to overwrite it" in line
    assert out.read_bytes() == b"mine"


@pytest.mark.parametrize(
    "error",
    [
        OSError("disk\nfull"),
        ValueError("a bad\n   value"),
        TypeError("a bad type"),
        DataFileError("a bad data file"),
        ModelFileError("a bad model file"),
        RuntimeError("the pinned training process failed (exit status 1): Boom"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_exit_2_with_one_line(
    error: Exception, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise error

    monkeypatch.setattr(cli, "train_and_save", fail)
    assert cli.main(["train", "--quiet"]) == 2
    line = _error_line(capsys, "train")
    # A message over several lines is joined into one, its whitespace collapsed.
    assert line == "calhouse train: error: " + " ".join(str(error).split())


def test_an_unexpected_error_is_not_disguised(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the errors a user can act on become one line; a bug keeps its traceback."""

    def fail(*_args: object, **_kwargs: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(cli, "train_and_save", fail)
    with pytest.raises(KeyError, match="a bug"):
        cli.main(["train", "--quiet"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required"),
        (["trian"], "unknown command 'trian' (expected: train, check); did you mean 'train'?"),
        (["zzz"], "unknown command 'zzz' (expected: train, check)\n"),
        (["check", "--model", "ful"], "did you mean 'full'?"),
        (["train", "--epochs", "two"], "argument --epochs: invalid int value: 'two'"),
    ],
)
def test_usage_errors_exit_2_before_any_work(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: calhouse")
    assert message in err


def test_options_before_the_command_are_left_to_argparse(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    assert "{train,check}" in capsys.readouterr().out


# --- calhouse check


@pytest.fixture
def shipped_meta(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The tutorial model's metadata as `check` reads it, to be edited by a test."""
    real = calhouse.read_metadata(calhouse.MODELS["tutorial"].path)
    assert real is not None
    meta = dict(real)
    monkeypatch.setattr(cli, "read_metadata", lambda _path: meta)
    return meta


def test_check_ok_without_retraining(
    shipped_meta: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["check", "--no-retrain"]) == 0
    out = capsys.readouterr().out.splitlines()
    recorded = shipped_meta["test_rmse"]
    # This process's arithmetic, not the pinned one of the metadata: equal within 1e-6.
    assert re.fullmatch(
        rf"california_model\.pt: test RMSE 0\.6579\d{{4}} \(metadata: {recorded}\)", out[0]
    ), out[0]
    assert out[-1] == "OK"


@pytest.mark.parametrize("gap", [2e-6, -2e-6, 1e-3])
def test_check_fails_when_the_rmse_moved(
    gap: float, shipped_meta: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    shipped_meta["test_rmse"] = float(shipped_meta["test_rmse"]) + gap
    assert cli.main(["check", "--no-retrain"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-2] == "the test RMSE differs from the metadata's by more than 1e-06"
    assert out[-1] == "MISMATCH"


def test_check_within_the_loaded_tolerance_is_ok(
    shipped_meta: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    shipped_meta["test_rmse"] = float(shipped_meta["test_rmse"]) + 5e-7
    assert cli.main(["check", "--no-retrain"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "OK"


def test_check_without_a_recorded_rmse_is_a_mismatch(
    shipped_meta: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    del shipped_meta["test_rmse"]
    assert cli.main(["check", "--no-retrain"]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "MISMATCH"


@pytest.mark.parametrize("same", [True, False])
def test_check_compares_the_retrained_bytes_on_x86(
    same: bool,
    shipped_meta: dict[str, object],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = FakeTraining(content=b"retrained weights")
    monkeypatch.setattr(cli, "train_and_save", fake)
    monkeypatch.setattr(cli.platform, "machine", lambda: "x86_64")
    digest = hashlib.sha256(b"retrained weights").hexdigest()
    shipped_meta["weights_sha256"] = digest if same else SHIPPED_SHA256
    assert cli.main(["check"]) == (0 if same else 1)
    ((args, kwargs),) = fake.calls
    assert args[0] == "tutorial"
    assert kwargs == {"progress": False}
    out = capsys.readouterr().out.splitlines()
    shipped = digest if same else SHIPPED_SHA256
    verdict = "the same bytes as the shipped weights" if same else "OTHER BYTES"
    assert out[-2] == (
        f"retrained in pinned arithmetic: {verdict} (sha256 {digest[:16]}..., "
        f"shipped {shipped[:16]}...)"
    )
    assert out[-1] == ("OK" if same else "MISMATCH")
    # The retrained file went to a temporary folder that is gone.
    assert not Path(args[1]).exists()


def test_check_fails_when_retraining_differs_even_if_the_rmse_holds(
    shipped_meta: dict[str, object],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli, "train_and_save", FakeTraining())
    monkeypatch.setattr(cli.platform, "machine", lambda: "AMD64")
    shipped_meta["weights_sha256"] = SHIPPED_SHA256
    assert cli.main(["check"]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "MISMATCH"


def test_check_fails_when_the_rmse_moved_even_if_retraining_agrees(
    shipped_meta: dict[str, object],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli, "train_and_save", FakeTraining(content=b"w"))
    shipped_meta["weights_sha256"] = hashlib.sha256(b"w").hexdigest()
    shipped_meta["test_rmse"] = 0.9
    assert cli._check("tutorial", retrain=True, machine="x86_64") == 1
    assert capsys.readouterr().out.splitlines()[-1] == "MISMATCH"


@pytest.mark.parametrize(
    ("fresh", "recorded", "ok"),
    [(0.01, 0.0, True), (0.0, 0.01, True), (0.0101, 0.0, False), (0.5, 0.52, False)],
)
def test_check_elsewhere_accepts_a_gap_up_to_the_tolerance(
    fresh: float,
    recorded: float,
    ok: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli, "train_and_save", FakeTraining(test_rmse=fresh))
    meta = {"weights_sha256": SHIPPED_SHA256}
    assert cli._check_retrained("tutorial", meta, recorded, machine="arm64") is ok
    assert capsys.readouterr().out == (
        "this processor (arm64) is not x86-64, so pinned arithmetic cannot give the shipped "
        "bytes (its portable kernels are compiled with other instructions); comparing test "
        f"RMSEs instead: retrained {fresh:.8f}, shipped {recorded}, "
        f"{abs(fresh - recorded):.2g} apart (tolerance 0.01)\n"
    )


def test_check_of_a_damaged_model_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def damaged(path: object, *_args: object, **_kwargs: object) -> None:
        raise ModelFileError(f"{path}: sha256 is 00, but the metadata records\n11")

    monkeypatch.setattr(cli, "load_model", damaged)
    assert cli.main(["check", "--model", "full", "--no-retrain"]) == 2
    line = _error_line(capsys, "check")
    assert "california_model_full.pt: sha256 is 00, but the metadata records 11" in line


def test_python_dash_m_calhouse_exits_with_mains_status(tmp_path: Path) -> None:
    out = tmp_path / "m.pt"
    out.write_bytes(b"mine")
    result = subprocess.run(
        [sys.executable, "-m", "calhouse", "train", "--output", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert out.read_bytes() == b"mine"


# --- what --help says


def _help(*argv: str, monkeypatch: pytest.MonkeyPatch, capsys) -> str:
    monkeypatch.setenv("COLUMNS", "2000")  # no wrapping: each help text on one line
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*argv, "--help"])
    assert exit_info.value.code == 0
    return " ".join(capsys.readouterr().out.split())


def test_help_texts(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # The description keeps its own lines (its example commands stay one per line).
    monkeypatch.setenv("COLUMNS", "60")
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert cli.DESCRIPTION in capsys.readouterr().out
    top = _help(monkeypatch=monkeypatch, capsys=capsys)
    assert top.startswith("usage: calhouse [-h] {train,check} ... ")
    assert " ".join(cli.DESCRIPTION.split()) in top
    assert "train train a model in pinned arithmetic and save it with its metadata" in top
    assert "check check a shipped model's test RMSE, and that retraining reproduces it" in top
    models = "; ".join(f"{name}: {spec.description}" for name, spec in calhouse.MODELS.items())
    train = _help("train", monkeypatch=monkeypatch, capsys=capsys)
    for text in (
        (
            "Train a model by its recipe in pinned arithmetic and save weights and metadata "
            "(atomically, never over an existing file unless --force)."
        ),
        f"--model MODEL {models}",
        (
            "--output FILE destination .pt file; the metadata goes beside it as .json (default, in "
            "a source checkout only: the model's file in models/; an installed calhouse never "
            "writes into itself)"
        ),
        "--seed SEED another seed than the recipe's",
        "--epochs EPOCHS another number of epochs than the recipe's",
        "--force replace existing files",
        "--quiet no log lines, no progress bar",
        "--progress, --no-progress show a progress bar (default: on a terminal)",
    ):
        assert text in train, text
    check = _help("check", monkeypatch=monkeypatch, capsys=capsys)
    for text in (
        (
            "Load a shipped model, check its test RMSE against its metadata, then train its recipe "
            "again in pinned arithmetic and compare. On x86-64 the retrained weights must have the "
            "shipped bytes; elsewhere the test RMSE must agree within 0.01."
        ),
        f"--model MODEL {models}",
        "--no-retrain skip the retraining comparison",
    ):
        assert text in check, text


def test_check_exactly_at_the_loaded_tolerance_is_ok(
    shipped_meta: dict[str, object],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Numbers whose difference is exact in floating point: 2**-20 apart, tolerance 2**-20.
    monkeypatch.setattr(cli, "LOADED_RMSE_TOLERANCE", 2.0**-20)
    monkeypatch.setattr(cli, "rmse", lambda *_args: 0.5)
    shipped_meta["test_rmse"] = 0.5 + 2.0**-20
    assert cli.main(["check", "--no-retrain"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "OK"


def test_check_on_another_processor_compares_rmses_through_main(
    shipped_meta: dict[str, object],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    recorded = float(shipped_meta["test_rmse"])
    monkeypatch.setattr(cli, "train_and_save", FakeTraining(test_rmse=recorded + 0.004))
    monkeypatch.setattr(cli.platform, "machine", lambda: "arm64")
    assert cli.main(["check"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-2].startswith("this processor (arm64) is not x86-64, so pinned arithmetic")
    assert out[-2].endswith(
        f"retrained {recorded + 0.004:.8f}, shipped {recorded}, 0.004 apart (tolerance 0.01)"
    )
    assert out[-1] == "OK"


def test_check_loads_each_model_with_its_own_class(capsys: pytest.CaptureFixture[str]) -> None:
    """The standardized model carries the training set's means and scales in its module."""
    assert cli.main(["check", "--model", "standardized", "--no-retrain"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "OK"


def test_main_reads_the_command_line_when_given_no_arguments(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["calhouse", "trian"])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.endswith(
        "calhouse: error: unknown command 'trian' (expected: train, check); did you mean 'train'?\n"
    )
