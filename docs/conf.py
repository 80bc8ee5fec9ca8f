"""Sphinx configuration of the calhouse site.

Build it with ``nox -s docs`` (every example executed) or ``nox -s docs_fast``
(examples not executed). The build is meant to run offline and to be
reproducible: data from ``CALHOUSE_DATA``, links to other projects' docs from
the small inventories in ``_inventories/``, and no timings or dates in pages.
"""

from __future__ import annotations

import hashlib
import pkgutil
import sys
from pathlib import Path

from sphinx.pycode import ModuleAnalyzer
from sphinx.util import logging

import calhouse

DOCS = Path(__file__).resolve().parent
# gallery_hooks.py (named by string in sphinx_gallery_conf below) and build_checks.py.
sys.path.insert(0, str(DOCS))

import build_checks
import gallery_hooks

logger = logging.getLogger(__name__)

# -- Project ------------------------------------------------------------------
project = "calhouse"
author = "The calhouse developers"
# No year: a page must not change because the calendar did.
copyright = "The calhouse developers"
release = calhouse.__version__
version = ".".join(release.split(".")[:2])

# -- General ------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "_inventories", "_templates"]
nitpicky = True
default_role = "py:obj"
pygments_style = "sphinx"


def _tested_versions(*names: str) -> str:
    """The versions constraints.txt pins for ``names``, as prose."""
    pins = dict(
        line.split("==")
        for line in (DOCS.parent / "constraints.txt").read_text().splitlines()
        if "==" in line
    )
    labels = {"torch": "PyTorch", "captum": "Captum", "numpy": "NumPy"}
    return ", ".join(f"{labels.get(name, name)} {pins[name]}" for name in names)


# -- MyST (Markdown pages) ----------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist", "substitution"]
myst_heading_anchors = 3
# Values the Markdown pages quote, taken from the package rather than typed in.
myst_substitutions = {
    "raw_sha256": f"`{calhouse.RAW_SHA256}`",
    "n_rows": f"{calhouse.RAW_N_ROWS:,}",
    "version": release,
    "tested_versions": _tested_versions("torch", "captum", "scikit-learn", "numpy", "matplotlib"),
    # The shipped model's test RMSE, as recorded when it was trained (the
    # training example recomputes it and checks it against the tutorial's).
    "tutorial_rmse": f"{calhouse.read_metadata(calhouse.MODELS['tutorial'].path)['test_rmse']:.3f}",
}

# -- API reference: autodoc, autosummary, numpydoc ----------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "member-order": "bysource"}
# Types are documented in the numpydoc sections; annotations in signatures would
# name private module paths (torch.nn.modules.module.Module) that have no page.
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = True
# Only the names below become links; other words of a type ("of shape",
# "default=50") stay plain text.
numpydoc_xref_ignore = "all"
numpydoc_xref_aliases = {
    "torch.Tensor": ":class:`torch.Tensor`",
    "Tensor": ":class:`torch.Tensor`",
    "torch.nn.Module": ":class:`torch.nn.Module`",
    "torch.device": ":class:`torch.device`",
    "torch.dtype": ":class:`torch.dtype`",
    "numpy.ndarray": ":class:`numpy.ndarray`",
    "pathlib.Path": ":class:`pathlib.Path`",
    "path-like": ":term:`path-like <python:path-like object>`",
    "mapping": ":term:`python:mapping`",
    "array-like": ":term:`array-like <numpy:array_like>`",
    "type": ":class:`python:type`",
    "object": ":class:`python:object`",
    "matplotlib.figure.Figure": ":class:`matplotlib.figure.Figure`",
    "matplotlib.axes.Axes": ":class:`matplotlib.axes.Axes`",
    "Figure": ":class:`matplotlib.figure.Figure`",
    "Axes": ":class:`matplotlib.axes.Axes`",
    **{
        name: f":class:`calhouse.{name}`"
        for name in calhouse.__all__
        if name[0].isupper() and isinstance(getattr(calhouse, name), type)
    },
}

# -- Links to other projects' docs, offline ------------------------------------
# Each inventory is a small file written by _inventories/make_inventories.py,
# listing the objects these pages link to; the URLs are the projects' real docs.
intersphinx_mapping = {
    "python": ("https://docs.python.org/3/", "_inventories/python.inv"),
    "numpy": ("https://numpy.org/doc/stable/", "_inventories/numpy.inv"),
    "torch": ("https://docs.pytorch.org/docs/stable/", "_inventories/torch.inv"),
    "sklearn": ("https://scikit-learn.org/stable/", "_inventories/sklearn.inv"),
    "matplotlib": ("https://matplotlib.org/stable/", "_inventories/matplotlib.inv"),
    "captum": ("https://captum.ai/api/", "_inventories/captum.inv"),
}

