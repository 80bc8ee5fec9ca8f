"""The raw StatLib file ``cal_housing.data``: read it, verify it, derive scikit-learn's arrays.

Private: :mod:`calhouse.data` is where users import these names from.
"""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path

import numpy as np

from calhouse._io import sha256_file

#: Environment variable naming a local copy of the raw StatLib ``cal_housing.data``.
DATA_ENV_VAR = "CALHOUSE_DATA"

#: Columns of the raw StatLib file, in file order.
RAW_COLUMNS: tuple[str, ...] = (
    "longitude",
    "latitude",
    "housing_median_age",
    "total_rooms",
    "total_bedrooms",
    "population",
    "households",
    "median_income",
    "median_house_value",
)

#: Number of rows (districts) in the raw file.
RAW_N_ROWS = 20640

#: sha256 of the raw file that scikit-learn's archive contains.
RAW_SHA256 = "a2b44dcc7e1c9091b43c4f458b25cbd1f7e8068d08edd26bc4703108d3fa6214"

# scikit-learn reorders the raw columns to (target, MedInc, HouseAge, rooms,
# bedrooms, population, households, latitude, longitude) before deriving.
_SKLEARN_COLUMN_ORDER = [8, 7, 2, 3, 4, 5, 6, 1, 0]


class DataFileError(ValueError):
    """A data file is missing, malformed, truncated or not the expected file."""


class DataDownloadError(ConnectionError):
    """The data could not be downloaded, and no local copy was named."""


def arrays_sha256(*arrays: np.ndarray) -> str:
    """Hex sha256 over the little-endian float64 bytes of the given arrays."""
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array, dtype="<f8").tobytes())
    return digest.hexdigest()


def read_raw_file(path: str | os.PathLike[str], *, verify_checksum: bool = True) -> np.ndarray:
    """Read and verify the raw StatLib ``cal_housing.data`` file.

    Parameters
    ----------
    path : str or path-like
        The file: 20,640 comma-separated rows of the 9 :data:`RAW_COLUMNS`.
    verify_checksum : bool, default=True
        Also compare the file's sha256 with :data:`RAW_SHA256`.

    Returns
    -------
    raw : numpy.ndarray of shape (20640, 9), dtype float64
        The file's values, columns in :data:`RAW_COLUMNS` order.

    Raises
    ------
    DataFileError
        If the file is missing, a line has the wrong number of columns, a cell is
        not a finite number, the row count is not 20,640, or the checksum differs.
    """
    path = Path(path)
    if path.is_dir():
        raise DataFileError(
            f"{path} is a directory; expected the raw StatLib file cal_housing.data "
            f"({RAW_N_ROWS} rows, 9 columns) itself, e.g. {path / 'cal_housing.data'}"
        )
    if not path.is_file():
        raise DataFileError(
            f"{path}: no such file. Expected the raw StatLib cal_housing.data "
            f"({RAW_N_ROWS} rows, 9 columns); unset {DATA_ENV_VAR} to download it "
            "through scikit-learn instead."
        )
    text = path.read_bytes().decode("ascii", errors="replace")
    rows = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        cells = line.split(",")
        if len(cells) != len(RAW_COLUMNS):
            raise DataFileError(
                f"{path}, line {lineno}: expected {len(RAW_COLUMNS)} comma-separated "
                f"columns ({', '.join(RAW_COLUMNS)}), got {len(cells)}"
            )
        try:
            values = [float(cell) for cell in cells]
        except ValueError:
            bad = next(i for i, cell in enumerate(cells) if not _is_float(cell))
            raise DataFileError(
                f"{path}, line {lineno}, column {bad + 1} ({RAW_COLUMNS[bad]}): "
                f"expected a number, got {cells[bad].strip()!r}"
            ) from None
        if not all(map(math.isfinite, values)):
            bad = next(i for i, v in enumerate(values) if not math.isfinite(v))
            raise DataFileError(
                f"{path}, line {lineno}, column {bad + 1} ({RAW_COLUMNS[bad]}): "
                f"expected a finite number, got {cells[bad].strip()!r}"
            )
        rows.append(values)
    if len(rows) != RAW_N_ROWS:
        raise DataFileError(
            f"{path}: expected {RAW_N_ROWS} rows, got {len(rows)}"
            + (" (the file looks truncated)" if len(rows) < RAW_N_ROWS else "")
        )
    if verify_checksum:
        actual = sha256_file(path)
        if actual != RAW_SHA256 and b"\r\n" in path.read_bytes():
            raise DataFileError(
                f"{path}: the file has Windows line endings (CRLF), so its sha256 is not "
                f"the original's {RAW_SHA256}; convert the line endings back to LF "
                "(e.g. `dos2unix`, or git's core.autocrlf=false) and try again"
            )
        if actual != RAW_SHA256:
            raise DataFileError(
                f"{path}: sha256 is {actual}, expected {RAW_SHA256}. The file parses "
                "but is not the StatLib original that scikit-learn downloads (altered "
                "values?). Replace it with the original cal_housing.data."
            )
    return np.asarray(rows, dtype=np.float64)


def _is_float(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def derive_features(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Derive scikit-learn's eight features and target from the raw columns.

    The arithmetic is scikit-learn's, operation for operation, so the result is
    bit-for-bit what :func:`~sklearn.datasets.fetch_california_housing` returns.

    Parameters
    ----------
    raw : numpy.ndarray of shape (n_rows, 9)
        Raw columns in :data:`RAW_COLUMNS` order.

    Returns
    -------
    X : numpy.ndarray of shape (n_rows, 8)
        Features in :data:`FEATURE_NAMES` order.
    y : numpy.ndarray of shape (n_rows,)
        Median house value in units of $100,000.
    """
    raw = np.asarray(raw, dtype=np.float64)
    if raw.ndim != 2 or raw.shape[1] != len(RAW_COLUMNS):
        raise ValueError(f"raw must have shape (n_rows, {len(RAW_COLUMNS)}), got {raw.shape}")
    reordered = raw[:, _SKLEARN_COLUMN_ORDER]
    target, data = reordered[:, 0], reordered[:, 1:]
    data[:, 2] /= data[:, 5]  # rooms per household
    data[:, 3] /= data[:, 5]  # bedrooms per household
    data[:, 5] = data[:, 4] / data[:, 5]  # people per household
    return data, target / 100000.0


# Raised, documented and imported as calhouse.data's.
DataFileError.__module__ = DataDownloadError.__module__ = "calhouse.data"
