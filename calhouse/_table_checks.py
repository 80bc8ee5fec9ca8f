"""Checks of the tables, models, devices and targets given to the attribution engine.

As in :mod:`calhouse._checks`: each returns the value in a normal form or raises
a :class:`TypeError` or :class:`ValueError` that says what was expected and what
came, never with ``assert``.

Examples
--------
>>> check_table(torch.zeros(3, 2), feature_names=["a", "b"]).shape
torch.Size([3, 2])
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import torch
from torch import nn

from calhouse._checks import describe, did_you_mean


def check_feature_names(names: object, n_features: int | None = None) -> tuple[str, ...] | None:
    """The names as a tuple of strings (``None`` stays ``None``), one per feature."""
    if names is None:
        return None
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise TypeError(
            f"feature_names must be a sequence of strings, one per column, got {describe(names)}"
        )
    bad = [n for n in names if not isinstance(n, str)]
    if bad:
        raise TypeError(f"feature_names must hold strings, got {describe(bad[0])}")
    if n_features is not None and len(names) != n_features:
        raise ValueError(
            f"feature_names must name each of the {n_features} columns, got {len(names)} names"
        )
    return tuple(names)


# --- torch objects ------------------------------------------------------------------


def check_module(model: object, name: str = "model") -> nn.Module:
    """``model`` if it is a :class:`torch.nn.Module`; a file path gets a hint to load it."""
    if isinstance(model, nn.Module):
        return model
    hint = ""
    if isinstance(model, (str, bytes)) or hasattr(model, "__fspath__"):
        hint = "; it looks like a file path: load the network first (e.g. calhouse.load_model)"
    raise TypeError(f"{name} must be a torch.nn.Module (a network), got {describe(model)}{hint}")


def check_submodule(model: nn.Module, layer: object, name: str = "layer") -> tuple[str, nn.Module]:
    """The qualified name and the module of ``layer``: a submodule of ``model`` or its name."""
    named = {n: m for n, m in model.named_modules() if n}
    if isinstance(layer, nn.Module):
        for qualified, module in named.items():
            if module is layer:
                return qualified, module
        raise ValueError(f"{name} must be a submodule of the model, got {type(layer).__name__}")
    if not isinstance(layer, str):
        raise TypeError(
            f"{name} must be a submodule of the model or its name, got {describe(layer)}"
        )
    if layer not in named:
        raise ValueError(
            f"unknown {name} {layer!r}{did_you_mean(layer, named)}; the model's "
            f"submodules are {', '.join(map(repr, named)) or 'none'}"
        )
    return layer, named[layer]


def check_device(device: object) -> torch.device:
    """A usable :class:`torch.device`: named correctly, not ``meta``, present here."""
    try:
        dev = torch.device(device)  # type: ignore[call-overload]
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device must name a torch device such as 'cpu' or 'cuda:0', got {device!r}"
        ) from None
    if dev.type == "meta":
        raise ValueError(
            "device 'meta' holds shapes but no values, so nothing can be computed "
            "on it; use 'cpu' or an accelerator such as 'cuda'"
        )
    try:
        return torch.empty(0, device=dev).device
    except Exception as exc:  # noqa: BLE001 -- each backend fails in its own way
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(
            f"device {str(dev)!r} is not available on this machine ({reason}); use 'cpu'"
        ) from None


def check_tensor(
    value: object, name: str, *, dtype: torch.dtype | None = torch.float32, shape_hint: str = ""
) -> torch.Tensor:
    """``value`` if it is a dense tensor with values (not on ``meta``) of ``dtype``."""
    if not isinstance(value, torch.Tensor):
        hint = ""
        if type(value).__module__ == "numpy":
            hint = f"; convert it with torch.as_tensor({name}, dtype={dtype or torch.float32})"
        raise TypeError(f"{name} must be a torch.Tensor{shape_hint}, got {describe(value)}{hint}")
    if value.layout != torch.strided:
        raise TypeError(
            f"{name} must be a dense tensor, got layout {value.layout}; convert it with .to_dense()"
        )
    if value.is_meta:
        raise ValueError(
            f"{name} is on the 'meta' device, which holds shapes but no values; "
            "create it on 'cpu' (or an accelerator) instead"
        )
    if dtype is not None and value.dtype != dtype:
        convert = "; convert it with .float()" if dtype == torch.float32 else ""
        raise TypeError(f"{name} must have dtype {dtype}, got {value.dtype}{convert}")
    return value


def check_finite(
    tensor: torch.Tensor, name: str, feature_names: Sequence[str] | None = None
) -> None:
    """Refuse NaN and infinite values, naming the first one's row and column."""
    # A finite sum has no NaN or infinite term: one read of the table, where the
    # elementwise mask below costs about 40 times more (bool outputs are slow in
    # torch on the CPU). The mask is made when the sum is not finite, which a
    # finite table can also give (it overflows), to find the value or pass.
    if bool(torch.isfinite(tensor.sum())):
        return
    finite = torch.isfinite(tensor)
    if bool(finite.all()):
        return
    where = [int(i) for i in (~finite).nonzero()[0]]
    value = tensor[tuple(where)].item()
    if tensor.ndim == 2:
        column = f"column {where[1]}"
        if feature_names is not None:
            column += f" ({feature_names[where[1]]})"
        place = f"row {where[0]}, {column}"
    else:
        place = f"index {tuple(where) if len(where) > 1 else where[0]}"
    raise ValueError(
        f"{name} must be finite; {place} is {value} "
        f"({int((~finite).sum())} non-finite values in all)"
    )


