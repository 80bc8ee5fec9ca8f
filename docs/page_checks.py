"""Checks of what an example's text says, run by the docs build and hidden from readers.

Where the prose of an example states something about the numbers it printed
("MedInc and AveRooms rank highest"), the example checks it in code, right after
computing them, inside a block that sphinx-gallery runs but leaves off the page
and out of the notebook (the build strips it from the downloaded script too)::

    # sphinx_gallery_start_ignore
    from page_checks import check  # docs-only helper, importable during the build

    check(top_two == {"MedInc", "AveRooms"}, "MedInc and AveRooms rank highest", top_two=top_two)
    # sphinx_gallery_end_ignore

* ``statement`` is the sentence as the reader sees it; the values after it are
  what the check was made on, and appear in the error when it fails.
* The import is needed once per example, in its first hidden block (all cells
  share one namespace); a later block may repeat it.
* A failed check raises :class:`StatementError`, which fails the example and
  with it the build (``abort_on_example_error``). It is an ordinary exception,
  so ``python -O`` does not remove it as it would an ``assert``.
* A passing check prints nothing and returns None. Mind two things of
  sphinx-gallery's: it shows the value of a cell's last expression only if no
  statement follows it, hidden or not, so check before such a line; and a flag
  right after the comment lines of a cell's text is read as text, so start a
  hidden block after code or a blank line (``tests/test_docs.py`` checks this).
* Each example page's provenance box says how many statements were checked
  when it was built (:func:`take_checked`, called by ``gallery_hooks``).

This module is on ``sys.path`` during the build only (``conf.py`` puts ``docs/``
there); a reader's download never imports it.
"""

from __future__ import annotations

__all__ = ["ALT_TEXT_ATTRIBUTE", "StatementError", "check", "describe", "take_checked"]

_checked: list[str] = []


class StatementError(Exception):
    """A statement in an example's text no longer holds for the numbers it printed."""


def check(condition: object, statement: str, **values: object) -> None:
    """Fail the build if ``condition`` is false, quoting the statement and the values.

    Parameters
    ----------
    condition : object
        The check; its truth value is used.
    statement : str
        The sentence of the page that the check stands for, as the reader sees it.
    **values
        The numbers the check was made on, shown in the error.

    Raises
    ------
    StatementError
        If ``condition`` is false.

    Examples
    --------
    >>> check(0.658 < 0.7, "the test RMSE is below 0.7")
    >>> check(1 > 2, "one exceeds two", left=1, right=2)
    Traceback (most recent call last):
    ...
    page_checks.StatementError: the page says "one exceeds two", which no longer holds (left=1, right=2)
    """
    if not statement or not isinstance(statement, str):
        raise TypeError(f"check() needs the statement it checks, as text; got {statement!r}")
    if not condition:
        detail = ", ".join(f"{name}={value!r}" for name, value in values.items())
        raise StatementError(
            f'the page says "{statement}", which no longer holds'
            + (f" ({detail})" if detail else "")
        )
    _checked.append(statement)


def take_checked() -> list[str]:
    """The statements checked since the last call, in order; starts a new count."""
    taken = list(_checked)
    _checked.clear()
    return taken


#: Attribute under which :func:`describe` keeps a figure's alt text.
ALT_TEXT_ATTRIBUTE = "calhouse_alt_text"


def describe(figure: object, text: str) -> None:
    """Give a figure the alt text that its page shows for it: one sentence on what it shows.

    Call it in a hidden block after the figure is drawn; the gallery's image
    scraper reads it when it saves the figure.
    """
    if not isinstance(text, str) or not text.strip():
        raise TypeError(f"describe() needs a sentence of alt text, got {text!r}")
    setattr(figure, ALT_TEXT_ATTRIBUTE, " ".join(text.split()))
