"""Check a built site as a reader's browser gets it.

The site is served on loopback (:func:`serve`) and opened in Debian's Chromium
through Playwright (:func:`launch`). :func:`check_page` loads one page in a
fresh browser context, as a first visit, and reports everything wrong with it
(:class:`PageReport`): errors on the console, requests to any other origin
(blocked, so nothing leaves the machine), requests that failed, images that do
not decode (in the browser, and every byte of them with Pillow), internal links
or anchors that lead nowhere, and the page's weight with everything it loads.

For readers with other needs: :func:`axe_violations` runs axe-core's WCAG 2.1 A
and AA rules on a page, :func:`lines_out_of_sight` finds code or output that
scrolls sideways, :func:`small_print_px` and :func:`figures_shown` measure the
page's smallest text and how large its figures show.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from PIL import Image

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright, Request, Response, Route

#: Debian's Chromium (package ``chromium``); ``CALHOUSE_CHROMIUM`` names another.
CHROMIUM = os.environ.get("CALHOUSE_CHROMIUM", "/usr/bin/chromium")

#: Flags for a headless Chromium on a machine with no network, or a closed one:
#: without the background-networking ones it keeps trying to reach Google's
#: services. (Playwright adds a fresh, empty --user-data-dir to every launch.)
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

#: Largest a page may weigh with everything it loads, in bytes (1.5 MB).
MAX_PAGE_BYTES = 1_500_000

#: Directories of a built Sphinx site that hold no pages.
NOT_PAGES = ("_static", "_sources", "_images", "_downloads", ".doctrees")

# After the load event, images are made to load and decode; a page is settled once
# no request has been in flight for this long.
_QUIET_SECONDS = 0.1
_SETTLE_TIMEOUT = 10.0

_DECODE_IMAGES = """
async () => {
  const images = Array.from(document.images);
  const decode = (img) => {
    img.loading = "eager";
    const timeout = new Promise((resolve) => setTimeout(resolve, 10000));
    return Promise.race([img.decode().catch(() => null), timeout]);
  };
  await Promise.all(images.map(decode));
  return images
    .filter((img) => !(img.complete && img.naturalWidth > 0))
    .map((img) => img.getAttribute("src") || img.outerHTML.slice(0, 200));
}
"""

# Bytes of every response the page received, itself included (the body as sent:
# the server does not compress). Resource Timing lists fetches made by scripts
# and style sheets too.
_BYTES_LOADED = """
() => performance.getEntries()
  .filter((entry) => "encodedBodySize" in entry)
  .reduce((total, entry) => total + entry.encodedBodySize, 0)
"""

_LINKS = """
() => Array.from(document.querySelectorAll("a[href], link[href], area[href]"),
                 (a) => [a.getAttribute("href"), a.href])
"""


# -- serving ---------------------------------------------------------------------------


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # A browser that drops a connection (it has what it needs) is no error.
        pass


@contextlib.contextmanager
def serve(root: str | os.PathLike[str]) -> Iterator[str]:
    """Serve a directory on 127.0.0.1 on a free port; yields the base URL (ends with /)."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def launch(playwright: Playwright) -> Browser:
    """Start headless Chromium (:data:`CHROMIUM`) with :data:`CHROMIUM_ARGS`."""
    if not Path(CHROMIUM).is_file():
        raise FileNotFoundError(
            f"{CHROMIUM}: no Chromium there. Install Debian's package (apt-get install "
            "chromium), or set CALHOUSE_CHROMIUM to a Chromium or Chrome executable."
        )
    return playwright.chromium.launch(
        executable_path=CHROMIUM, args=list(CHROMIUM_ARGS), headless=True
    )


# -- the site's files ---------------------------------------------------------------------


def site_pages(root: str | os.PathLike[str]) -> list[str]:
    """Every HTML page of a built site, as paths relative to its root, sorted."""
    root = Path(root)
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*.html")
        if not p.relative_to(root).parts[0] in NOT_PAGES
    )


class _IdFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is not None and (name == "id" or (name == "name" and tag == "a")):
                self.ids.add(value)