def _names(names: Sequence[str]) -> str:
    shown = list(names)
    if len(shown) > 6:
        shown = [*shown[:2], "...", shown[-1]]
    return ", ".join(shown)


def _columns(n_features: int, feature_names: Sequence[str] | None) -> str:
    if feature_names is None:
        return f"{n_features} columns"
    return f"{n_features} columns ({_names(feature_names)})"


def check_table(
    value: object,
    name: str = "X",
    *,
    n_features: int | None = None,
    feature_names: Sequence[str] | None = None,
) -> torch.Tensor:
    """A finite float32 tensor of shape (n_samples, n_features) with at least one row.

    Parameters
    ----------
    value : object
        The candidate table.
    name : str, default="X"
        How the messages refer to it.
    n_features : int, optional
        The number of columns required; default ``len(feature_names)`` if names are
        given, else any number >= 1.
    feature_names : sequence of str, optional
        Column names, used in the messages.

    Returns
    -------
    torch.Tensor
        ``value`` itself.

    Raises
    ------
    TypeError
        If ``value`` is not a dense float32 torch.Tensor.
    ValueError
        If it is on the ``meta`` device, has not two dimensions, no rows, no
        columns or the wrong number of them, or a NaN or infinite value.

    Examples
    --------
    >>> check_table(torch.zeros(0, 3))
    Traceback (most recent call last):
    ...
    ValueError: X has 0 rows; at least one row is needed
    """
    named = n_features is None and feature_names is not None
    if named:
        n_features = len(feature_names)  # type: ignore[arg-type]
    shape = "(n_samples, n_features)" if n_features is None else f"(n_samples, {n_features})"
    X = check_tensor(value, name, shape_hint=f" of shape {shape}")
    if X.ndim != 2:
        hint = f"; for a single row use {name}.reshape(1, -1)" if X.ndim == 1 else ""
        raise ValueError(f"{name} must have shape {shape}, got {tuple(X.shape)}{hint}")
    if X.shape[0] == 0:
        raise ValueError(f"{name} has 0 rows; at least one row is needed")
    if X.shape[1] == 0:
        raise ValueError(f"{name} has 0 columns; at least one feature is needed")
    if n_features is not None and X.shape[1] != n_features:
        if named:
            raise ValueError(
                f"{name} has {X.shape[1]} columns, but feature_names has {n_features} "
                f"names ({_names(feature_names or ())})"
            )
        raise ValueError(
            f"{name} must have {_columns(n_features, feature_names)}, got {X.shape[1]}"
        )
    check_finite(X, name, feature_names)
    return X


def check_baselines(
    baselines: object,
    *,
    n_rows: int,
    n_features: int,
    feature_names: Sequence[str] | None = None,
    references: bool = False,
) -> torch.Tensor | None:
    """Baselines in one of the accepted forms, as a float32 tensor of 2 dimensions.

    Accepted: ``None`` (returned as is); a finite number, used for every feature
    of every row; a tensor of shape (n_features,) or (1, n_features), one
    reference row for every row; or (n_rows, n_features), one per row. With
    ``references=True`` (baselines that are a distribution to draw from) a tensor
    with any number of rows >= 1 instead, and no number.

    Examples
    --------
    >>> check_baselines(0.5, n_rows=4, n_features=2)
    tensor([[0.5000, 0.5000]])
    >>> check_baselines(torch.zeros(3, 2), n_rows=4, n_features=2)
    Traceback (most recent call last):
    ...
    ValueError: baselines must have shape (2,), (1, 2) or one row per row of X (4, 2), got (3, 2)
    """
    if baselines is None:
        return None
    if isinstance(baselines, numbers.Real) and not isinstance(baselines, bool):
        if references:
            raise TypeError(
                "baselines must be a tensor of reference rows of shape (n_references, "
                f"{n_features}) to draw from, e.g. the training set; got {describe(baselines)}"
            )
        if not math.isfinite(baselines):
            raise ValueError(f"baselines must be finite, got {baselines!r}")
        return torch.full((1, n_features), float(baselines), dtype=torch.float32)
    forms = (
        f"(n_references, {n_features})"
        if references
        else f"({n_features},), (1, {n_features}) or one row per row of X ({n_rows}, {n_features})"
    )
    tensor = check_tensor(
        baselines,
        "baselines",
        shape_hint=f" of shape {forms}" + ("" if references else " or a number"),
    )
    if tensor.ndim == 1 and tensor.shape[0] == n_features:
        tensor = tensor.reshape(1, n_features)
    rows_ok = tensor.ndim == 2 and (
        tensor.shape[0] >= 1 if references else tensor.shape[0] in (1, n_rows)
    )
    if not rows_ok or tensor.shape[-1] != n_features:
        raise ValueError(
            f"baselines must have shape {forms}, got {tuple(baselines.shape)}"  # type: ignore[attr-defined]
        )
    check_finite(tensor, "baselines", feature_names)
    return tensor.detach()


