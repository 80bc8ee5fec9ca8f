"""What the site does for its readers besides Sphinx's defaults: a Sphinx extension (``conf.py``).

* **Search**: the example that teaches a Captum method is the first, in reading
  order, whose code calls it (``DeepLift(model)``): the gallery introduces a
  method before later pages build on it. That page gets a main index entry for
  the method, under its class name and its words ("IntegratedGradients",
  "Integrated Gradients"), so that the site's index lists it and a search for
  the name finds it first (Sphinx scores an index entry above any mention in a
  page's text; ``search_scorer.js`` does the rest).
* **Copying**: a parsed literal block (commands with the wheel's name filled
  in) is a bare ``<pre>``, where sphinx-copybutton's button would be placed
  against the page instead of the block; each gets a frame of its own.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path
from typing import Any

from docutils import nodes


@functools.lru_cache(maxsize=64)
def captum_calls(source: str) -> tuple[str, ...]:
    """The Captum classes and functions an example's code calls, in the order first called.

    Cached by source: every example page asks about all the examples before it.
    """
    tree = ast.parse(source)
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "captum"
        for alias in node.names
    }
    called = []
    for node in sorted(
        (n for n in ast.walk(tree) if isinstance(n, ast.Call)),
        key=lambda n: (n.lineno, n.col_offset),
    ):
        func = node.func
        if isinstance(func, ast.Name) and func.id in imported:
            name = func.id
        elif isinstance(func, ast.Attribute) and ast.unparse(func).startswith("captum."):
            name = func.attr
        else:
            continue
        if name not in called:
            called.append(name)
    return tuple(called)


def taught_methods(examples: list[Path]) -> dict[str, list[str]]:
    """For each example (by file stem), the Captum methods it is the first to call."""
    seen: set[str] = set()
    taught: dict[str, list[str]] = {}
    for path in sorted(examples, key=lambda p: p.name):
        new = [n for n in captum_calls(path.read_text(encoding="utf-8")) if n not in seen]
        seen.update(new)
        taught[path.stem] = new
    return taught


def index_terms(name: str) -> list[str]:
    """The terms a reader may search a method by: its name, and its words if they differ."""
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
    return [name] if words == name else [name, words]


def _gallery_dirs(conf: dict[str, Any]) -> tuple[str, str]:
    """The (first) examples directory and gallery directory of sphinx-gallery's settings."""
    examples, gallery = conf["examples_dirs"], conf["gallery_dirs"]
    first = (examples if isinstance(examples, str) else examples[0],)
    return first[0], gallery if isinstance(gallery, str) else gallery[0]


def method_entries(srcdir: str | Path, conf: dict[str, Any], docname: str) -> list[tuple]:
    """The main index entries of the methods the example of page ``docname`` teaches."""
    examples_dir, gallery = _gallery_dirs(conf)
    if not docname.startswith(f"{gallery}/plot_"):
        return []
    examples = sorted((Path(srcdir) / examples_dir).glob("plot_*.py"))
    methods = taught_methods(examples).get(docname.removeprefix(f"{gallery}/"), [])
    # No target: a search result for the entry is then the page itself, shown once.
    return [("single", term, "", "main", None) for m in methods for term in index_terms(m)]


def frame_parsed_literals(app: Any, doctree: nodes.document, docname: str) -> None:  # noqa: ARG001
    """Put each parsed literal block in a container of its own, the copy button's frame.

    Sphinx highlights a literal block unless its text differs from its source
    (a parsed literal), which it leaves to docutils as ``<pre class="literal-block">``.
    """
    for block in list(doctree.findall(nodes.literal_block)):
        if block.rawsource != block.astext() and "calhouse-literal" not in block.parent["classes"]:
            frame = nodes.container(classes=["calhouse-literal"])
            block.replace_self(frame)
            frame.append(block)


def setup(app: Any) -> dict[str, Any]:
    """Register the transform that adds the entries, and connect the frames' handler."""
    from sphinx import addnodes
    from sphinx.transforms import SphinxTransform

    class MethodEntries(SphinxTransform):
        """The index entries of an example page, where the index and the search find them."""

        default_priority = 840  # before SphinxDomains (850) collects the index entries

        def apply(self, **kwargs: Any) -> None:  # noqa: ARG002 -- docutils' signature
            docname = self.env.current_document.docname
            conf = self.config.sphinx_gallery_conf
            entries = method_entries(self.env.srcdir, conf, docname)
            # Which methods this page teaches depends on the examples before it too.
            examples_dir, gallery = _gallery_dirs(conf)
            if docname.startswith(f"{gallery}/plot_"):
                for path in (Path(self.env.srcdir) / examples_dir).glob("plot_*.py"):
                    if path.stem <= docname.removeprefix(f"{gallery}/"):
                        self.env.note_dependency(str(path))
            if entries:
                section = next(iter(self.document.findall(nodes.section)), None)
                index = addnodes.index(entries=entries, inline=False)
                (section or self.document).insert(1 if section is not None else 0, index)

    app.add_transform(MethodEntries)
    app.connect("doctree-resolved", frame_parsed_literals)
    return {"parallel_read_safe": True}