@functools.cache
def _anchors(path: Path, mtime_ns: int) -> frozenset[str]:  # noqa: ARG001 -- the cache key
    finder = _IdFinder()
    finder.feed(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(finder.ids)


def anchors(path: Path) -> frozenset[str]:
    """The fragment targets of an HTML file: its ids, and the names of its <a> elements."""
    return _anchors(path, path.stat().st_mtime_ns)


def link_problem(href: str, url: str, base_url: str, root: Path) -> str | None:
    """What is wrong with a link of a page served from ``root`` at ``base_url``, if anything.

    ``href`` is the attribute as written, ``url`` the browser's resolved URL. Links
    to other origins are not followed (the site must work offline); a link on
    the site must name a file that exists, and its #fragment an id there.
    """
    target = urlsplit(url)
    base = urlsplit(base_url)
    if target.scheme not in {"http", "https"} or target.netloc != base.netloc:
        return None
    relative = unquote(target.path)[len(base.path) :]
    file = root / relative
    if relative == "" or relative.endswith("/"):
        file = file / "index.html"
    if not file.is_file():
        return f"{href}: no such file {file.relative_to(root).as_posix()}"
    fragment = unquote(target.fragment)
    if fragment and file.suffix == ".html" and fragment not in anchors(file):
        return f"{href}: no id {fragment!r} in {file.relative_to(root).as_posix()}"
    return None


# -- one page in the browser ----------------------------------------------------------------


def image_problem(data: bytes, content_type: str) -> str | None:
    """Why the bytes of an image do not decode completely, if they do not.

    The browser shows what it can of a damaged image: a truncated PNG keeps its
    size and decodes "successfully", its lower part blank. Pillow decodes every
    pixel (SVG: the XML must parse).
    """
    try:
        if "svg" in content_type:
            ET.fromstring(data)
        else:
            with Image.open(io.BytesIO(data)) as image:
                image.load()
    except Exception as exc:  # noqa: BLE001 -- any failure to decode is the finding
        return f"{type(exc).__name__}: {exc}"
    return None


@dataclass
class PageReport:
    """What loading one page showed."""

    page: str
    console_errors: list[str] = field(default_factory=list)
    remote_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    dead_links: list[str] = field(default_factory=list)
    bytes_loaded: int = 0
    requests: list[str] = field(default_factory=list)

    def problems(self, max_bytes: int = MAX_PAGE_BYTES) -> list[str]:
        """Every problem, one line each; empty for a good page."""
        lines = [f"console error: {e}" for e in self.console_errors]
        lines += [f"request to another origin (blocked): {u}" for u in self.remote_requests]
        lines += [f"failed request: {r}" for r in self.failed_requests]
        lines += [f"image does not decode: {src}" for src in self.broken_images]
        lines += [f"dead link: {link}" for link in self.dead_links]
        if self.bytes_loaded > max_bytes:
            lines.append(
                f"weighs {self.bytes_loaded:,} bytes with everything it loads, "
                f"over the budget of {max_bytes:,}"
            )
        return lines


def is_same_origin(url: str, base_url: str) -> bool:
    """Whether the browser may fetch ``url`` for a page of the site at ``base_url``."""
    target, base = urlsplit(url), urlsplit(base_url)
    if target.scheme in {"data", "blob", "about"}:
        return True  # made by the page itself, never fetched
    return (target.scheme, target.netloc) == (base.scheme, base.netloc)


def _settle(page: Page, in_flight: set[Request]) -> None:
    """Wait until no request has been in flight for a short while (or give up)."""
    deadline = time.monotonic() + _SETTLE_TIMEOUT
    quiet_since = None
    while time.monotonic() < deadline:
        page.wait_for_timeout(25)
        if in_flight:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= _QUIET_SECONDS:
            return


def check_page(
    browser: Browser, base_url: str, root: str | os.PathLike[str], page_path: str
) -> PageReport:
    """Load one page of the site in a fresh context and report what is wrong with it."""
    root = Path(root)
    report = PageReport(page=page_path)
    context = browser.new_context(service_workers="block")
    try:

        def route(route: Route) -> None:
            url = route.request.url
            report.requests.append(url)
            if is_same_origin(url, base_url):
                route.continue_()
            else:
                report.remote_requests.append(url)
                route.abort("blockedbyclient")

        context.route("**/*", route)
        page = context.new_page()
        in_flight: set[Request] = set()
        images: list[Response] = []
        # Playwright needs Python functions here, not a set's bound methods.
        page.on("request", lambda request: in_flight.add(request))  # noqa: PLW0108
        page.on("requestfinished", lambda request: in_flight.discard(request))  # noqa: PLW0108

        def failed(request: Request) -> None:
            in_flight.discard(request)
            if is_same_origin(request.url, base_url):
                report.failed_requests.append(f"{request.url}: {request.failure}")

        def response(resp: Response) -> None:
            if resp.request.resource_type == "image" and resp.ok:
                images.append(resp)
            if resp.status >= 400:
                report.failed_requests.append(f"{resp.url}: HTTP {resp.status}")

        page.on("requestfailed", failed)
        page.on("response", response)
        page.on(
            "console",
            lambda msg: (
                report.console_errors.append(f"{msg.text} ({msg.location.get('url', '')})")
                if msg.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda error: report.console_errors.append(f"uncaught {error}"))

        page.goto(base_url + page_path, wait_until="load")
        report.broken_images = page.evaluate(_DECODE_IMAGES)
        _settle(page, in_flight)
        for href, url in page.evaluate(_LINKS):
            problem = link_problem(href, url, base_url, root)
            if problem is not None and problem not in report.dead_links:
                report.dead_links.append(problem)
        report.bytes_loaded = int(page.evaluate(_BYTES_LOADED))
        for resp in images:
            problem = image_problem(resp.body(), resp.headers.get("content-type", ""))
            if problem is not None:
                report.broken_images.append(f"{resp.url}: {problem}")
    finally:
        context.close()
    return report


# -- readers with other needs -------------------------------------------------------------

#: The pages' viewports: a laptop screen, and a phone (an iPhone 12 to 15's CSS size).
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

#: axe-core's rules for WCAG 2.0 and 2.1, levels A and AA. "label-content-name-mismatch"
#: (WCAG 2.5.3, label in name) is among them but marked experimental, so off by default.
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "rules": {"label-content-name-mismatch": {"enabled": True}},
    "resultTypes": ["violations"],
}


#: axe-core's rules that compute the contrast of each piece of text: most of a run's
#: time on a page of long examples (3,000 highlighted tokens, 4.6 s of axe in all).
COLOUR_RULES = ("color-contrast", "link-in-text-block")

#: The attribute of the sample blocks :func:`axe_violations` adds to a page for a moment.
SAMPLE = "data-calhouse-sample"

# In code and output blocks, each element that holds text (no child elements) is
# keyed by what its contrast depends on: its colour, the first background behind it
# within its block, its size, weight, opacity and shadow. For the first element of
# each key, a sample is added after its block: a copy of the block holding only that
# element, with the same ancestors (so the same styles apply). A block's own text,
# outside any element, is sampled as the block's first look.
_ADD_SAMPLES = """
(attribute) => {
  const seen = new Set();
  const sample = (block, element, copy) => {
    for (let e = element.parentElement; e !== block.parentElement; e = e.parentElement) {
      const parent = e.cloneNode(false);
      parent.appendChild(copy);
      copy = parent;
    }
    copy.setAttribute(attribute, "");
    block.after(copy);
  };
  for (const block of document.querySelectorAll("div.highlight")) {
    for (const element of [block.querySelector("pre"), ...block.querySelectorAll("pre *")]) {
      if (!element || (element.tagName !== "PRE" && element.childElementCount)) continue;
      let background = "";
      for (let e = element; e !== block.parentElement && !background; e = e.parentElement) {
        const color = getComputedStyle(e).backgroundColor;
        if (color !== "transparent" && color !== "rgba(0, 0, 0, 0)") background = color;
      }
      const style = getComputedStyle(element);
      const key = [element.tagName === "PRE", style.color, background, style.fontSize,
                   style.fontWeight, style.opacity, style.textShadow].join("|");
      if (seen.has(key)) continue;
      seen.add(key);
      if (element.tagName === "PRE") {
        const text = Array.from(element.childNodes).find((n) => n.nodeType === 3 && n.textContent.trim());
        if (!text) continue;
        const pre = element.cloneNode(false);
        pre.textContent = text.textContent;
        sample(block, element, pre);
        continue;
      }
      sample(block, element, element.cloneNode(true));
    }
  }
}
"""


def axe_violations(page: Page) -> list[dict]:
    """axe-core's violations of :data:`AXE_OPTIONS` on the page as it is now.

    Two runs: every rule but :data:`COLOUR_RULES` on the whole page; then those
    rules on the page with its code and output blocks replaced by samples
    (:data:`SAMPLE`): each look of code the page shows (colour, background,
    size...) is checked once, instead of on each of its thousands of tokens
    (a run takes a third of the time). The samples are removed after.
    """
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    off = {rule: {"enabled": False} for rule in COLOUR_RULES}
    others = {**AXE_OPTIONS, "rules": {**AXE_OPTIONS["rules"], **off}}
    violations: list[dict] = axe.run(page, options=others).response["violations"]
    colours = {
        "runOnly": {"type": "rule", "values": list(COLOUR_RULES)},
        "resultTypes": ["violations"],
    }
    page.evaluate(_ADD_SAMPLES, SAMPLE)
    try:
        context = {"exclude": [[f"div.highlight:not([{SAMPLE}])"]]}
        colour_run = axe.run(page, context=context, options=colours)
    finally:
        page.evaluate(
            "(a) => document.querySelectorAll(`[${a}]`).forEach((e) => e.remove())", SAMPLE
        )
    return violations + colour_run.response["violations"]


def describe_violations(violations: list[dict], nodes: int = 3) -> list[str]:
    """One line per violation and per element (the first few), for a failure message."""
    lines = []
    for violation in violations:
        lines.append(
            f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])} elements): "
            f"{violation['help']}"
        )
        for node in violation["nodes"][:nodes]:
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    {' '.join(map(str, node['target']))}: {summary[:300]}")
    return lines


