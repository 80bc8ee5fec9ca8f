"""What the docs build does besides Sphinx's work: the site's downloads, and no remote loads.

A Sphinx extension (listed in ``conf.py``, see :func:`setup`) around plain
functions (sphinx-gallery is imported only where its parser is used), so that
the test suite can check each function alone.

* :func:`pins`: the versions ``constraints.txt`` pins, the one parser of that file.
* :func:`write_site_downloads`: calhouse's wheel, built reproducibly, and the
  pins, for the site's ``downloads/`` folder (a reader installs from the site).
* :func:`finish_downloads`: the examples as readers download them: without the
  code the build hides (``sphinx_gallery_start_ignore`` blocks, which
  sphinx-gallery strips from the page and the notebook but not from the
  ``.py``), in zips whose bytes do not depend on when they were made.
* :func:`remote_loads_in_site`: anything a page would load from another host.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent

#: Time stamp of the files inside the downloadable zips when ``SOURCE_DATE_EPOCH``
#: is not set (2026-01-01 00:00 UTC). nox sets it to the last commit's time.
DEFAULT_EPOCH = 1_767_225_600

#: The libraries whose tested versions the install page names, and their names in prose.
TESTED = ("torch", "captum", "scikit-learn", "numpy", "matplotlib")
_LABELS = {"torch": "PyTorch", "captum": "Captum", "numpy": "NumPy"}

# The earliest time a zip entry can carry (MS-DOS dates start in 1980).
_ZIP_EPOCH = 315_532_800


def pins(path: str | os.PathLike[str] = ROOT / "constraints.txt") -> dict[str, str]:
    """The versions a constraints file pins, by canonical distribution name.

    Every line is ``name==version``, a comment or blank; anything else is an error.
    """
    found = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()  # noqa: PLW2901
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep or not name.strip() or not version.strip():
            raise ValueError(f"{path}, line {number}: expected name==version, got {line!r}")
        found[canonicalize_name(name)] = version.strip()
    return found


def pyproject(project: str | os.PathLike[str] = ROOT) -> dict:
    """The project's ``pyproject.toml``, parsed."""
    import tomllib  # Python 3.11+

    with (Path(project) / "pyproject.toml").open("rb") as fh:
        return tomllib.load(fh)


def pinned_versions(names: tuple[str, ...] = TESTED) -> str:
    """The versions :func:`pins` gives the main libraries, as prose: "PyTorch 2.13.0, ..."."""
    pinned = pins()
    return ", ".join(f"{_LABELS.get(name, name)} {pinned[name]}" for name in names)


def python_supported() -> str:
    """The Pythons calhouse supports, from ``requires-python``: "Python 3.11 or newer"."""
    spec = pyproject()["project"]["requires-python"].replace(" ", "")
    return f"Python {spec[2:]} or newer" if re.fullmatch(r">=[\d.]+", spec) else f"Python {spec}"


def pages_url(repository: str) -> str:
    """The address of a GitHub repository's Pages site, where its docs are published.

    ``https://github.com/owner/name`` is published at ``https://owner.github.io/name/``,
    and the repository ``owner.github.io`` at ``https://owner.github.io/``.
    """
    parts = urlsplit(repository.strip())
    path = parts.path.strip("/").removesuffix(".git").split("/")
    if parts.scheme != "https" or parts.netloc.lower() != "github.com" or len(path) != 2:
        raise ValueError(
            f"expected a GitHub repository, https://github.com/<owner>/<name>; got {repository!r}"
        )
    owner, name = path[0].lower(), path[1]
    site = f"https://{owner}.github.io/"
    return site if name.lower() == f"{owner}.github.io" else f"{site}{name}/"


def source_date_epoch() -> int:
    """``SOURCE_DATE_EPOCH`` from the environment, else :data:`DEFAULT_EPOCH`."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return DEFAULT_EPOCH
    if not value.isdigit():
        raise ValueError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, got {value!r}")
    return int(value)


def _replace(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` in one step (unless it holds them already); whether it did."""
    if path.is_file() and path.read_bytes() == data:
        return False
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return True


