"""The shipped models: their recipes, reproducible training, and load-or-train.

:func:`fit` trains a recipe in this process, in this processor's arithmetic.
:func:`train_and_save`, :func:`load_or_train_model` (when a file is missing) and
``calhouse train`` train in a separate process in
:ref:`pinned arithmetic <sphx_glr_auto_examples_plot_02_model_training.py>`, which
writes the same bytes on every x86-64 processor.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from calhouse import _pinned
from calhouse._io import check_writable
from calhouse._metadata import build_metadata
from calhouse._random import seeded
from calhouse.data import Split, load_split
from calhouse.model import (
    CaliforniaModel,
    StandardizedCaliforniaModel,
    load_model,
    models_dir,
    read_metadata,
    save_model,
)
from calhouse.train import Log, TrainingConfig, TrainingResult, train_model

__all__ = ["MODELS", "fit", "load_or_train_model", "train_and_save"]


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
        """Where the shipped weights are."""
        return models_dir() / self.filename

    def with_seed(self, seed: int | None) -> ModelSpec:
        """The same recipe with another seed (``None``: unchanged)."""
        if seed is None:
            return self
        return dataclasses.replace(self, config=dataclasses.replace(self.config, seed=seed))


def _standardized(split: Split) -> nn.Module:
    return StandardizedCaliforniaModel.from_training_data(split.X_train)


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
        build=_standardized,
    ),
    "full": ModelSpec(
        name="full",
        filename="california_model_full.pt",
        description="all 20,640 rows, standardised inputs, 60 epochs of batches of 32 at lr 1e-3",
        n_samples=None,
        config=TrainingConfig(epochs=60, batch_size=32, lr=1e-3, log_every=10),
        model_class=StandardizedCaliforniaModel,
        build=_standardized,
    ),
}

# British spellings, and other names readers try, for the error's suggestion.
_ALIASES = {"standardised": "standardized", "default": "tutorial"}


def get_spec(spec: ModelSpec | str) -> ModelSpec:
    """A recipe, or look one up by name, with an error that lists the known names."""
    if isinstance(spec, ModelSpec):
        return spec
    if not isinstance(spec, str):
        raise TypeError(
            f"model must be a name ({', '.join(map(repr, MODELS))}), got {type(spec).__name__}"
        )
    name = _ALIASES.get(spec.strip().lower(), spec.strip().lower())
    if name in MODELS:
        return MODELS[name]
    import difflib

    close = difflib.get_close_matches(name, [*MODELS, *_ALIASES], n=1)
    hint = f"; did you mean {_ALIASES.get(close[0], close[0])!r}?" if close else ""
    raise ValueError(
        f"unknown model {spec!r}; expected one of {', '.join(map(repr, MODELS))}{hint}"
    )


def fit(
    split: Split,
    spec: ModelSpec | str = "tutorial",
    *,
    seed: int | None = None,
    progress: bool | None = None,
    log: Log = None,
) -> tuple[nn.Module, TrainingResult]:
    """Seed, build and train a model by its recipe, here, leaving global RNG state untouched.

    As in the tutorial, torch and NumPy are seeded before the model is built, so
    the weight initialisation and the batch order are both reproduced. The run
    uses this processor's arithmetic: its bytes can differ from the shipped
    weights' on another processor. :func:`train_and_save` trains in pinned
    arithmetic instead.

    Parameters
    ----------
    split : Split
        Training and test data.
    spec : str, default="tutorial"
        The recipe's name in :data:`MODELS` (or a recipe).
    seed : int or None, default=None
        Another seed than the recipe's.
    progress : bool or None, default=None
        Progress bar, as in :func:`train_model`.
    log : callable or None, default=None
        Receives the log lines.

    Returns
    -------
    model : torch.nn.Module
        The trained model, in eval mode.
    result : TrainingResult
        Losses and log lines.

    Examples
    --------
    >>> from calhouse import load_split, rmse
    >>> split = load_split()
    >>> model, result = fit(split, "tutorial")
    >>> len(result.epoch_losses), round(rmse(model, split.X_test, split.y_test), 2)
    (200, 0.66)
    """
    if not isinstance(split, Split):
        raise TypeError(
            f"split must be a calhouse.Split (load_split()), got {type(split).__name__}"
        )
    spec = get_spec(spec).with_seed(seed)
    with seeded(spec.config.seed):
        model = spec.new_model(split)
        result = train_model(
            model, split.X_train, split.y_train, spec.config, progress=progress, log=log
        )
    return model, result


def _destination(spec: ModelSpec, path: str | Path | None, overwrite: bool) -> Path:
    """Where to save, checked before any training starts."""
    if path is None:
        path = spec.path
        if _installed_package_dir() in path.resolve().parents:
            raise ValueError(
                f"calhouse is installed, and its shipped weights ({path.parent}) are read-only "
                "to it; give a destination (path=..., or --output FILE on the command line)"
            )
    path = Path(path)
    if _installed_package_dir() in path.resolve().parents:
        raise ValueError(
            f"{path} is inside the installed calhouse package, which never writes into itself; "
            "choose a file elsewhere"
        )
    for target in (path, path.with_suffix(".json")):
        check_writable(target, overwrite=overwrite)
    return path


def _installed_package_dir() -> Path:
    """The installed package's own directory (where ``calhouse/models`` is in a wheel)."""
    package = Path(__file__).resolve().parent
    return package if (package / "models").is_dir() else Path("/nonexistent-calhouse-package")