_LINES_OUT_OF_SIGHT = """
() => Array.from(document.querySelectorAll("pre"))
  .filter((pre) => pre.offsetParent !== null && pre.scrollWidth > pre.clientWidth + 1)
  .map((pre) => {
    const longest = pre.textContent.split("\\n").reduce((a, b) => (b.length > a.length ? b : a), "");
    const where = pre.closest("div[class*=highlight], pre").className || "pre";
    return `${where}: ${pre.scrollWidth - pre.clientWidth} px out of sight: ${longest.trim().slice(0, 100)}`;
  })
"""


def lines_out_of_sight(page: Page) -> list[str]:
    """The code and output blocks whose lines do not fit and scroll sideways, one line each."""
    return page.evaluate(_LINES_OUT_OF_SIGHT)


_SMALL_PRINT = """
() => {
  const sizes = [];
  const walker = document.createTreeWalker(document.querySelector("article") || document.body,
                                           NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const parent = walker.currentNode.parentElement;
    if (walker.currentNode.textContent.trim() && parent && parent.offsetParent !== null) {
      sizes.push(parseFloat(getComputedStyle(parent).fontSize));
    }
  }
  return Math.min(...sizes);
}
"""


def small_print_px(page: Page) -> float:
    """The page's small print: the smallest size of any text its article shows, in CSS pixels."""
    return float(page.evaluate(_SMALL_PRINT))


_FIGURES = """
() => Array.from(document.querySelectorAll("article img.sphx-glr-single-img"), (img) => {
  const link = img.closest("a");
  return {
    src: img.getAttribute("src"),
    alt: img.getAttribute("alt"),
    attributes: img.getAttributeNames(),
    natural_width: img.naturalWidth,
    shown_width: img.getBoundingClientRect().width,
    link: link ? link.href : null,
  };
})
"""


def figures_shown(page: Page) -> list[dict]:
    """The gallery figures of a page: file, alt text, natural and shown width, link target."""
    return page.evaluate(_FIGURES)
