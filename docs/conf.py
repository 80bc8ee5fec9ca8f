"""Sphinx configuration of the calhouse site.

``nox -s docs`` builds it running every example, ``nox -s docs_fast`` without
(``-D plot_gallery=0``), offline and reproducibly: data from ``CALHOUSE_DATA``,
other projects' inventories from ``_inventories/``, no timings or dates in pages.
Beside this file: ``gallery_hooks.py`` (each example's run: budgets, provenance,
reruns), ``page_checks.py`` (the examples' hidden checks of their statements),
``figure_checks.py`` (each figure: alt text, colours, text size), ``build_checks.py``
(the site's downloads, nothing loaded from elsewhere), ``api_docs.py`` and
``reader_tools.py`` (search and copy buttons).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import calhouse

DOCS = Path(__file__).resolve().parent
# The helpers beside this file, page_checks among them for the examples to import.
sys.path.insert(0, str(DOCS))

import build_checks

#: Where calhouse is developed: the install page's clone command, the header's link,
#: and the site's address (its GitHub Pages, html_baseurl below).
calhouse_repository = "https://github.com/calhouse/calhouse"

# -- Project ------------------------------------------------------------------
project = "calhouse"
author = "The calhouse developers"
copyright = "The calhouse developers"  # no year: a page must not change with the calendar
release = calhouse.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",
    "sphinx_sitemap",
    "sphinxext.opengraph",
    # Beside this file: each example's run (budgets, provenance, reruns), the
    # site's downloads and offline check, the API pages, search and copy helpers.
    "gallery_hooks",
    "build_checks",
    "api_docs",
    "reader_tools",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
templates_path = ["_templates"]
exclude_patterns = ["_build", "_inventories", "_templates"]
nitpicky = True
default_role = "py:obj"
pygments_style = "sphinx"

# -- MyST: values the Markdown pages quote, taken from their sources ------------------
myst_enable_extensions = ["attrs_inline", "colon_fence", "deflist", "substitution"]
myst_heading_anchors = 3
myst_substitutions = {
    "raw_sha256": f"`{calhouse.data.RAW_SHA256}`",
    "n_rows": f"{calhouse.data.RAW_N_ROWS:,}",
    "version": release,
    "tested_versions": build_checks.pinned_versions(),
    "python_supported": build_checks.python_supported(),
    "python_tested": f"Python {sys.version_info.major}.{sys.version_info.minor}",
    "repository": f"<{calhouse_repository}>",  # a link, in prose and in commands
    # The shipped model's test RMSE as recorded when it was trained (example 02 checks it).
    "tutorial_rmse": f"{calhouse.read_metadata(calhouse.MODELS['tutorial'].path)['test_rmse']:.3f}",
    # "wheel" and "wheel_link": set once the wheel is built (build_checks.add_site_downloads).
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
numpydoc_xref_ignore = "all"  # only the names below become links, not "of shape" etc.
_CLASSES = ["torch.Tensor", "torch.nn.Module", "torch.device", "torch.dtype", "numpy.ndarray"]
_CLASSES += ["pathlib.Path", "matplotlib.figure.Figure", "matplotlib.axes.Axes"]
numpydoc_xref_aliases = {
    **{name: f":class:`{name}`" for name in _CLASSES},
    "Tensor": ":class:`torch.Tensor`",
    "Figure": ":class:`matplotlib.figure.Figure`",
    "Axes": ":class:`matplotlib.axes.Axes`",
    "path-like": ":term:`path-like <python:path-like object>`",
    "mapping": ":term:`python:mapping`",
    "array-like": ":term:`array-like <numpy:array_like>`",
    "type": ":class:`python:type`",
    "object": ":class:`python:object`",
    **{
        name: f":class:`calhouse.{name}`"
        for name in calhouse.__all__
        if name[0].isupper() and isinstance(getattr(calhouse, name), type)
    },
}

# Other projects' docs, offline: each inventory is a small file written by
# _inventories/make_inventories.py; the URLs are the projects' real docs.
intersphinx_mapping = {
    "python": ("https://docs.python.org/3/", "_inventories/python.inv"),
    "numpy": ("https://numpy.org/doc/stable/", "_inventories/numpy.inv"),
    "scipy": ("https://docs.scipy.org/doc/scipy/", "_inventories/scipy.inv"),
    "torch": ("https://docs.pytorch.org/docs/stable/", "_inventories/torch.inv"),
    "sklearn": ("https://scikit-learn.org/stable/", "_inventories/sklearn.inv"),
    "matplotlib": ("https://matplotlib.org/stable/", "_inventories/matplotlib.inv"),
    "captum": ("https://captum.ai/api/", "_inventories/captum.inv"),
    "shap": ("https://shap.readthedocs.io/en/latest/", "_inventories/shap.inv"),
    "dask": ("https://docs.dask.org/en/stable/", "_inventories/dask.inv"),
}

# -- The gallery ----------------------------------------------------------------
# An example that raises, a failed check included, fails the build. (Sphinx
# settings, so that -D plot_gallery=0 can turn execution off.)
abort_on_example_error = True
plot_gallery = "True"
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",  # plot_01_..., plot_02_...
    "remove_config_comments": True,
    "doc_module": ("calhouse",),  # "Examples using calhouse.x" on each API page
    "backreferences_dir": "generated/backreferences",
    # Around each example: the hook measures and records it (gallery_hooks.py).
    "reset_modules": ("matplotlib", "gallery_hooks.reset_example"),
    "reset_modules_order": "both",
    # Each figure checked (alt text, colours, text size) and linked to its full size.
    "image_scrapers": ("figure_checks.scrape_figures",),
    # Reproducible pages: no run times or memory figures in them (the hook
    # measures each example for the budgets instead), and no timings page,
    # which would also load jQuery and DataTables from CDNs.
    "min_reported_time": 1_000_000_000,  # seconds: never
    "show_memory": False,
    "write_computation_times": False,
    "junit": "../sphinx-gallery-junit.xml",  # each example's result, beside the site
}
# Examples run side by side in worker processes, one per core up to four (each holds
# torch and its data: about 0.5-1 GiB); with one core, they run in the build's process.
# gallery_hooks prepares a worker before its first example's clock starts (the
# libraries the build's process has already imported) and makes a failing example's
# message, which bypasses Sphinx's log there, plain text that names the example. Time
# and peak memory are measured per example in its worker, against the same budgets.
sphinx_gallery_conf["parallel"] = min(4, os.cpu_count() or 1)

# -- HTML ---------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"calhouse {release}"
html_static_path = ["_static"]
html_css_files = ["calhouse.css"]
html_favicon = "_static/favicon.svg"
html_search_scorer = str(DOCS / "search_scorer.js")  # the examples that teach come first
html_show_sourcelink = False
html_last_updated_fmt = None
# Its downloads/ folder: calhouse's wheel and the pins (build_checks.add_site_downloads).
html_extra_path = ["_build/site_extra"]
html_theme_options = {
    "navbar_align": "left",
    "header_links_before_dropdown": 6,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    # A solid icon: the theme loads that font anyway; its brand font would add 110 kB.
    "icon_links": [{"name": "Repository", "url": calhouse_repository, "icon": "fa-solid fa-code"}],
    "shorten_urls": False,  # the clone command shows the address itself
    "secondary_sidebar_items": ["page-toc", "sg_download_links"],  # links on examples only
    "article_footer_items": ["calhouse-provenance"],  # on example pages only
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_context = {"default_mode": "auto"}
# No side navigation (the header and the gallery lead to every page): the column
# holds the examples' code lines and shows their figures at full size at 1366 px.
html_sidebars = {"**": []}

# -- Copy buttons: on code, not output; prompts ($, >>>) and doctest output left out
copybutton_selector = "div:not(.sphx-glr-script-out) > div.highlight > pre, pre.literal-block"
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
copybutton_exclude = ".linenos, .gp, .go"

# -- Publishing: the address, the sitemap and link previews, from the repository --
html_baseurl = build_checks.pages_url(calhouse_repository)
sitemap_url_scheme = "{link}"  # no language or version folders
sitemap_excludes = ["search.html", "genindex.html", "_modules/*"]
ogp_site_url = html_baseurl
ogp_social_cards = {"enable": False}  # no preview image drawn for each page
