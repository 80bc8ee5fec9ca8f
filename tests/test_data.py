"""The data module: derivation, the sklearn path, the split, and bad files."""

from __future__ import annotations

import re
from pathlib import Path

import joblib
import numpy as np
import pytest
import torch
from conftest import file_digest
from sklearn.datasets import fetch_california_housing
from sklearn.model_selection import train_test_split

import calhouse
from calhouse.data import _SKLEARN_COLUMN_ORDER


def test_first_row_matches_the_documented_values(raw_file: Path) -> None:
    # ../shared/data/README.md lists scikit-learn's first row.
    data = calhouse.load_california(raw_file)
    expected = [8.3252, 41, 6.984127, 1.023810, 322, 2.555556, 37.88, -122.23]
    np.testing.assert_allclose(data.X[0], expected, rtol=0, atol=5e-7)
    assert data.y[0] == pytest.approx(4.526, abs=1e-12)
    assert data.X.shape == (20640, 8)
    assert data.y.shape == (20640,)
    assert data.feature_names == calhouse.FEATURE_NAMES
    assert data.feature_names[0] == "MedInc"
    assert data.feature_names[-1] == "Longitude"
    assert data.source == str(raw_file)


def test_env_var_selects_the_file(raw_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALHOUSE_DATA", str(raw_file))
    assert calhouse.load_california().source == str(raw_file)


def _sklearn_cache(raw_file: Path, data_home: Path) -> None:
    # What fetch_california_housing stores after its download: the reordered raw
    # columns, pickled with joblib, under the name scikit-learn gives it on
    # Python 3. With it in place the real fetcher runs offline (if the name were
    # wrong, download_if_missing=False would make the tests below fail).
    raw = np.loadtxt(raw_file, delimiter=",")
    cache = data_home / "cal_housing_py3.pkz"
    joblib.dump(raw[:, _SKLEARN_COLUMN_ORDER], cache, compress=6)


def test_derivation_is_bit_identical_to_scikit_learn(raw_file: Path, tmp_path: Path) -> None:
    _sklearn_cache(raw_file, tmp_path)
    bunch = fetch_california_housing(data_home=tmp_path, download_if_missing=False)
    data = calhouse.load_california(raw_file)
    assert tuple(bunch.feature_names) == calhouse.FEATURE_NAMES
    assert np.array_equal(bunch.data, data.X)
    assert np.array_equal(bunch.target, data.y)


def test_default_source_is_scikit_learns_fetcher(
    raw_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sklearn_cache(raw_file, tmp_path)
    monkeypatch.delenv("CALHOUSE_DATA", raising=False)
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path))
    data = calhouse.load_california()
    assert data.source == "scikit-learn"
    assert data.sha256 == calhouse.load_california(raw_file).sha256


def test_split_is_the_tutorials(raw_file: Path, split: calhouse.Split) -> None:
    data = calhouse.load_california(raw_file)
    X_train, X_test, y_train, y_test = train_test_split(
        data.X[:600], data.y[:600], test_size=0.3, random_state=0
    )
    assert split.X_train.shape == (420, 8)
    assert split.X_test.shape == (180, 8)
    assert split.y_train.shape == (420, 1)
    assert split.y_test.shape == (180, 1)
    for tensor in (split.X_train, split.X_test, split.y_train, split.y_test):
        assert tensor.dtype == torch.float32
    assert torch.equal(split.X_train, torch.tensor(X_train).float())
    assert torch.equal(split.X_test, torch.tensor(X_test).float())
    assert torch.equal(split.y_train[:, 0], torch.tensor(y_train).float())
    assert torch.equal(split.y_test[:, 0], torch.tensor(y_test).float())
    assert split.data_sha256 == data.sha256


def test_split_of_all_rows(raw_file: Path) -> None:
    full = calhouse.load_split(None, path=raw_file)
    assert len(full.X_train) + len(full.X_test) == 20640
    assert len(full.X_test) == 6192


