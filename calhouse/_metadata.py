"""The metadata recorded beside a trained model's weights, and how it is built.

Private: :func:`calhouse.shipped.train_and_save` writes it, :func:`calhouse.read_metadata`
reads it back.
"""

from __future__ import annotations

import contextlib
import platform
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from torch import nn

from calhouse import _pinned
from calhouse.data import Split
from calhouse.train import TrainingResult, rmse

if TYPE_CHECKING:
    from calhouse.shipped import ModelSpec


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for dist in ("calhouse", "torch", "captum", "numpy", "scikit-learn"):
        try:
            found[dist] = version(dist)
        except PackageNotFoundError:
            found[dist] = "unknown"
    return found


def command(spec: ModelSpec) -> str:
    """The command line that retrains ``spec`` into the shipped file's bytes."""
    from calhouse.shipped import MODELS  # the registry imports this module

    command = f"calhouse train --model {spec.name}"
    recipe = MODELS[spec.name].config if spec.name in MODELS else spec.config
    if spec.config.seed != recipe.seed:
        command += f" --seed {spec.config.seed}"
    if spec.config.epochs != recipe.epochs:
        command += f" --epochs {spec.config.epochs}"
    return command


def pinned_rmse(model: nn.Module, split: Split) -> float:
    """The test RMSE, in pinned arithmetic when the process is pinned (the same bits anywhere)."""
    with _pinned.PinnedArithmetic() if _pinned.is_pinned() else contextlib.nullcontext():
        return rmse(model, split.X_test, split.y_test)


def build_metadata(
    spec: ModelSpec, split: Split, model: nn.Module, result: TrainingResult
) -> dict[str, Any]:
    """The metadata recorded beside a trained model's weights.

    Training settings, the arithmetic, data fingerprints, test RMSE, the loss
    history and the library versions. It holds no timestamp, so retraining
    rewrites it identically.
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
        "arithmetic": {
            "pinned": _pinned.is_pinned(),
            "environment": dict(_pinned.PINNED_ENVIRONMENT),
            "linear_layers": "elementwise product and sum (no BLAS)"
            if _pinned.is_pinned()
            else "torch.nn.Linear (BLAS)",
            "machine": platform.machine(),
        },
        "data": {
            "dataset_sha256": split.data_sha256,
            "split_sha256": split.sha256,
            "n_samples": spec.n_samples,
            "test_size": 0.3,
            "random_state": 0,
            "n_train": len(split.X_train),
            "n_test": len(split.X_test),
        },
        "test_rmse": pinned_rmse(model, split),
        "loss_log": list(result.log),
        "epoch_losses": list(result.epoch_losses),
        "versions": versions(),
        "command": command(spec),
    }
