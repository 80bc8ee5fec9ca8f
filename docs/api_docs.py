"""The API pages: a Sphinx extension (listed in ``conf.py``).

* The docstrings of calhouse's constants: the API pages document
  ``calhouse.FEATURE_NAMES`` and the like where users import them, from the
  package, where autodoc finds no comment; the ``#:`` comments above them in
  calhouse's submodules are their docstrings.
* Each API page's description (``<meta name="description">`` and its link
  preview's): the first paragraph of the object's docstring. Left alone,
  sphinxext-opengraph skips the object and describes the page by its list of
  examples, or not at all.
"""

from __future__ import annotations

import functools
import html
import pkgutil
from typing import Any


@functools.cache
def constant_docs() -> dict[str, list[str]]:
    """The ``#:`` comments above the constants of calhouse's submodules, by name."""
    from sphinx.pycode import ModuleAnalyzer

    import calhouse

    docs: dict[str, list[str]] = {}
    for module in pkgutil.iter_modules(calhouse.__path__):
        # Private modules too: a constant may be defined there and exported by the package.
        if module.name not in {"cli", "__main__"}:
            analyzer = ModuleAnalyzer.for_module(f"calhouse.{module.name}")
            docs |= {n: list(v) for (scope, n), v in analyzer.find_attr_docs().items() if not scope}
    names = ", ".join(f"``{name!r}``" for name in calhouse.MODELS)
    docs["MODELS"] = [*docs.get("MODELS", []), "", f"Names: {names}."]
    return docs


def fill_constant_docstring(app, what, name, obj, options, lines) -> None:  # noqa: ARG001, PLR0917
    """Give a constant of calhouse its ``#:`` comment (without it, a tuple shows tuple's docstring)."""
    if what == "data" and name.startswith("calhouse."):
        lines[:] = constant_docs().get(name.rsplit(".", 1)[-1], [])


def skip_metadata_requests(app, what, name, obj, skip, options) -> bool | None:  # noqa: ARG001, PLR0917
    """Leave out the ``set_*_request`` methods scikit-learn adds to every estimator.

    They are scikit-learn's metadata-routing machinery, documented by
    scikit-learn, not by calhouse's ``TorchRegressor``.
    """
    return True if name.startswith("set_") and name.endswith("_request") else None


def api_summary(doctree: Any) -> str | None:
    """The first paragraph of the first object documented in a page, on one line."""
    from docutils import nodes
    from sphinx import addnodes

    for content in doctree.findall(addnodes.desc_content):
        for paragraph in content.findall(nodes.paragraph):
            return " ".join(paragraph.astext().split())
    return None


def describe_api_page(app, pagename, templatename, context, doctree) -> None:  # noqa: ARG001
    """Describe an API page by its object's summary (before sphinxext-opengraph runs)."""
    if doctree is None or not pagename.startswith("generated/"):
        return
    summary = api_summary(doctree)
    if summary:
        context["meta"] = {**(context.get("meta") or {}), "og:description": summary}
        context["metatags"] += f'<meta name="description" content="{html.escape(summary)}" />\n'


def setup(app: Any) -> dict[str, Any]:
    """Connect the handlers."""
    app.connect("autodoc-process-docstring", fill_constant_docstring)
    app.connect("autodoc-skip-member", skip_metadata_requests)
    app.connect("html-page-context", describe_api_page, priority=400)  # opengraph's is 500
    return {"parallel_read_safe": True}
