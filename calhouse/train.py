"""Training with the tutorial's recipe, and load-or-train of the shipped models."""

from __future__ import annotations

import platform
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from calhouse._random import intra_op_threads, seeded
from calhouse.data import RAW_SHA256, Split, check_features, load_split
from calhouse.model import (
    CaliforniaModel,
    StandardizedCaliforniaModel,
    default_model_path,
    load_model,
    models_dir,
    save_model,
)

__all__ = [
    "MODELS",
    "ModelSpec",
    "TrainingConfig",
    "TrainingResult",
    "build_metadata",
    "fit",
    "load_or_train_model",
    "rmse",
    "train_and_save",
    "train_model",
]

LOG_FORMAT = "Epoch [%d]/[%d] running accumulative loss across all batches: %.3f"


@dataclass(frozen=True)
class TrainingConfig:
    """The tutorial's training recipe.

    Parameters
    ----------
    epochs : int, default=200
        Passes over the training set.
    batch_size : int, default=10
        Rows per shuffled mini-batch.
    lr : float, default=1e-4
        RMSprop learning rate.
    seed : int, default=1234
        Seed of torch and NumPy, set before the model is built (as the tutorial does).
    log_every : int, default=20
        Log the epoch's summed loss every ``log_every`` epochs, starting with the first.
    """

    epochs: int = 200
    batch_size: int = 10
    lr: float = 1e-4
    seed: int = 1234
    log_every: int = 20


@dataclass(frozen=True)
class TrainingResult:
    """What a training run reports.

    Attributes
    ----------
    epoch_losses : tuple of float
        The summed squared error over all batches of each epoch.
    log : tuple of str
        The tutorial's log lines (every ``log_every`` epochs).
    """

    epoch_losses: tuple[float, ...]
    log: tuple[str, ...]


def train_model(
    model: nn.Module,
    X_train: torch.Tensor,
    y_train: torch.Tensor,
    config: TrainingConfig = TrainingConfig(),
    *,
    progress: bool | None = None,
    log: Callable[[str], object] | None = print,
) -> TrainingResult:
    """Train ``model`` in place with RMSprop and summed MSE, as the tutorial does.

    Batches are shuffled with torch's global generator, so the caller controls
    the run by seeding it (:func:`fit` does). The loop runs on one torch thread
    (restored afterwards): batches of 10 rows gain nothing from more, and on a
    busy machine extra threads make each step wait. The result is the same.

    Parameters
    ----------
    model : torch.nn.Module
        The network to train.
    X_train : torch.Tensor of shape (n_samples, 8)
        Float32 features.
    y_train : torch.Tensor of shape (n_samples, 1)
        Float32 targets.
    config : TrainingConfig, default=TrainingConfig()
        Epochs, batch size, learning rate.
    progress : bool or None, default=None
        Show a progress bar over the epochs; ``None`` shows one only on a terminal.
    log : callable or None, default=print
        Receives each log line; ``None`` keeps them silent.

    Returns
    -------
    TrainingResult
        Per-epoch losses and the log lines.
    """
    from tqdm import tqdm

    check_features(X_train, "X_train")
    if not isinstance(y_train, torch.Tensor) or y_train.dtype != torch.float32:
        raise TypeError("y_train must be a float32 torch.Tensor of shape (n_samples, 1)")
    if tuple(y_train.shape) != (len(X_train), 1):
        raise ValueError(
            f"y_train must have shape ({len(X_train)}, 1) to match X_train, got {tuple(y_train.shape)}"
        )
    if not bool(torch.isfinite(y_train).all()):
        raise ValueError("y_train must be finite; it contains NaN or infinite values")

    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(X_train, y_train),
        batch_size=config.batch_size,
        shuffle=True,
    )
    optimizer = torch.optim.RMSprop(model.parameters(), lr=config.lr)
    criterion = nn.MSELoss(reduction="sum")
    losses: list[float] = []
    lines: list[str] = []
    model.train()
    epochs = tqdm(
        range(config.epochs),
        desc="training",
        unit="epoch",
        disable=None if progress is None else not progress,
    )
    with intra_op_threads(1):
        for epoch in epochs:
            running_loss = 0.0
            for inputs, labels in loader:
                loss = criterion(model(inputs), labels)
                optimizer.zero_grad()
                loss.backward()
                running_loss += loss.item()
                optimizer.step()
            losses.append(running_loss)
            epochs.set_postfix(loss=f"{running_loss:.1f}", refresh=False)
            if epoch % config.log_every == 0:
                line = LOG_FORMAT % (epoch + 1, config.epochs, running_loss)
                lines.append(line)
                if log is not None:
                    log(line)
    model.eval()
    return TrainingResult(epoch_losses=tuple(losses), log=tuple(lines))


