"""Checks for what the documentation says, so that a false sentence fails the build.

Every example states things in prose ("MedInc and AveRooms rank highest", "three
neurons never fire"). Each such statement is checked right where it is made::

    claim(top_two == {"MedInc", "AveRooms"}, "MedInc and AveRooms rank highest", top_two=top_two)

If it stops being true, :class:`ClaimError` aborts the example, and with it the docs
build (``abort_on_example_error``). Unlike ``assert`` it is not removed by ``python -O``.
"""

from __future__ import annotations

__all__ = ["ClaimError", "claim"]


class ClaimError(AssertionError):
    """A statement made in the documentation is no longer true."""


def claim(condition: object, statement: str, **values: object) -> None:
    """Fail if ``condition`` is false, quoting the statement and the values behind it.

    Parameters
    ----------
    condition : object
        The check; its truth value is used.
    statement : str
        The sentence the documentation makes, as the reader sees it.
    **values
        The numbers the check was made on, shown in the error.

    Raises
    ------
    ClaimError
        If ``condition`` is false.

    Examples
    --------
    >>> claim(0.658 < 0.7, "the RMSE is below 0.7")
    >>> claim(1 > 2, "one exceeds two", left=1, right=2)
    Traceback (most recent call last):
    ...
    calhouse.claims.ClaimError: no longer true: one exceeds two (left=1, right=2)
    """
    if not condition:
        detail = ", ".join(f"{k}={v!r}" for k, v in values.items())
        raise ClaimError(f"no longer true: {statement}" + (f" ({detail})" if detail else ""))