# -- The gallery -----------------------------------------------------------------
# An example that raises, a failed claim() included, fails the build. (These two
# are Sphinx settings too; sphinx-gallery reads them from there, so that
# ``-D plot_gallery=0`` can turn execution off for a fast build.)
abort_on_example_error = True
plot_gallery = "True"
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # One gallery in reading order: plot_01_..., plot_02_..., as the files sort.
    "within_subsection_order": "FileNameSortKey",
    "only_warn_on_example_error": False,
    "remove_config_comments": True,
    # Pages "Examples using calhouse.x" on each API page.
    "doc_module": ("calhouse",),
    "backreferences_dir": "generated/backreferences",
    # Before each example and after it: the hook also measures the example
    # (time, peak RSS) and records the files it reads (provenance).
    "reset_modules": ("matplotlib", "gallery_hooks.reset_example"),
    "reset_modules_order": "both",
    # Reproducible pages: no run times, no memory figures, no timings page (which
    # would also load jQuery and DataTables from CDNs: the site must work offline).
    # The hook measures each example instead, for the budgets, outside the pages.
    "min_reported_time": 1_000_000_000,  # seconds: never
    "show_memory": False,
    "write_computation_times": False,
    "download_all_examples": True,
    "image_scrapers": ("matplotlib",),
}

