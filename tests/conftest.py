"""Shared fixtures: the raw data file, the tutorial split, the shipped model."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
import torch

import calhouse


def _raw_data_file() -> Path | None:
    path = os.environ.get("CALHOUSE_DATA")
    return Path(path) if path else None


@pytest.fixture(scope="session")
def raw_file() -> Path:
    """The raw StatLib file named by CALHOUSE_DATA (nox and CI set it)."""
    path = _raw_data_file()
    if path is None or not path.is_file():
        message = "CALHOUSE_DATA must name the raw cal_housing.data for this test"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def raw_copy(raw_file: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the raw file to damage."""
    copy = tmp_path / "cal_housing.data"
    shutil.copyfile(raw_file, copy)
    return copy


@pytest.fixture(scope="session")
def split(raw_file: Path) -> calhouse.Split:
    """The tutorial's split: first 600 rows, 70/30, random_state=0."""
    return calhouse.load_split(600, path=raw_file)


@pytest.fixture(scope="session")
def model() -> torch.nn.Module:
    """The shipped tutorial model."""
    return calhouse.load_model()


def file_digest(path: Path) -> str:
    """sha256 of a file, to show that a failed call left it unchanged."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


# Why a grouped test cannot run on this worker, when its group does not hold.
_LOST_GROUP = pytest.StashKey[str]()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a worker of ``--dist loadgroup``: find the grouped tests whose group would not hold.

    A group's tests share a costly session fixture (a retraining, a venv) on one
    worker. pytest-xdist marks them by appending ``@group`` to their node ids, which
    pytest 9.2 no longer takes (pytest-xdist#1386): the tests are then spread over
    the workers and each builds the fixture again, silently. constraints.txt pins
    a pytest that works; this check keeps an upgrade from undoing it unseen.
    """
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid:
            item.stash[_LOST_GROUP] = (
                f"pytest-xdist's --dist loadgroup does not group with pytest "
                f"{pytest.__version__} (pytest-xdist#1386): pin a pytest that works"
            )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Fail a grouped test whose group does not hold, before its costly fixtures."""
    if _LOST_GROUP in item.stash:
        pytest.fail(item.stash[_LOST_GROUP], pytrace=False)
