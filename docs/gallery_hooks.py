"""Hooks that sphinx-gallery calls while it runs the examples (named in conf.py)."""

from __future__ import annotations

import warnings


def reset_example(gallery_conf: dict, fname: str) -> None:  # noqa: ARG001 -- the hook's signature
    """Prepare the interpreter before each example runs.

    Captum's DeepLift announces, on every call, that it temporarily hooks the
    model's ReLU modules and removes the hooks afterwards. The notice is
    informational, not a problem in the example, so the pages leave it out; the
    examples say so, and a reader running a script sees it. Only this message
    is filtered: any other warning still shows up on the page.
    """
    warnings.filterwarnings(
        "ignore",
        message="Setting forward, backward hooks and attributes on non-linear",
        category=UserWarning,
        module="captum",
    )
