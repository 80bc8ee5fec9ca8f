"""calhouse: interpret a PyTorch regression model of California house prices with Captum.

The package carries the plumbing of the tutorial (data, model, training,
attribution helpers); the examples keep Captum's own calls in view.
"""

from calhouse.attribution import (
    METHODS,
    attribute,
    first_layer_weights,
    l1_normalize,
    last_layer_weights,
    layer_conductance,
    normalized_sum,
    tutorial_attributions,
)
from calhouse.claims import ClaimError, claim
from calhouse.data import (
    DATA_ENV_VAR,
    FEATURE_DESCRIPTIONS,
    FEATURE_NAMES,
    RAW_SHA256,
    TARGET_NAME,
    CaliforniaHousing,
    DataFileError,
    Split,
    check_features,
    derive_features,
    load_california,
    load_split,
    read_raw_file,
)
from calhouse.model import (
    CaliforniaModel,
    ModelFileError,
    StandardizedCaliforniaModel,
    default_model_path,
    load_model,
    read_metadata,
    save_model,
)
from calhouse.plotting import (
    METHOD_COLORS,
    plot_attribution_bars,
    plot_features_vs_target,
    plot_grouped_bars,
    plot_loss_curve,
)
from calhouse.train import (
    MODELS,
    ModelSpec,
    TrainingConfig,
    TrainingResult,
    fit,
    load_or_train_model,
    rmse,
    train_and_save,
    train_model,
)

__version__ = "0.1.0"

__all__ = [
    "DATA_ENV_VAR",
    "FEATURE_DESCRIPTIONS",
    "FEATURE_NAMES",
    "METHODS",
    "METHOD_COLORS",
    "MODELS",
    "RAW_SHA256",
    "TARGET_NAME",
    "CaliforniaHousing",
    "CaliforniaModel",
    "ClaimError",
    "DataFileError",
    "ModelFileError",
    "ModelSpec",
    "Split",
    "StandardizedCaliforniaModel",
    "TrainingConfig",
    "TrainingResult",
    "__version__",
    "attribute",
    "check_features",
    "claim",
    "default_model_path",
    "derive_features",
    "first_layer_weights",
    "fit",
    "l1_normalize",
    "last_layer_weights",
    "layer_conductance",
    "load_california",
    "load_model",
    "load_or_train_model",
    "load_split",
    "normalized_sum",
    "plot_attribution_bars",
    "plot_features_vs_target",
    "plot_grouped_bars",
    "plot_loss_curve",
    "read_metadata",
    "read_raw_file",
    "rmse",
    "save_model",
    "train_and_save",
    "train_model",
    "tutorial_attributions",
]