def _target_tensor(target: object, forms: str) -> torch.Tensor | int:
    """A list or tensor of targets as an int64 CPU tensor (a 0-d tensor as an int)."""
    if isinstance(target, list):
        if not all(isinstance(t, numbers.Integral) and not isinstance(t, bool) for t in target):
            raise TypeError(f"target must be {forms}; the list holds a non-integer")
        return torch.tensor([int(t) for t in target], dtype=torch.int64)
    if isinstance(target, torch.Tensor):
        tensor = check_tensor(target, "target", dtype=None)
        if tensor.dtype.is_floating_point or tensor.dtype.is_complex or tensor.dtype == torch.bool:
            raise TypeError(f"target must be {forms}, got a tensor of dtype {tensor.dtype}")
        return int(tensor) if tensor.ndim == 0 else tensor.detach().to("cpu", torch.int64)
    hint = ""
    if isinstance(target, tuple):
        hint = (
            " (a tuple is Captum's index into a multi-dimensional output; for one "
            "target per row pass a list)"
        )
    elif type(target).__module__ == "numpy":
        hint = "; convert it with torch.as_tensor(target)"
    raise TypeError(f"target must be {forms}, got {describe(target)}{hint}")


def check_target(
    target: object, *, n_rows: int, n_outputs: int | None
) -> int | torch.Tensor | None:
    """The output to explain: ``None``, an int, or a 1-D int64 CPU tensor with one per row.

    ``n_outputs`` is the number of values the model returns per row, ``None`` for
    a model that returns one value per row as a vector (shape (n_samples,)).
    Accepted: ``None`` when there is one output; an int in ``0 .. n_outputs - 1``;
    one such int per row as a list or a 1-D integer tensor (Captum's forms; a tuple
    is Captum's index into a multi-dimensional output, so it is refused here).

    Examples
    --------
    >>> check_target([0, 2, 1], n_rows=3, n_outputs=3)
    tensor([0, 2, 1])
    >>> check_target(None, n_rows=3, n_outputs=3)
    Traceback (most recent call last):
    ...
    ValueError: the model returns 3 outputs per row; pass target=, the output to explain: an int in 0..2, or one per row (a list or a 1-D integer tensor of 3)
    """
    forms = (
        f"an int in 0..{(n_outputs or 1) - 1}, or one per row "
        f"(a list or a 1-D integer tensor of {n_rows})"
    )
    if target is None:
        if n_outputs is not None and n_outputs > 1:
            raise ValueError(
                f"the model returns {n_outputs} outputs per row; pass target=, the output "
                f"to explain: {forms}"
            )
        return None
    if n_outputs is None:
        raise ValueError(
            "the model returns one value per row (shape (n_samples,)), so there is no "
            f"output to choose; leave target=None, got {describe(target)}"
        )
    outputs = f"the model returns {n_outputs} output{'s' if n_outputs > 1 else ''} per row"
    if isinstance(target, numbers.Integral) and not isinstance(target, bool):
        index: int | torch.Tensor = int(target)
    else:
        index = _target_tensor(target, forms)
    if isinstance(index, int):
        if not 0 <= index < n_outputs:
            raise ValueError(f"target must be {forms} ({outputs}), got {target!r}")
        return index
    if index.shape != (n_rows,):
        raise ValueError(f"target must be {forms}, got shape {tuple(index.shape)}")
    low, high = int(index.min()), int(index.max())
    if low < 0 or high >= n_outputs:
        raise ValueError(f"target must be {forms} ({outputs}), got values from {low} to {high}")
    return index
