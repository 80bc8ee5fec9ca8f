"""Checks and fixes that conf.py applies to the build: reproducible zips, no remote loads.

Plain Python (no Sphinx), so that the test suite can check each function on its own.
"""

from __future__ import annotations

import io
import os
import re
import time
import zipfile
from html.parser import HTMLParser
from pathlib import Path

#: Time stamp of the files inside the downloadable zips when ``SOURCE_DATE_EPOCH``
#: is not set (2026-01-01 00:00 UTC). nox sets it to the last commit's time.
DEFAULT_EPOCH = 1_767_225_600

# The earliest time a zip entry can carry (MS-DOS dates start in 1980).
_ZIP_EPOCH = 315_532_800


def source_date_epoch() -> int:
    """``SOURCE_DATE_EPOCH`` from the environment, else :data:`DEFAULT_EPOCH`."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return DEFAULT_EPOCH
    if not value.isdigit():
        raise ValueError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, got {value!r}")
    return int(value)


def reproducible_zip_bytes(data: bytes, epoch: int) -> bytes:
    """The same archive with nothing in it that depends on when or where it was made.

    Entries sorted by name, each dated ``epoch`` (UTC), with permissions 0644 and
    a Unix origin; contents and compression unchanged.
    """
    date_time = time.gmtime(max(epoch, _ZIP_EPOCH))[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            entry = zipfile.ZipInfo(info.filename, date_time=date_time)
            entry.compress_type = info.compress_type
            entry.create_system = 3
            entry.external_attr = (0o40755 if info.is_dir() else 0o100644) << 16
            dst.writestr(entry, src.read(info))
    return out.getvalue()


def make_zip_reproducible(path: str | os.PathLike[str], epoch: int) -> bool:
    """Rewrite a zip file with :func:`reproducible_zip_bytes`; whether it changed.

    The new bytes replace the old in one step (a file beside it, then renamed),
    and only when they differ, so an unchanged archive keeps its time stamp.
    """
    path = Path(path)
    old = path.read_bytes()
    new = reproducible_zip_bytes(old, epoch)
    if new == old:
        return False
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(new)
    tmp.replace(path)
    return True


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
