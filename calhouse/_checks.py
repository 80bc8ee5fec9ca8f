"""Checks of single arguments, shared by calhouse's functions: numbers, flags, names.

Each check takes the value as the caller gave it and the name the caller knows it
by, and either returns it in a normal form or raises :class:`TypeError` (the
wrong kind of object) or :class:`ValueError` (the right kind, a wrong value) with
a message that says what was expected and what came instead. They never use
``assert``, so ``python -O`` changes nothing, and they are cheap: a function runs
them all before its first long step. The checks of tables, models and targets
are in :mod:`calhouse._table_checks`.

Examples
--------
>>> check_positive_int(0, "n_steps")
Traceback (most recent call last):
...
ValueError: n_steps must be a positive integer, got 0
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Collection, Mapping


def describe(value: object) -> str:
    """A short description of a value for an error message: its type, and its repr if small.

    Examples
    --------
    >>> describe("model.pt")
    "str 'model.pt'"
    >>> import torch
    >>> describe(torch.zeros(2))
    'torch.Tensor'
    """
    kind = type(value)
    name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
    if isinstance(value, (str, bytes, numbers.Number)) and len(repr(value)) <= 60:
        return f"{name} {value!r}"
    return name


def did_you_mean(name: object, candidates: Collection[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest candidate to ``name``, or ``""``.

    Examples
    --------
    >>> did_you_mean("n_step", ["n_steps", "stdevs"])
    " (did you mean 'n_steps'?)"
    >>> did_you_mean("zzz", ["n_steps"])
    ''
    """
    if not isinstance(name, str):
        return ""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --- plain values -------------------------------------------------------------------


def check_positive_int(value: object, name: str) -> int:
    """``value`` as an ``int`` if it is a whole number >= 1 (NumPy integers included)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_nonnegative_float(value: object, name: str) -> float:
    """``value`` as a ``float`` if it is a finite real number >= 0."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def check_bool(value: object, name: str) -> bool:
    """``value`` itself if it is ``True`` or ``False``."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {describe(value)}")
    return value


def check_optional_bool(value: object, name: str) -> bool | None:
    """``value`` itself if it is ``True``, ``False`` or ``None``."""
    return None if value is None else check_bool(value, name)


def check_seed(value: object, name: str = "seed") -> int | None:
    """A seed both torch and NumPy take: ``None`` or a whole number in [0, 2**32 - 1]."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int or None, got {describe(value)}")
    if not 0 <= int(value) < 2**32:
        raise ValueError(f"{name} must be between 0 and 2**32 - 1, got {value!r}")
    return int(value)


def check_choice(value: object, choices: Collection[str], name: str) -> str:
    """``value`` if it is one of ``choices``; else a ValueError with the closest one.

    Examples
    --------
    >>> check_choice("deeplft", ["deeplift", "gradient_shap"], "method")
    Traceback (most recent call last):
    ...
    ValueError: unknown method 'deeplft' (did you mean 'deeplift'?); expected one of 'deeplift', 'gradient_shap'
    """
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"unknown {name} {value!r}{did_you_mean(value, choices)}; expected one of "
            f"{', '.join(map(repr, choices))}"
        )
    return value


def check_options(given: Mapping[str, object], accepted: Collection[str], owner: str) -> None:
    """Refuse option names that ``owner`` does not take, suggesting the closest one.

    Examples
    --------
    >>> check_options({"n_step": 5}, ["n_steps"], "integrated_gradients")
    Traceback (most recent call last):
    ...
    TypeError: integrated_gradients got an unexpected option 'n_step' (did you mean 'n_steps'?); it takes: n_steps
    """
    for option in given:
        if option not in accepted:
            takes = ", ".join(accepted) if accepted else "no options"
            raise TypeError(
                f"{owner} got an unexpected option {option!r}"
                f"{did_you_mean(option, accepted)}; it takes: {takes}"
            )