def _train_here(
    *,
    name: str,
    path: str,
    seed: int,
    epochs: int,
    overwrite: bool,
    progress: bool,
    log: Log = print,
) -> None:
    """Train and save, in this process: what a pinned child process runs."""
    if not _pinned.is_pinned():
        raise RuntimeError(
            "this process is not pinned (torch was started without "
            "ATEN_CPU_CAPABILITY=default); train with train_and_save() or `calhouse train`"
        )
    spec = get_spec(name).with_seed(seed)
    spec = dataclasses.replace(spec, config=dataclasses.replace(spec.config, epochs=epochs))
    split = load_split(spec.n_samples)
    model, result = fit(split, spec, progress=progress, log=log)
    metadata = build_metadata(spec, split, model, result)
    save_model(model, path, metadata=metadata, overwrite=overwrite)


def train_and_save(
    name: str = "tutorial",
    path: str | Path | None = None,
    *,
    seed: int | None = None,
    epochs: int | None = None,
    overwrite: bool = False,
    progress: bool | None = None,
    log: Log = None,
) -> tuple[nn.Module, dict[str, Any]]:
    """Train a shipped model's recipe in pinned arithmetic, and save weights and metadata.

    The training runs in a fresh Python process started in pinned arithmetic
    (portable kernels, one thread, no BLAS), so that
    the weights have the same bytes on every x86-64 processor: for the shipped
    recipes, the shipped bytes. The destination is checked before training starts,
    and both files are written atomically.

    Parameters
    ----------
    name : str, default="tutorial"
        The recipe's name in :data:`MODELS`.
    path : str or path-like, optional
        Destination ``.pt`` file. Default: the recipe's file in the project's
        ``models/`` when calhouse runs from a source checkout; an installed calhouse
        never writes into itself, so there it must be given.
    seed : int, optional
        Another seed than the recipe's (recorded in the metadata).
    epochs : int, optional
        Fewer (or more) epochs than the recipe's, e.g. to try the command quickly.
    overwrite : bool, default=False
        Replace existing files (otherwise :class:`FileExistsError`, before training).
    progress : bool or None, default=None
        Progress bar on standard error; ``None`` shows one only on a terminal.
    log : callable or None, default=None
        Receives the log lines.

    Returns
    -------
    model : torch.nn.Module
        The trained model, loaded back from the file written, in eval mode.
    metadata : dict
        What was written beside the weights.

    Examples
    --------
    Two epochs of the tutorial's recipe, in pinned arithmetic, into a new folder:

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "quick.pt"
    >>> model, metadata = train_and_save("tutorial", path, epochs=2)
    >>> metadata["command"], metadata["arithmetic"]["pinned"], model.training
    ('calhouse train --model tutorial --epochs 2', True, False)
    """
    spec = get_spec(name).with_seed(seed)
    if epochs is not None:
        config = dataclasses.replace(spec.config, epochs=epochs)
        spec = dataclasses.replace(spec, config=config)
    path = _destination(spec, path, overwrite)
    load_split(spec.n_samples)  # fails now, not after training, when the data is missing
    if progress is None:
        progress = sys.stderr.isatty()
    kwargs: dict[str, Any] = {
        "name": spec.name,
        "path": str(path),
        "seed": spec.config.seed,
        "epochs": spec.config.epochs,
        "overwrite": overwrite,
        "progress": progress,
    }
    if _pinned.is_pinned():
        _train_here(**kwargs, log=log)
    else:
        child = _pinned.run_pinned("calhouse.shipped:_train_here", kwargs, on_line=log)
        if child.returncode != 0:
            detail = child.stderr.strip().splitlines()
            raise RuntimeError(
                f"the pinned training process failed (exit status {child.returncode})"
                + (f": {detail[-1]}" if detail else "")
            )
    metadata = read_metadata(path)
    if metadata is None:  # pragma: no cover -- save_model wrote it
        raise RuntimeError(f"{path}: the training process wrote no metadata")
    return load_model(path, spec.model_class()), metadata


def load_or_train_model(
    spec: ModelSpec | str = "tutorial",
    path: str | Path | None = None,
    *,
    device: str | torch.device = "cpu",
    progress: bool | None = None,
    log: Log = None,
) -> nn.Module:
    """Load a shipped model, or train and save it if its file does not exist yet.

    The tutorial's ``train_load_save_model``, with the path found from the
    package rather than the working directory, checked loading
    (:func:`~calhouse.load_model`), and training in pinned arithmetic
    (:func:`train_and_save`) that never replaces a file. A damaged file raises
    :class:`~calhouse.ModelFileError`; it is not retrained over.

    Parameters
    ----------
    spec : str, default="tutorial"
        Which model: a name in :data:`MODELS` (``"tutorial"``, ``"standardized"``,
        ``"full"``).
    path : str or path-like, optional
        Where the weights are; default the shipped file.
    device : str or torch.device, default="cpu"
        Where the loaded model is placed.
    progress : bool or None, default=None
        Progress bar if training is needed, as in :func:`train_and_save`.
    log : callable or None, default=None
        Receives a line saying which file was loaded, or the training log.

    Returns
    -------
    torch.nn.Module
        The model in eval mode.

    Examples
    --------
    >>> model = load_or_train_model("tutorial")
    >>> type(model).__name__, model.training
    ('CaliforniaModel', False)
    """
    spec = get_spec(spec)
    path = Path(path) if path is not None else spec.path
    if path.exists():
        if log is not None:
            log(f"Loading pre-trained model from: {path}")
        return load_model(path, spec.model_class(), device=device)
    if path == spec.path and _installed_package_dir() in path.resolve().parents:
        raise FileNotFoundError(
            f"{path}: this installed calhouse lacks its shipped weights; reinstall calhouse"
        )
    model, _ = train_and_save(spec.name, path, progress=progress, log=log)
    return model.to(device).eval()