def rmse(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Root mean squared error of ``model`` on ``(X, y)``, computed as the tutorial does.

    Parameters
    ----------
    model : torch.nn.Module
        The trained network.
    X : torch.Tensor of shape (n_samples, 8)
        Float32 features.
    y : torch.Tensor of shape (n_samples, 1)
        Targets.

    Returns
    -------
    float
        ``sqrt(mean_squared_error(model(X), y))``.
    """
    from sklearn.metrics import mean_squared_error

    check_features(X)
    with torch.no_grad():
        outputs = model(X)
    return float(np.sqrt(mean_squared_error(outputs.cpu().numpy(), y.cpu().numpy())))


@dataclass(frozen=True)
class ModelSpec:
    """How one of the shipped models is built, trained and stored.

    Attributes
    ----------
    name : str
        Key in :data:`MODELS` and value of ``--model`` on the command line.
    filename : str
        File in ``models/``; the metadata sits beside it as ``.json``.
    description : str
        One line for ``--help`` and the metadata.
    n_samples : int or None
        Rows of the data used (the first ``n_samples``; ``None`` for all).
    config : TrainingConfig
        The training recipe.
    model_class : type
        The network; ``model_class()`` makes an empty one to load weights into.
    build : callable or None
        Makes the untrained model from the training split, for models that take
        statistics of the data; ``None`` calls ``model_class()``.
    """

    name: str
    filename: str
    description: str
    n_samples: int | None = 600
    config: TrainingConfig = field(default_factory=TrainingConfig)
    model_class: type[nn.Module] = CaliforniaModel
    build: Callable[[Split], nn.Module] | None = None

    def new_model(self, split: Split) -> nn.Module:
        """The untrained model for ``split`` (call it after seeding)."""
        return self.build(split) if self.build is not None else self.model_class()

    @property
    def path(self) -> Path:
        """Default location of the weights."""
        return default_model_path(self.filename)


#: The models this package ships, by name.
MODELS: dict[str, ModelSpec] = {
    "tutorial": ModelSpec(
        name="tutorial",
        filename="california_model.pt",
        description="the tutorial's model: first 600 rows, raw features, 200 epochs",
    ),
    "standardized": ModelSpec(
        name="standardized",
        filename="california_model_standardized.pt",
        description="the tutorial's recipe with standardised inputs: first 600 rows, 200 epochs",
        model_class=StandardizedCaliforniaModel,
        build=lambda split: StandardizedCaliforniaModel.from_training_data(split.X_train),
    ),
    "full": ModelSpec(
        name="full",
        filename="california_model_full.pt",
        description="all 20,640 rows, standardised inputs, 60 epochs of batches of 32 at lr 1e-3",
        n_samples=None,
        config=TrainingConfig(epochs=60, batch_size=32, lr=1e-3, log_every=10),
        model_class=StandardizedCaliforniaModel,
        build=lambda split: StandardizedCaliforniaModel.from_training_data(split.X_train),
    ),
}


def get_spec(name: str) -> ModelSpec:
    """Look up a model by name, with an error listing the known names."""
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(
            f"unknown model {name!r}; expected one of {', '.join(map(repr, MODELS))}"
        ) from None


def fit(
    split: Split,
    spec: ModelSpec | str = "tutorial",
    *,
    progress: bool | None = None,
    log: Callable[[str], object] | None = print,
) -> tuple[nn.Module, TrainingResult]:
    """Seed, build and train a model by its recipe, leaving global RNG state untouched.

    As in the tutorial, torch and NumPy are seeded before the model is built, so
    the weight initialisation and the batch order are both reproduced.

    Parameters
    ----------
    split : Split
        Training and test data.
    spec : ModelSpec or str, default="tutorial"
        The recipe, or its name in :data:`MODELS`.
    progress : bool or None, default=None
        Progress bar, as in :func:`train_model`.
    log : callable or None, default=print
        Receives the log lines.

    Returns
    -------
    model : torch.nn.Module
        The trained model, in eval mode.
    result : TrainingResult
        Losses and log lines.
    """
    spec = get_spec(spec) if isinstance(spec, str) else spec
    with seeded(spec.config.seed):
        model = spec.new_model(split)
        result = train_model(
            model, split.X_train, split.y_train, spec.config, progress=progress, log=log
        )
    return model, result


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for dist in ("calhouse", "torch", "captum", "numpy", "scikit-learn"):
        try:
            found[dist] = version(dist)
        except PackageNotFoundError:
            found[dist] = "unknown"
    return found


def build_metadata(
    spec: ModelSpec, split: Split, model: nn.Module, result: TrainingResult
) -> dict[str, Any]:
    """The metadata recorded beside a trained model's weights.

    Training settings, data fingerprints, test RMSE, the loss history and the
    library versions. It holds no timestamp, so retraining rewrites it identically.
    """
    return {
        "model": spec.name,
        "class": type(model).__name__,
        "description": spec.description,
        "training": {
            **asdict(spec.config),
            "optimizer": "RMSprop",
            "loss": "MSELoss(reduction='sum')",
            "shuffle": True,
        },
        "data": {
            "raw_file_sha256": RAW_SHA256,
            "dataset_sha256": split.data_sha256,
            "split_sha256": split.sha256,
            "n_samples": spec.n_samples,
            "test_size": 0.3,
            "random_state": 0,
            "n_train": len(split.X_train),
            "n_test": len(split.X_test),
        },
        "test_rmse": rmse(model, split.X_test, split.y_test),
        "loss_log": list(result.log),
        "epoch_losses": list(result.epoch_losses),
        "versions": _versions(),
        "command": f"python -m calhouse train --model {spec.name}",
    }


def _display(path: Path) -> str:
    """A path as pages show it: relative to the project when it is inside it."""
    try:
        return str(path.resolve().relative_to(models_dir().parent))
    except ValueError:
        return str(path)


def train_and_save(
    spec: ModelSpec | str = "tutorial",
    path: str | Path | None = None,
    *,
    split: Split | None = None,
    overwrite: bool = False,
    progress: bool | None = None,
    log: Callable[[str], object] | None = print,
) -> tuple[nn.Module, dict[str, Any]]:
    """Train a model by its recipe and save weights and metadata atomically.

    Parameters
    ----------
    spec : ModelSpec or str, default="tutorial"
        The recipe, or its name in :data:`MODELS`.
    path : str or path-like, optional
        Destination; default the spec's file in ``models/``.
    split : Split, optional
        Data to train on; default :func:`~calhouse.load_split` for the spec.
    overwrite : bool, default=False
        Replace existing files (otherwise :class:`FileExistsError`, checked before training).
    progress, log
        As in :func:`train_model`.

    Returns
    -------
    model : torch.nn.Module
        The trained model.
    metadata : dict
        What was written beside the weights.
    """
    spec = get_spec(spec) if isinstance(spec, str) else spec
    path = Path(path) if path is not None else spec.path
    if not overwrite and path.exists():
        raise FileExistsError(
            f"{path} already exists; refusing to overwrite it (use --force to replace it)"
        )
    split = split if split is not None else load_split(spec.n_samples)
    model, result = fit(split, spec, progress=progress, log=log)
    metadata = build_metadata(spec, split, model, result)
    save_model(model, path, metadata=metadata, overwrite=overwrite)
    if log is not None:
        log(f"Finished training the model. Saved it to {_display(path)}")
    return model, metadata


def load_or_train_model(
    spec: ModelSpec | str = "tutorial",
    path: str | Path | None = None,
    *,
    split: Split | None = None,
    device: str | torch.device = "cpu",
    progress: bool | None = None,
    log: Callable[[str], object] | None = print,
) -> nn.Module:
    """Load a shipped model, or train and save it if its file does not exist yet.

    The tutorial's ``train_load_save_model``, with the path found from the
    package rather than the working directory, checked loading
    (:func:`~calhouse.load_model`), and an atomic save that never replaces a file.
    A damaged file raises :class:`~calhouse.ModelFileError`; it is not retrained over.

    Parameters
    ----------
    spec : ModelSpec or str, default="tutorial"
        Which model, by recipe or name in :data:`MODELS`.
    path : str or path-like, optional
        Where the weights are; default the spec's file in ``models/``.
    split : Split, optional
        Data to train on if training is needed.
    device : str or torch.device, default="cpu"
        Where the loaded model is placed.
    progress, log
        As in :func:`train_model`.

    Returns
    -------
    torch.nn.Module
        The model in eval mode.
    """
    spec = get_spec(spec) if isinstance(spec, str) else spec
    path = Path(path) if path is not None else spec.path
    if path.exists():
        if log is not None:
            log(f"Loading pre-trained model from: {_display(path)}")
        return load_model(path, spec.model_class(), device=device)
    model, _ = train_and_save(spec, path, split=split, progress=progress, log=log)
    return model.to(device).eval()
