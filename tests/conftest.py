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
