"""The California housing data, as scikit-learn serves it, and the tutorial's split.

Two sources give identical arrays:

* scikit-learn's :func:`~sklearn.datasets.fetch_california_housing`, which downloads
  the StatLib archive once and caches it (the default on a connected machine);
* the raw StatLib file ``cal_housing.data`` itself, named by the ``CALHOUSE_DATA``
  environment variable or passed as ``path`` (offline machines, CI, docs builds).

The raw file is verified before use: its shape, every cell and its sha256.
"""

from __future__ import annotations

import numbers
import os
import warnings
from dataclasses import dataclass

import numpy as np
import torch

# The raw file's reader and constants, used here and documented here for users.
from calhouse._raw import (  # noqa: F401
    _SKLEARN_COLUMN_ORDER,
    DATA_ENV_VAR,
    RAW_COLUMNS,
    RAW_N_ROWS,
    RAW_SHA256,
    DataDownloadError,
    DataFileError,
    arrays_sha256,
    derive_features,
    read_raw_file,
)

__all__ = [
    "FEATURE_NAMES",
    "TARGET_NAME",
    "CaliforniaHousing",
    "DataDownloadError",
    "DataFileError",
    "Split",
    "load_california",
    "load_split",
]

#: The eight features, in scikit-learn's order.
FEATURE_NAMES: tuple[str, ...] = (
    "MedInc",
    "HouseAge",
    "AveRooms",
    "AveBedrms",
    "Population",
    "AveOccup",
    "Latitude",
    "Longitude",
)

#: What each feature measures, per census block group (a "district").
FEATURE_DESCRIPTIONS: dict[str, str] = {
    "MedInc": "median income in the block group, in tens of thousands of dollars",
    "HouseAge": "median age of the houses in the block group, in years",
    "AveRooms": "average number of rooms per household",
    "AveBedrms": "average number of bedrooms per household",
    "Population": "number of people living in the block group",
    "AveOccup": "average number of people per household",
    "Latitude": "latitude of the block group, in degrees north",
    "Longitude": "longitude of the block group, in degrees east (negative: west)",
}

#: The target: median house value in the block group, in units of $100,000.
TARGET_NAME = "MedHouseVal"

#: What scikit-learn's :func:`~sklearn.datasets.fetch_california_housing` downloads.
DOWNLOAD_URL = "https://ndownloader.figshare.com/files/5976036"


