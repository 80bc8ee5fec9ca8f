"""The tutorial's network, and safe saving and loading of its weights."""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
from pathlib import Path
from typing import Any

import torch
from torch import nn

from calhouse._io import atomic_write_bytes, sha256_file

__all__ = [
    "CaliforniaModel",
    "ModelFileError",
    "StandardizedCaliforniaModel",
    "load_model",
    "read_metadata",
    "save_model",
]

#: Number of input features the network takes.
N_FEATURES = 8

_REBUILD_HINT = (
    "Train it again with `calhouse train` (`calhouse train --help` lists the models and "
    "options), or reinstall calhouse for its shipped weights"
)


class CaliforniaModel(nn.Module):
    """The tutorial's regression network: 8 -> 100 -> 50 -> 10 -> 1 with ReLUs.

    Module names (``lin1`` .. ``lin4``, ``relu1`` .. ``relu3``) are the tutorial's,
    so a ``state_dict`` saved by either loads into the other.

    Examples
    --------
    >>> model = CaliforniaModel()
    >>> model(torch.zeros(2, 8)).shape
    torch.Size([2, 1])
    """

    def __init__(self) -> None:
        super().__init__()
        self.lin1 = nn.Linear(N_FEATURES, 100)
        self.relu1 = nn.ReLU()
        self.lin2 = nn.Linear(100, 50)
        self.relu2 = nn.ReLU()
        self.lin3 = nn.Linear(50, 10)
        self.relu3 = nn.ReLU()
        self.lin4 = nn.Linear(10, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Predict the median house value (in $100,000) of each row of ``x``."""
        hidden = self.relu3(self.lin3(self.relu2(self.lin2(self.relu1(self.lin1(x))))))
        output: torch.Tensor = self.lin4(hidden)
        return output


class StandardizedCaliforniaModel(CaliforniaModel):
    """The tutorial's network with input standardisation built in.

    The per-feature mean and spread of the training set are stored as buffers, so
    they are saved in the ``state_dict`` with the weights and a loaded model
    standardises its raw inputs by itself. The layers keep the tutorial's names.

    Parameters
    ----------
    mean : torch.Tensor of shape (8,), optional
        Per-feature mean of the training inputs; default zeros.
    scale : torch.Tensor of shape (8,), optional
        Per-feature spread (population standard deviation); default ones.

    Examples
    --------
    >>> X = torch.tensor([[1.0] * 8, [3.0] * 8])
    >>> model = StandardizedCaliforniaModel.from_training_data(X)
    >>> model.standardize(X)[:, 0]
    tensor([-1.,  1.])
    """

    mean: torch.Tensor
    scale: torch.Tensor

    def __init__(self, mean: torch.Tensor | None = None, scale: torch.Tensor | None = None) -> None:
        super().__init__()
        mean = torch.zeros(N_FEATURES) if mean is None else torch.as_tensor(mean).float()
        scale = torch.ones(N_FEATURES) if scale is None else torch.as_tensor(scale).float()
        for name, value in (("mean", mean), ("scale", scale)):
            if value.shape != (N_FEATURES,) or not bool(torch.isfinite(value).all()):
                raise ValueError(
                    f"{name} must be a finite tensor of shape ({N_FEATURES},), got "
                    f"shape {tuple(value.shape)}"
                )
        if not bool((scale > 0).all()):
            raise ValueError(f"scale must be positive for every feature, got {scale.tolist()}")
        self.register_buffer("mean", mean.clone())
        self.register_buffer("scale", scale.clone())

    @classmethod
    def from_training_data(cls, X_train: torch.Tensor) -> StandardizedCaliforniaModel:
        """A new, untrained model standardising with the statistics of ``X_train``."""
        return cls(X_train.mean(0), X_train.std(0, correction=0))

    def standardize(self, x: torch.Tensor) -> torch.Tensor:
        """Raw features to standardised ones: ``(x - mean) / scale``."""
        return (x - self.mean) / self.scale

    def forward_standardized(self, z: torch.Tensor) -> torch.Tensor:
        """The network on already standardised inputs (zero is the average district)."""
        return super().forward(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Predict the median house value (in $100,000) of each raw row of ``x``."""
        return super().forward(self.standardize(x))


class ModelFileError(ValueError):
    """A model file is unreadable, altered, or holds weights of another shape."""


def models_dir() -> Path:
    """The directory holding the shipped model files.

    Inside an installed wheel the files live in the package (``calhouse/models``);
    in a source checkout they live in the project's top-level ``models/``. Either
    way the location is found from this file, never from the working directory.
    """
    packaged = Path(__file__).resolve().parent / "models"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "models"


def default_model_path(filename: str = "california_model.pt") -> Path:
    """Path of a shipped model file, e.g. ``models/california_model.pt``."""
    return models_dir() / filename


def metadata_path(path: str | os.PathLike[str]) -> Path:
    """The metadata file that sits beside a model file (same name, ``.json``)."""
    return Path(path).with_suffix(".json")


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Read the metadata beside the model file ``path``; ``None`` if there is none.

    Examples
    --------
    >>> from calhouse import MODELS
    >>> metadata = read_metadata(MODELS["tutorial"].path)
    >>> metadata["model"], metadata["arithmetic"]["pinned"], round(metadata["test_rmse"], 4)
    ('tutorial', True, 0.658)
    """
    meta_file = metadata_path(path)
    if not meta_file.is_file():
        return None
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(
            f"{meta_file}: not valid JSON metadata ({exc}). {_REBUILD_HINT}."
        ) from None
    if not isinstance(meta, dict):
        raise ModelFileError(f"{meta_file}: expected a JSON object, got {type(meta).__name__}")
    return meta


def save_model(
    model: nn.Module,
    path: str | os.PathLike[str],
    *,
    metadata: dict[str, Any] | None = None,
    overwrite: bool = False,
) -> Path:
    """Save ``model.state_dict()`` atomically, with optional metadata beside it.

    Parameters
    ----------
    model : torch.nn.Module
        The model whose weights to save.
    path : str or path-like
        Destination ``.pt`` file.
    metadata : dict, optional
        Written as JSON beside the weights (``model.pt`` gets ``model.json``),
        with ``weights_sha256`` added.
    overwrite : bool, default=False
        Replace existing files. Without it an existing file raises
        :class:`FileExistsError` and nothing is written.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "model.pt"
    >>> saved = save_model(CaliforniaModel(), path, metadata={"note": "untrained"})
    >>> sorted(p.name for p in path.parent.iterdir())
    ['model.json', 'model.pt']
    >>> read_metadata(path)["note"]
    'untrained'
    """
    path = Path(path)
    meta_file = metadata_path(path)
    if not overwrite:
        for existing in (path, meta_file if metadata is not None else None):
            if existing is not None and existing.exists():
                raise FileExistsError(
                    f"{existing} already exists; refusing to overwrite it "
                    "(pass overwrite=True, or --force on the command line)"
                )
    buffer = io.BytesIO()
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save(state, buffer)
    data = buffer.getvalue()
    atomic_write_bytes(path, data, overwrite=overwrite)
    if metadata is not None:
        meta = dict(metadata, weights_sha256=hashlib.sha256(data).hexdigest())
        text = json.dumps(meta, indent=2, sort_keys=True) + "\n"
        atomic_write_bytes(meta_file, text.encode("utf-8"), overwrite=overwrite)
    return path


def load_model(
    path: str | os.PathLike[str] | None = None,
    model: nn.Module | None = None,
    *,
    device: str | torch.device = "cpu",
) -> nn.Module:
    """Load saved weights into a model, checking them first.

    Parameters
    ----------
    path : str or path-like, optional
        The ``.pt`` file; default the shipped tutorial model,
        ``models/california_model.pt``.
    model : torch.nn.Module, optional
        The module to load into; default a new :class:`CaliforniaModel`.
    device : str or torch.device, default="cpu"
        Where the weights are placed.

    Returns
    -------
    torch.nn.Module
        ``model`` with the weights loaded, in eval mode, on ``device``.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ModelFileError
        If the file's sha256 differs from its metadata, it cannot be read as a
        state dict (truncated, corrupt, not PyTorch), or its tensors do not fit
        the model. The file is never modified.

    Examples
    --------
    >>> model = load_model()
    >>> type(model).__name__, model.training
    ('CaliforniaModel', False)
    >>> model(torch.zeros(2, 8)).shape
    torch.Size([2, 1])
    """
    path = Path(path) if path is not None else default_model_path()
    model = model if model is not None else CaliforniaModel()
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module to load into, got {type(model).__name__}")
    device = _available_device(device)
    if path.suffix == ".json":
        raise ValueError(
            f"{path} is the metadata; give the weights file beside it, {path.with_suffix('.pt')}"
        )
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory; expected a .pt weights file")
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no such model file. Train it with `calhouse train --output {path}`, "
            "or call calhouse.load_or_train_model() to train it on first use."
        )
    meta = read_metadata(path)
    if meta is not None and "weights_sha256" in meta:
        actual = sha256_file(path)
        if actual != meta["weights_sha256"]:
            raise ModelFileError(
                f"{path}: sha256 is {actual}, but {metadata_path(path).name} records "
                f"{meta['weights_sha256']}: the file was altered or truncated. {_REBUILD_HINT}."
            )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "GLOBAL " not in str(exc):  # a pickled object (a class, a function) was refused
            raise ModelFileError(
                f"{path}: not a readable PyTorch state dict (UnpicklingError); the file may "
                f"be truncated or corrupt. {_REBUILD_HINT}."
            ) from None
        raise ModelFileError(
            f"{path}: holds Python objects besides tensors, which could run code when "
            "loaded; calhouse loads weights only and refuses it. Use a file saved from a "
            f"state_dict (calhouse.save_model). {_REBUILD_HINT}."
        ) from None
    except Exception as exc:  # noqa: BLE001 -- a damaged file raises many types
        raise ModelFileError(
            f"{path}: not a readable PyTorch state dict ({type(exc).__name__}); the file "
            f"may be truncated or corrupt. {_REBUILD_HINT}."
        ) from None
    _check_state_dict(path, state, model)
    model.load_state_dict(state)
    return model.to(device).eval()


def _available_device(device: str | torch.device) -> torch.device:
    """``device`` as a torch.device, if this machine has it."""
    try:
        dev = torch.device(device)
        torch.empty(0, device=dev)
    except (RuntimeError, TypeError, AssertionError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(
            f"device {str(device)!r} is not available on this machine ({reason}); use 'cpu'"
        ) from None
    if dev.type == "meta":
        raise ValueError("device 'meta' holds no values to load weights into; use 'cpu'")
    return dev


def _check_state_dict(path: Path, state: object, model: nn.Module) -> None:
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelFileError(
            f"{path}: expected a state dict (a mapping of names to tensors), got "
            f"{type(state).__name__}. {_REBUILD_HINT}."
        )
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state.items()}
    problems = [f"missing {k} {expected[k]}" for k in expected if k not in got]
    problems += [f"unexpected {k} {got[k]}" for k in got if k not in expected]
    problems += [
        f"{k}: expected shape {expected[k]}, got {got[k]}"
        for k in expected
        if k in got and expected[k] != got[k]
    ]
    if problems:
        raise ModelFileError(
            f"{path}: the weights do not fit {type(model).__name__}: "
            + "; ".join(problems)
            + f". {_REBUILD_HINT}."
        )
    broken = [k for k, v in state.items() if v.is_floating_point() and not bool(v.isfinite().all())]
    if broken:
        raise ModelFileError(
            f"{path}: the weights hold NaN or infinite values ({', '.join(broken)}); a model "
            f"with them predicts NaN. {_REBUILD_HINT}."
        )