# -- the site's downloads ----------------------------------------------------------------


def build_wheel(project: str | os.PathLike[str], epoch: int) -> tuple[str, bytes]:
    """The project's wheel, built by its own build backend: its file name and bytes.

    The backend named in ``pyproject.toml`` (hatchling) is called through its
    PEP 517 hook, in a child process run in the project, without build
    isolation (the build is offline); it dates the files ``epoch``.
    """
    project = Path(project)
    backend = pyproject(project)["build-system"]["build-backend"]
    call = "import importlib, sys; print(importlib.import_module(sys.argv[1]).build_wheel(sys.argv[2]))"
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [sys.executable, "-c", call, backend, tmp],
            cwd=project,
            env={**os.environ, "SOURCE_DATE_EPOCH": str(epoch)},
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"building the wheel of {project} with {backend} failed (is it installed? it is "
                f"in the docs dependency group):\n{result.stderr[-2000:]}"
            )
        name = result.stdout.strip().splitlines()[-1]
        return name, (Path(tmp) / name).read_bytes()


def write_site_downloads(project: str | os.PathLike[str], dest: str | os.PathLike[str]) -> Path:
    """Put the project's wheel and its ``constraints.txt`` in ``dest``; returns the wheel.

    Older wheels there are removed; files are replaced in one step, and only
    when their bytes change.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    name, data = build_wheel(project, source_date_epoch())
    for old in dest.glob("*.whl"):
        if old.name != name:
            old.unlink()
    _replace(dest / name, data)
    _replace(dest / "constraints.txt", (Path(project) / "constraints.txt").read_bytes())
    return dest / name


def without_hidden_code(source: str) -> str:
    """An example's source without its ``sphinx_gallery_start_ignore`` blocks.

    sphinx-gallery's own parser, the one that strips them from pages and notebooks.
    """
    if "sphinx_gallery_start_ignore" not in source:
        return source
    from sphinx_gallery.py_source_parser import remove_ignore_blocks

    return remove_ignore_blocks(source)


def _strip_script(name: str, data: bytes) -> bytes:
    return (
        without_hidden_code(data.decode("utf-8")).encode("utf-8") if name.endswith(".py") else data
    )


def reproducible_zip_bytes(
    data: bytes, epoch: int, transform: Callable[[str, bytes], bytes] | None = None
) -> bytes:
    """The same archive with nothing in it that depends on when or where it was made.

    Entries sorted by name, each dated ``epoch`` (UTC), with permissions 0644 and
    a Unix origin; compression unchanged; contents passed through
    ``transform(name, data)`` when given.
    """
    date_time = time.gmtime(max(epoch, _ZIP_EPOCH))[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            entry = zipfile.ZipInfo(info.filename, date_time=date_time)
            entry.compress_type = info.compress_type
            entry.create_system = 3
            entry.external_attr = (0o40755 if info.is_dir() else 0o100644) << 16
            content = src.read(info)
            dst.writestr(entry, transform(info.filename, content) if transform else content)
    return out.getvalue()


def finish_downloads(outdir: str | os.PathLike[str], epoch: int) -> list[str]:
    """Make the examples of a built site's ``_downloads`` what readers should get.

    Scripts lose their hidden code (:func:`without_hidden_code`) and zips are
    rewritten by :func:`reproducible_zip_bytes` with their scripts stripped the
    same way. These are Sphinx's copies in the output (sphinx-gallery's own
    files are left alone). Returns the files changed, relative to ``outdir``.
    """
    outdir = Path(outdir)
    changed = []
    for path in sorted((outdir / "_downloads").rglob("*")):
        if path.suffix == ".py":
            new = _strip_script(path.name, path.read_bytes())
        elif path.suffix == ".zip":
            new = reproducible_zip_bytes(path.read_bytes(), epoch, _strip_script)
        else:
            continue
        if _replace(path, new):
            changed.append(path.relative_to(outdir).as_posix())
    return changed


# -- what a page loads -------------------------------------------------------------------

# Elements and attributes that make a browser fetch something as the page loads.
# (A plain link, <a href>, is fetched only when followed.)
_LOADING_ATTRIBUTES = {
    "script": ("src",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "input": ("src",),
    "image": ("href", "xlink:href"),
    "use": ("href", "xlink:href"),
}
# <link rel=...> values that load the target with the page.
_LOADING_RELS = {
    "stylesheet",
    "preload",
    "modulepreload",
    "prefetch",
    "icon",
    "shortcut",
    "apple-touch-icon",
    "manifest",
    "mask-icon",
}
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""", re.IGNORECASE)


