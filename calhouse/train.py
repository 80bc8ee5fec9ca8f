"""Training with the tutorial's recipe: its settings, its loop and its error measure.

These run in this process, in this processor's arithmetic. The shipped models are
trained in :ref:`pinned arithmetic <sphx_glr_auto_examples_plot_02_model_training.py>` instead.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from calhouse import _pinned
from calhouse._random import intra_op_threads
from calhouse._table_checks import check_table
from calhouse.data import FEATURE_NAMES

__all__ = ["TrainingConfig", "TrainingResult", "rmse", "train_model"]

LOG_FORMAT = "Epoch [%d]/[%d] running accumulative loss across all batches: %.3f"

Log = Callable[[str], object] | None


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


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
        Seed of torch and NumPy, set before the model is built (as the tutorial
        does), in ``[0, 2**32)``.
    log_every : int, default=20
        Log the epoch's summed loss every ``log_every`` epochs, starting with the first.

    Examples
    --------
    >>> TrainingConfig(epochs=5)
    TrainingConfig(epochs=5, batch_size=10, lr=0.0001, seed=1234, log_every=20)
    """

    epochs: int = 200
    batch_size: int = 10
    lr: float = 1e-4
    seed: int = 1234
    log_every: int = 20

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "log_every"):
            object.__setattr__(self, name, _positive_int(getattr(self, name), name))
        lr = self.lr
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not 0 < lr < math.inf:
            raise ValueError(f"lr must be a positive, finite number, got {lr!r}")
        object.__setattr__(self, "lr", float(lr))
        seed = self.seed
        if (
            isinstance(seed, bool)
            or not isinstance(seed, numbers.Integral)
            or not (0 <= seed < 2**32)
        ):
            raise ValueError(f"seed must be an integer in [0, 2**32), got {seed!r}")
        object.__setattr__(self, "seed", int(seed))


@dataclass(frozen=True)
class TrainingResult:
    """What a training run reports.

    Attributes
    ----------
    epoch_losses : tuple of float
        The summed squared error over all batches of each epoch.
    log : tuple of str
        The tutorial's log lines (every ``log_every`` epochs).

    Examples
    --------
    >>> TrainingResult(epoch_losses=(20.0, 10.0), log=())
    TrainingResult(epochs=2, first_loss=20.000, last_loss=10.000)
    """

    epoch_losses: tuple[float, ...]
    log: tuple[str, ...]

    def __repr__(self) -> str:
        return (
            f"TrainingResult(epochs={len(self.epoch_losses)}, "
            f"first_loss={self.epoch_losses[0]:.3f}, last_loss={self.epoch_losses[-1]:.3f})"
        )


def train_model(
    model: nn.Module,
    X_train: torch.Tensor,
    y_train: torch.Tensor,
    config: TrainingConfig = TrainingConfig(),
    *,
    progress: bool | None = None,
    log: Log = None,
) -> TrainingResult:
    """Train ``model`` in place with RMSprop and summed MSE, as the tutorial does.

    Batches are shuffled with torch's global generator, so the caller controls
    the run by seeding it (:func:`calhouse.fit` does). The loop runs on one torch thread
    (restored afterwards): batches of 10 rows gain nothing from more, and on a
    busy machine extra threads make each step wait. In a pinned process
    (``calhouse train``) the linear layers are computed without BLAS, so that the
    bytes do not depend on the processor.

    Parameters
    ----------
    model : torch.nn.Module
        The network to train; it is left in eval mode.
    X_train : torch.Tensor of shape (n_samples, 8)
        Float32 features.
    y_train : torch.Tensor of shape (n_samples, 1)
        Float32 targets.
    config : TrainingConfig, default=TrainingConfig()
        Epochs, batch size, learning rate.
    progress : bool or None, default=None
        Show a progress bar over the epochs; ``None`` shows one only on a terminal.
    log : callable or None, default=None
        Receives each log line (``print`` prints them); ``None`` keeps them silent.

    Returns
    -------
    TrainingResult
        Per-epoch losses and the log lines.

    Examples
    --------
    Two epochs of the tutorial's recipe on its split:

    >>> from calhouse import CaliforniaModel, load_split
    >>> split = load_split()
    >>> _ = torch.manual_seed(1234)
    >>> model = CaliforniaModel()
    >>> result = train_model(model, split.X_train, split.y_train, TrainingConfig(epochs=2))
    >>> len(result.epoch_losses), result.epoch_losses[1] < result.epoch_losses[0], model.training
    (2, True, False)
    """
    from tqdm import tqdm

    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(config, TrainingConfig):
        raise TypeError(f"config must be a calhouse.TrainingConfig, got {type(config).__name__}")
    check_table(X_train, "X_train", n_features=len(FEATURE_NAMES), feature_names=FEATURE_NAMES)
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
    arithmetic = _pinned.PinnedArithmetic() if _pinned.is_pinned() else contextlib.nullcontext()
    with intra_op_threads(1), arithmetic:
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
    """Root mean squared error of ``model`` on ``(X, y)``.

    The squared errors of the float32 predictions are summed exactly
    (:func:`math.fsum`), so the figure depends on the predictions only.

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
        ``sqrt(mean((model(X) - y) ** 2))``.

    Examples
    --------
    >>> from calhouse import load_model, load_split
    >>> split = load_split()
    >>> round(rmse(load_model(), split.X_test, split.y_test), 4)
    0.658
    """
    check_table(X, n_features=len(FEATURE_NAMES), feature_names=FEATURE_NAMES)
    if not isinstance(y, torch.Tensor) or tuple(y.shape) not in ((len(X), 1), (len(X),)):
        raise ValueError(
            f"y must be a tensor of shape ({len(X)}, 1) to match X, got "
            f"{tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__}"
        )
    with torch.no_grad():
        outputs = model(X)
    errors = outputs.reshape(-1).double().cpu() - y.reshape(-1).double().cpu()
    return math.sqrt(math.fsum((errors * errors).tolist()) / len(errors))
