"""Where the data comes from: the raw file named by CALHOUSE_DATA, or scikit-learn's download.

The download itself is replaced here (no network): what calhouse does with a failed
download, with what scikit-learn returns, and with the environment variable.
"""

from __future__ import annotations

import http.client
import urllib.error
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import sklearn.datasets

import calhouse
from calhouse import data


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (urllib.error.URLError("[Errno -2] Name or service not known"), "Name or service"),
        (http.client.RemoteDisconnected("Remote end closed connection"), "Remote end closed"),
        (TimeoutError("timed out"), "timed out"),
        (ConnectionResetError(104, "Connection reset by peer"), "Connection reset by peer"),
    ],
    ids=["URLError", "HTTPException", "TimeoutError", "ConnectionError"],
)
def test_a_failed_download_is_one_clear_error(
    error: Exception, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def offline(**_kwargs: object) -> None:
        raise error

    monkeypatch.delenv("CALHOUSE_DATA", raising=False)
    monkeypatch.setattr(sklearn.datasets, "fetch_california_housing", offline)
    with pytest.raises(calhouse.DataDownloadError) as info:
        calhouse.load_california()
    message = str(info.value)
    assert message.startswith(
        "could not download the California housing data: scikit-learn's "
        f"fetch_california_housing() tried {data.DOWNLOAD_URL} (cal_housing.tgz) and got "
    )
    assert reason in message
    assert message.endswith(
        "Offline? Point CALHOUSE_DATA at a copy of the raw StatLib file cal_housing.data: "
        "export CALHOUSE_DATA=/path/to/cal_housing.data"
    )
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__
    assert isinstance(info.value, ConnectionError)


def test_scikit_learns_warnings_before_each_retry_are_silenced(
    raw_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = data.read_raw_file(raw_file)
    X, y = data.derive_features(table)

    def fetch(**_kwargs: object) -> SimpleNamespace:
        import warnings

        warnings.warn("Retry downloading from url: ...", UserWarning, stacklevel=1)
        return SimpleNamespace(feature_names=list(calhouse.FEATURE_NAMES), data=X, target=y)

    monkeypatch.delenv("CALHOUSE_DATA", raising=False)
    monkeypatch.setattr(sklearn.datasets, "fetch_california_housing", fetch)
    loaded = calhouse.load_california()  # warnings are errors in this test suite
    assert loaded.source == "scikit-learn"
    assert loaded.X.dtype == np.float64
    assert np.array_equal(loaded.X, X)
    assert np.array_equal(loaded.y, y)
    assert loaded.feature_names == calhouse.FEATURE_NAMES


def test_other_features_from_scikit_learn_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    names = [*calhouse.FEATURE_NAMES[:-1], "Lon"]
    bunch = SimpleNamespace(feature_names=names, data=np.zeros((2, 8)), target=np.zeros(2))
    monkeypatch.delenv("CALHOUSE_DATA", raising=False)
    monkeypatch.setattr(sklearn.datasets, "fetch_california_housing", lambda **_k: bunch)
    with pytest.raises(calhouse.DataFileError, match=r"scikit-learn returned features \[.*'Lon'\]"):
        calhouse.load_california()


def test_an_empty_environment_variable_means_download(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALHOUSE_DATA", "")
    bunch = SimpleNamespace(
        feature_names=list(calhouse.FEATURE_NAMES), data=np.ones((3, 8)), target=np.ones(3)
    )
    monkeypatch.setattr(sklearn.datasets, "fetch_california_housing", lambda **_k: bunch)
    assert calhouse.load_california().source == "scikit-learn"


def test_a_given_path_wins_over_the_environment(
    raw_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALHOUSE_DATA", str(tmp_path / "absent.data"))
    assert calhouse.load_california(raw_file).source == str(raw_file)
    with pytest.raises(calhouse.DataFileError, match=r"absent\.data: no such file"):
        calhouse.load_california()