@dataclass(frozen=True)
class CaliforniaHousing:
    """The full dataset: 20,640 districts.

    Attributes
    ----------
    X : numpy.ndarray of shape (20640, 8), dtype float64
        The features, columns in :data:`FEATURE_NAMES` order.
    y : numpy.ndarray of shape (20640,), dtype float64
        Median house value in units of $100,000.
    feature_names : tuple of str
        :data:`FEATURE_NAMES`.
    source : str
        ``"scikit-learn"`` or the path of the raw file that was read.

    Examples
    --------
    >>> data = load_california()
    >>> data.X.shape, data.feature_names[0], float(data.y.max())
    ((20640, 8), 'MedInc', 5.00001)
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    source: str

    @property
    def sha256(self) -> str:
        """Fingerprint of the derived arrays (the same whichever source gave them)."""
        return arrays_sha256(self.X, self.y)

    def __repr__(self) -> str:
        return (
            f"CaliforniaHousing(n_samples={len(self.X)}, features={len(self.feature_names)}, "
            f"source={self.source!r})"
        )


def load_california(path: str | os.PathLike[str] | None = None) -> CaliforniaHousing:
    """Load the 20,640 districts of the California housing data.

    Parameters
    ----------
    path : str or path-like, optional
        A raw StatLib ``cal_housing.data`` to read (and verify). When omitted, the
        file named by the ``CALHOUSE_DATA`` environment variable is read if it is
        set; otherwise scikit-learn's :func:`~sklearn.datasets.fetch_california_housing`
        downloads and caches the data.

    Returns
    -------
    CaliforniaHousing
        Features and target exactly as scikit-learn returns them.

    Examples
    --------
    >>> data = load_california()
    >>> data.X.shape, data.feature_names[0]
    ((20640, 8), 'MedInc')
    """
    if path is None:
        path = os.environ.get(DATA_ENV_VAR) or None
    if path is not None:
        X, y = derive_features(read_raw_file(path))
        return CaliforniaHousing(X=X, y=y, feature_names=FEATURE_NAMES, source=str(path))
    import http.client
    import urllib.error

    from sklearn.datasets import fetch_california_housing

    try:
        with warnings.catch_warnings():
            # scikit-learn warns before each retry; the error below says what happened.
            warnings.filterwarnings("ignore", "Retry downloading", UserWarning)
            bunch = fetch_california_housing()
    except (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DataDownloadError(
            "could not download the California housing data: scikit-learn's "
            f"fetch_california_housing() tried {DOWNLOAD_URL} (cal_housing.tgz) and got "
            f"{reason}. Offline? Point {DATA_ENV_VAR} at a copy of the raw StatLib file "
            f"cal_housing.data: export {DATA_ENV_VAR}=/path/to/cal_housing.data"
        ) from None
    if tuple(bunch.feature_names) != FEATURE_NAMES:
        raise DataFileError(
            f"scikit-learn returned features {bunch.feature_names}, expected {FEATURE_NAMES}"
        )
    X = np.asarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target, dtype=np.float64)
    return CaliforniaHousing(X=X, y=y, feature_names=FEATURE_NAMES, source="scikit-learn")


@dataclass(frozen=True)
class Split:
    """A train/test split as float32 tensors, ready for the model.

    Attributes
    ----------
    X_train, X_test : torch.Tensor of shape (n, 8), dtype float32
    y_train, y_test : torch.Tensor of shape (n, 1), dtype float32
    feature_names : tuple of str
    data_sha256 : str
        Fingerprint of the full derived dataset the split was cut from.

    Examples
    --------
    >>> split = load_split()
    >>> split.feature_names[:2], len(split.sha256), split.data_sha256 == load_california().sha256
    (('MedInc', 'HouseAge'), 64, True)
    """

    X_train: torch.Tensor
    X_test: torch.Tensor
    y_train: torch.Tensor
    y_test: torch.Tensor
    feature_names: tuple[str, ...]
    data_sha256: str

    def __repr__(self) -> str:
        return (
            f"Split(n_train={len(self.X_train)}, n_test={len(self.X_test)}, "
            f"features={len(self.feature_names)})"
        )

    @property
    def sha256(self) -> str:
        """Fingerprint of the four tensors of this split."""
        return arrays_sha256(
            *(t.numpy() for t in (self.X_train, self.X_test, self.y_train, self.y_test))
        )


def load_split(
    n_samples: int | None = 600,
    *,
    test_size: float = 0.3,
    random_state: int = 0,
    path: str | os.PathLike[str] | None = None,
    data: CaliforniaHousing | None = None,
) -> Split:
    """The tutorial's data: the first ``n_samples`` rows, split 70/30.

    Parameters
    ----------
    n_samples : int or None, default=600
        Keep the first ``n_samples`` rows, as the tutorial does; ``None`` keeps all.
    test_size : float, default=0.3
        Fraction of the rows held out for testing.
    random_state : int, default=0
        Seed of :func:`~sklearn.model_selection.train_test_split`.
    path : str or path-like, optional
        Raw data file, as in :func:`load_california`.
    data : CaliforniaHousing, optional
        Already loaded data (``path`` is then ignored).

    Returns
    -------
    Split
        Float32 tensors; targets have shape ``(n, 1)``.

    Examples
    --------
    >>> split = load_split()
    >>> split
    Split(n_train=420, n_test=180, features=8)
    >>> split.X_train.dtype, tuple(split.y_test.shape)
    (torch.float32, (180, 1))
    """
    from sklearn.model_selection import train_test_split

    if n_samples is not None and (
        isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral)
    ):
        raise TypeError(f"n_samples must be a whole number or None, got {n_samples!r}")
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise TypeError(f"test_size must be a fraction such as 0.3, got {test_size!r}")
    if not 0 < test_size < 1:
        raise ValueError(
            f"test_size must be a fraction strictly between 0 and 1, got {test_size!r}"
        )
    if data is not None and not isinstance(data, CaliforniaHousing):
        raise TypeError(f"data must be a CaliforniaHousing (load_california()), got {data!r}")
    n_rows = RAW_N_ROWS if data is None else len(data.X)
    if n_samples is not None and not 2 <= n_samples <= n_rows:
        raise ValueError(f"n_samples must be in [2, {n_rows}] or None, got {n_samples!r}")
    n_samples = None if n_samples is None else int(n_samples)
    if data is None:
        data = load_california(path)
    X = data.X if n_samples is None else data.X[:n_samples]
    y = data.y if n_samples is None else data.y[:n_samples]
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=random_state
    )
    return Split(
        X_train=torch.tensor(X_train).float(),
        X_test=torch.tensor(X_test).float(),
        y_train=torch.tensor(y_train).view(-1, 1).float(),
        y_test=torch.tensor(y_test).view(-1, 1).float(),
        feature_names=data.feature_names,
        data_sha256=data.sha256,
    )
