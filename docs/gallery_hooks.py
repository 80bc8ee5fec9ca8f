"""Hooks that sphinx-gallery calls while it runs the examples (named in conf.py)."""

from __future__ import annotations

import warnings

import matplotlib as mpl

#: Text size of the gallery's figures, in points (matplotlib's default is 10). On
#: a laptop screen a page shows a figure a little narrower than its natural
#: width; at 11 points its text still reads like the page's own small print.
FONT_SIZE = 11


def reset_example(gallery_conf: dict, fname: str) -> None:  # noqa: ARG001 -- the hook's signature
    """Prepare the interpreter before each example runs.

    sphinx-gallery has just reset matplotlib to its defaults; the figures get
    :data:`FONT_SIZE`-point text.

    Captum's DeepLift announces, on every call, that it temporarily hooks the
    model's ReLU modules and removes the hooks afterwards. The notice is
    informational, not a problem in the example, so the pages leave it out; the
    examples say so, and a reader running a script sees it. Only this message
    is filtered: any other warning still shows up on the page.
    """
    mpl.rcParams["font.size"] = FONT_SIZE
    warnings.filterwarnings(
        "ignore",
        message="Setting forward, backward hooks and attributes on non-linear",
        category=UserWarning,
        module="captum",
    )