@pytest.mark.parametrize("n_samples", [0, 1, 20641])
def test_split_rejects_bad_n_samples(raw_file: Path, n_samples: object) -> None:
    with pytest.raises(ValueError, match=r"n_samples must be in \[2, 20640\] or None"):
        calhouse.load_split(n_samples, path=raw_file)  # type: ignore[arg-type]


@pytest.mark.parametrize("n_samples", [600.0, "600", True])
def test_split_rejects_n_samples_that_are_not_whole_numbers(
    raw_file: Path, n_samples: object
) -> None:
    with pytest.raises(TypeError, match="n_samples must be a whole number or None"):
        calhouse.load_split(n_samples, path=raw_file)  # type: ignore[arg-type]


def test_split_takes_numpy_integers(raw_file: Path) -> None:
    split = calhouse.load_split(np.int64(600), path=raw_file)
    assert len(split.X_train) == 420


@pytest.mark.parametrize(
    ("test_size", "error"), [(1.5, ValueError), (0, ValueError), ("0.3", TypeError)]
)
def test_split_rejects_bad_test_sizes(raw_file: Path, test_size: object, error: type) -> None:
    with pytest.raises(error, match="test_size must be a fraction"):
        calhouse.load_split(600, test_size=test_size, path=raw_file)  # type: ignore[arg-type]


def test_a_directory_is_not_a_data_file(tmp_path: Path) -> None:
    with pytest.raises(calhouse.DataFileError, match="is a directory; expected the raw StatLib"):
        calhouse.load_split(600, path=tmp_path)


def test_windows_line_endings_are_named(raw_copy: Path) -> None:
    raw_copy.write_bytes(raw_copy.read_bytes().replace(b"\n", b"\r\n"))
    with pytest.raises(calhouse.DataFileError, match=r"Windows line endings \(CRLF\)"):
        calhouse.load_split(600, path=raw_copy)


def test_an_extra_row_fails_the_row_count_even_unchecked(raw_copy: Path) -> None:
    lines = raw_copy.read_bytes().splitlines(keepends=True)
    raw_copy.write_bytes(b"".join([*lines, lines[-1]]))
    with pytest.raises(calhouse.DataFileError, match="expected 20640 rows, got 20641"):
        calhouse.data.read_raw_file(raw_copy, verify_checksum=False)


# --- bad data files: each gets a clear error naming the file, and is left as it was


def _rewrite_line(path: Path, lineno: int, new: str) -> None:
    lines = path.read_text().splitlines(keepends=True)
    lines[lineno - 1] = new + "\n"
    path.write_text("".join(lines))


def _assert_rejected(path: Path, pattern: str) -> None:
    before = file_digest(path)
    with pytest.raises(calhouse.DataFileError, match=pattern) as info:
        calhouse.load_california(path)
    assert str(path) in str(info.value)
    assert file_digest(path) == before


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.data"
    with pytest.raises(calhouse.DataFileError, match="no such file") as info:
        calhouse.load_california(missing)
    assert str(missing) in str(info.value)
    assert "20640 rows, 9 columns" in str(info.value)
    assert not missing.exists()


def test_wrong_column_count(raw_copy: Path) -> None:
    _rewrite_line(raw_copy, 7, "-122.25,37.84,52.0,3104.0,687.0,1157.0,647.0,3.12")
    _assert_rejected(
        raw_copy, r"line 7: expected 9 comma-separated columns \(longitude, .*\), got 8"
    )


def test_non_numeric_cell(raw_copy: Path) -> None:
    _rewrite_line(raw_copy, 3, "-122.24,37.85,52.0,1467.0,abc,496.0,177.0,7.2574,352100.0")
    _assert_rejected(raw_copy, r"line 3, column 5 \(total_bedrooms\): expected a number, got 'abc'")


@pytest.mark.parametrize("cell", ["nan", "inf"])
def test_non_finite_cell(raw_copy: Path, cell: str) -> None:
    _rewrite_line(raw_copy, 2, f"-122.22,37.86,21.0,7099.0,1106.0,2401.0,1138.0,{cell},358500.0")
    _assert_rejected(
        raw_copy, rf"line 2, column 8 \(median_income\): expected a finite number, got '{cell}'"
    )