def is_remote(url: str) -> bool:
    """Whether a URL as written in a page points off the site (has a host)."""
    url = url.strip().lower()
    return url.startswith("//") or bool(re.match(r"[a-z][a-z0-9+.-]*://", url))


def remote_urls_in_css(text: str) -> list[str]:
    """The remote URLs a style sheet (or a style attribute) loads."""
    return [url for m in _CSS_URL.finditer(text) if is_remote(url := m.group(1) or m.group(2))]


class _LoadFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self._in_style = False

    def _add(self, where: str, value: str | None, *, srcset: bool = False) -> None:
        if not value:
            return
        urls = [part.split()[0] for part in value.split(",") if part.split()] if srcset else [value]
        self.found += [(where, url) for url in urls if is_remote(url)]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for attr in _LOADING_ATTRIBUTES.get(tag, ()):
            self._add(f"<{tag} {attr}>", values.get(attr), srcset=attr == "srcset")
        if tag == "link":
            rels = set((values.get("rel") or "").lower().split())
            if rels & _LOADING_RELS:
                self._add(f"<link rel={values.get('rel')}>", values.get("href"))
        if values.get("style"):
            self.found += [(f"<{tag} style>", u) for u in remote_urls_in_css(values["style"])]
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.found += [("<style>", url) for url in remote_urls_in_css(data)]


def remote_loads(html: str) -> list[tuple[str, str]]:
    """What an HTML page would load from other hosts, as (element, URL) pairs."""
    finder = _LoadFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def remote_loads_in_site(root: str | os.PathLike[str]) -> list[str]:
    """Every remote load in a built site's HTML pages and style sheets, one line each."""
    root = Path(root)
    problems = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.suffix == ".html":
            found = remote_loads(path.read_text(encoding="utf-8", errors="replace"))
        elif path.suffix == ".css":
            text = path.read_text(encoding="utf-8", errors="replace")
            found = [("url() in CSS", url) for url in remote_urls_in_css(text)]
        else:
            continue
        problems += [f"{rel}: {where} loads {url}" for where, url in found]
    return problems


# -- in Sphinx ------------------------------------------------------------------------------


def add_site_downloads(app: Any, config: Any) -> None:
    """Write the wheel and pins into the first ``html_extra_path`` folder's ``downloads/``.

    Sets the MyST substitutions ``wheel`` (its file name) and ``wheel_link``.
    """
    extra = Path(app.confdir) / config.html_extra_path[0]
    wheel = write_site_downloads(ROOT, extra / "downloads")
    config.myst_substitutions["wheel"] = wheel.name
    config.myst_substitutions["wheel_link"] = f"[{wheel.name}](downloads/{wheel.name}){{.external}}"


def finish_site(app: Any, exception: Exception | None) -> None:
    """The downloads as readers get them; a warning for anything loaded from another host.

    Sphinx takes MathJax from a CDN for a page with math, for instance: a page
    that needs it must bring its own copy (sphinx-mathjax-offline bundles one).
    """
    if exception is not None or app.builder.format != "html":
        return
    from sphinx.util import logging

    finish_downloads(app.outdir, source_date_epoch())
    for problem in remote_loads_in_site(app.outdir):
        logging.getLogger(__name__).warning("the site must work offline, but %s", problem)


def setup(app: Any) -> dict[str, Any]:
    """Connect the handlers."""
    app.connect("config-inited", add_site_downloads, priority=700)  # before it is validated
    app.connect("build-finished", finish_site)
    return {"parallel_read_safe": True}