# -- HTML ---------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"calhouse {release}"
html_static_path = ["_static"]
html_css_files = ["calhouse.css"]
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {
    "navbar_align": "left",
    "header_links_before_dropdown": 6,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    # The download links render on example pages only.
    "secondary_sidebar_items": ["page-toc", "sg_download_links"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_context = {"default_mode": "auto"}
# Pages without sub-pages have nothing to list in the left sidebar: give their
# text the width.
html_sidebars = {"index": [], "install": [], "data": []}


# -- Documentation of the package's constants ----------------------------------
def _constant_docs() -> dict[str, list[str]]:
    """The ``#:`` comments above the constants of calhouse's submodules, by name.

    The API reference documents ``calhouse.FEATURE_NAMES`` and the like where a
    user imports them, from the package; autodoc looks for their ``#:`` comments
    there and finds none, since they sit in the submodules that define them.
    """
    docs: dict[str, list[str]] = {}
    for module in pkgutil.iter_modules(calhouse.__path__):
        if module.name.startswith("_") or module.name == "cli":
            continue  # private, and the command line (__main__ runs it)
        analyzer = ModuleAnalyzer.for_module(f"calhouse.{module.name}")
        for (scope, name), lines in analyzer.find_attr_docs().items():
            if not scope:
                docs[name] = list(lines)
    docs["MODELS"] = [
        *docs.get("MODELS", []),
        "",
        "Names: " + ", ".join(f"``{name!r}``" for name in calhouse.MODELS) + ".",
    ]
    return docs


CONSTANT_DOCS = _constant_docs()


def _fill_constant_docstring(app, what, name, obj, options, lines) -> None:  # noqa: ARG001, PLR0917
    # Without its own comment, autodoc would show the docstring of the value's
    # type ("Built-in immutable sequence...") for a tuple constant.
    if what == "data" and name.startswith("calhouse."):
        lines[:] = CONSTANT_DOCS.get(name.removeprefix("calhouse."), [])


# -- What the build checks and records about the examples ----------------------------
GALLERY_DIR = DOCS / sphinx_gallery_conf["gallery_dirs"]


def _package_digest() -> str:
    """sha256 over calhouse's code and shipped models, as the examples import them."""
    package = Path(calhouse.__file__).resolve().parent
    models = calhouse.models_dir()
    digest = hashlib.sha256()
    for path in sorted([*package.rglob("*.py"), *models.glob("*.pt"), *models.glob("*.json")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _rerun_examples_when_the_package_changes(app) -> None:
    """Make sphinx-gallery run every example again when calhouse or its models changed.

    sphinx-gallery reruns an example only when the example's own file changed
    (its ``.py.md5``); a page could otherwise show the output of an older calhouse.
    Forgetting those checksums makes it run them all, once per change.
    """
    if not _examples_ran(app):
        return
    stamp = GALLERY_DIR / ".calhouse-inputs.sha256"
    current = _package_digest()
    if stamp.is_file() and stamp.read_text() == current:
        return
    stale = sorted(GALLERY_DIR.glob("*.py.md5"))
    if stale:
        logger.info("calhouse or its models changed: running all %d examples again", len(stale))
    for checksum in stale:
        checksum.unlink()
    GALLERY_DIR.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current)


def _examples_ran(app) -> bool:
    return str(app.config.plot_gallery).strip().lower() not in {"0", "false", "no", ""}


def _example_runs() -> dict[str, gallery_hooks.ExampleRun]:
    """The last recorded run of each example of the gallery, by file name."""
    runs = {}
    for source in sorted(GALLERY_DIR.glob("*.py")):
        record = gallery_hooks.run_record_path(source)
        if record.is_file():
            runs[source.name] = gallery_hooks.ExampleRun.read(record)
    return runs


def _after_gallery(app) -> None:
    """Once sphinx-gallery has run the examples: budgets, then reproducible zips.

    The budgets apply to each example's last recorded run, whether it ran in
    this build or an earlier one, so that an example over budget keeps failing
    the build until it runs within budget.
    """
    if not _examples_ran(app):
        return
    max_seconds = app.config.calhouse_example_max_seconds
    max_rss = app.config.calhouse_example_max_rss_bytes
    problems = []
    for run in _example_runs().values():
        logger.info(
            "%s: %.1f s, peak RSS %.0f MiB (%.0f MiB when it started, %s)",
            run.example,
            run.seconds,
            run.peak_rss_bytes / 2**20,
            run.rss_at_start_bytes / 2**20,
            run.rss_method,
        )
        problems += gallery_hooks.over_budget(run, max_seconds=max_seconds, max_rss_bytes=max_rss)
    for problem in problems:
        logger.error(
            "%s (its last run in this build directory; a clean build measures again)", problem
        )
    # Errors fail the build with or without -W.
    app.calhouse_over_budget = bool(problems)
    epoch = build_checks.source_date_epoch()
    for archive in sorted(GALLERY_DIR.glob("*.zip")):
        build_checks.make_zip_reproducible(archive, epoch)


def _add_provenance(app, docname: str, source: list[str]) -> None:
    """Put the provenance of an example's run at the end of its page, before the downloads."""
    gallery = GALLERY_DIR.name
    if not docname.startswith(f"{gallery}/") or not _examples_ran(app):
        return
    example = GALLERY_DIR / f"{docname.removeprefix(gallery + '/')}.py"
    record = gallery_hooks.run_record_path(example)
    if not record.is_file():
        return
    app.env.note_dependency(str(record))
    block = gallery_hooks.provenance_rst(gallery_hooks.ExampleRun.read(record).provenance)
    marker = f".. _sphx_glr_download_{gallery}_{example.name}:"
    text = source[0]
    at = text.find(marker)
    source[0] = text + block if at < 0 else text[:at] + block + "\n" + text[at:]


def _check_self_contained(app, exception: Exception | None) -> None:
    """Warn (an error under -W) about anything a page would load from another host.

    Sphinx takes MathJax from a CDN as soon as a page has math, for instance: a
    page that needs it must bring its own copy (the sphinx-mathjax-offline
    extension bundles one).
    """
    if getattr(app, "calhouse_over_budget", False):
        app.statuscode = 1
    if exception is not None or app.builder.format != "html":
        return
    for problem in build_checks.remote_loads_in_site(app.outdir):
        logger.warning("the site must work offline, but %s", problem)


def setup(app) -> None:
    """Connect the hooks of this configuration."""
    app.connect("autodoc-process-docstring", _fill_constant_docstring)
    # Budgets of each example, overridable with -D (e.g. to see the check fail).
    app.add_config_value("calhouse_example_max_seconds", gallery_hooks.MAX_SECONDS, "env")
    app.add_config_value("calhouse_example_max_rss_bytes", gallery_hooks.MAX_RSS_BYTES, "env")
    # Before sphinx-gallery's own builder-inited handler (priority 500) runs the examples,
    app.connect("builder-inited", _rerun_examples_when_the_package_changes, priority=400)
    # and after it.
    app.connect("builder-inited", _after_gallery, priority=900)
    app.connect("source-read", _add_provenance)
    app.connect("build-finished", _check_self_contained)
