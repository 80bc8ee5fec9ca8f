"""calhouse: interpret a PyTorch regression model of California house prices with Captum.

The package carries what the tutorial's pages share: the data
(:mod:`calhouse.data`), the network (:mod:`calhouse.model`), its training
(:mod:`calhouse.train`) and the models calhouse ships (:mod:`calhouse.shipped`),
attribution for every row of a table (:mod:`calhouse.attribution`), the
gallery's figures (:mod:`calhouse.plotting`) and a scikit-learn wrapper
(:mod:`calhouse.estimator`). The examples keep Captum's own calls in view.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from calhouse.attribution import METHODS, attribute_dataset, layer_conductance_dataset
from calhouse.data import (
    FEATURE_NAMES,
    TARGET_NAME,
    CaliforniaHousing,
    DataDownloadError,
    DataFileError,
    Split,
    load_california,
    load_split,
)
from calhouse.model import (
    CaliforniaModel,
    ModelFileError,
    StandardizedCaliforniaModel,
    load_model,
    read_metadata,
    save_model,
)
from calhouse.plotting import (
    METHOD_COLORS,
    plot_attribution_bars,
    plot_grouped_bars,
    plot_loss_curve,
)
from calhouse.shipped import MODELS, fit, load_or_train_model, train_and_save
from calhouse.train import TrainingConfig, TrainingResult, rmse, train_model

if TYPE_CHECKING:
    from calhouse.estimator import TorchRegressor

__version__ = "0.1.0"

__all__ = [
    "FEATURE_NAMES",
    "METHODS",
    "METHOD_COLORS",
    "MODELS",
    "TARGET_NAME",
    "CaliforniaHousing",
    "CaliforniaModel",
    "DataDownloadError",
    "DataFileError",
    "ModelFileError",
    "Split",
    "StandardizedCaliforniaModel",
    "TorchRegressor",
    "TrainingConfig",
    "TrainingResult",
    "attribute_dataset",
    "fit",
    "layer_conductance_dataset",
    "load_california",
    "load_model",
    "load_or_train_model",
    "load_split",
    "plot_attribution_bars",
    "plot_grouped_bars",
    "plot_loss_curve",
    "read_metadata",
    "rmse",
    "save_model",
    "train_and_save",
    "train_model",
]


def __getattr__(name: str) -> type[TorchRegressor]:
    """``calhouse.TorchRegressor``, imported on first use (PEP 562).

    It needs scikit-learn's base classes, whose import (SciPy's with it) takes about
    as long as torch's; a process that trains or explains a model never pays for it.
    """
    if name == "TorchRegressor":
        from calhouse.estimator import TorchRegressor

        return TorchRegressor
    raise AttributeError(
        f"module 'calhouse' has no attribute {name!r}", name=name, obj=sys.modules[__name__]
    )


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