def test_truncated_file(raw_copy: Path) -> None:
    lines = raw_copy.read_text().splitlines(keepends=True)
    raw_copy.write_text("".join(lines[:15000]))
    _assert_rejected(raw_copy, r"expected 20640 rows, got 15000 \(the file looks truncated\)")


def test_empty_file(raw_copy: Path) -> None:
    raw_copy.write_text("")
    _assert_rejected(raw_copy, r"expected 20640 rows, got 0")


def test_altered_value_fails_the_checksum(raw_copy: Path) -> None:
    text = raw_copy.read_text()
    raw_copy.write_text(text.replace("452600.0", "452700.0", 1))
    _assert_rejected(raw_copy, r"sha256 is [0-9a-f]{64}, expected a2b44dcc.*altered")


def test_checksum_can_be_skipped_for_a_known_variant(raw_copy: Path) -> None:
    text = raw_copy.read_text()
    raw_copy.write_text(text.replace("452600.0", "452700.0", 1))
    raw = calhouse.data.read_raw_file(raw_copy, verify_checksum=False)
    assert raw[0, 8] == 452700.0


def test_derive_features_checks_shape() -> None:
    with pytest.raises(ValueError, match=re.escape("raw must have shape (n_rows, 9), got (3, 8)")):
        calhouse.data.derive_features(np.zeros((3, 8)))


# --- the table checks every function that takes the tutorial's rows applies (here rmse's)


@pytest.mark.parametrize(
    ("bad", "error", "pattern"),
    [
        (
            np.zeros((3, 8), dtype=np.float32),
            TypeError,
            r"X must be a torch.Tensor of shape \(n_samples, 8\), got numpy.ndarray",
        ),
        (
            torch.zeros(3, 8, dtype=torch.float64),
            TypeError,
            "dtype torch.float32, got torch.float64",
        ),
        (torch.zeros(3, 7), ValueError, r"8 columns \(MedInc, HouseAge, ..., Longitude\), got 7"),
        (torch.zeros(8), ValueError, r"got \(8,\); for a single row use X.reshape\(1, -1\)"),
        (torch.zeros(0, 8), ValueError, "X has 0 rows; at least one row is needed"),
        (torch.zeros(3, 8, device="meta"), ValueError, "on the 'meta' device"),
    ],
)
def test_tables_of_the_wrong_kind_are_refused(
    bad: object, error: type[Exception], pattern: str
) -> None:
    with pytest.raises(error, match=pattern):
        calhouse.rmse(calhouse.CaliforniaModel(), bad, torch.zeros(3, 1))  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_tables_with_non_finite_values_are_refused(value: float) -> None:
    X = torch.zeros(4, 8)
    X[2, 4] = value
    with pytest.raises(ValueError, match=r"row 2, column 4 \(Population\) is .*1 non-finite"):
        calhouse.rmse(calhouse.CaliforniaModel(), X, torch.zeros(4, 1))


def test_load_split_defaults_and_limits_in_full(raw_file) -> None:
    split = calhouse.load_split(path=raw_file)
    assert (len(split.X_train), len(split.X_test)) == (420, 180)  # the tutorial's 600 rows
    assert split.feature_names == calhouse.FEATURE_NAMES
    smallest = calhouse.load_split(2, path=raw_file)
    assert (len(smallest.X_train), len(smallest.X_test)) == (1, 1)
    assert len(calhouse.load_split(20640, path=raw_file).X_train) == 14448
    refusals = [
        ({"n_samples": 1}, ValueError, "n_samples must be in [2, 20640] or None, got 1"),
        ({"n_samples": 20641}, ValueError, "n_samples must be in [2, 20640] or None, got 20641"),
        ({"test_size": 1.0}, ValueError,
         "test_size must be a fraction strictly between 0 and 1, got 1.0"),
        ({"data": "x"}, TypeError,
         "data must be a CaliforniaHousing (load_california()), got 'x'"),
    ]  # fmt: skip
    for kwargs, error, message in refusals:
        with pytest.raises(error, match=f"^{re.escape(message)}$"):
            calhouse.load_split(path=raw_file, **kwargs)
