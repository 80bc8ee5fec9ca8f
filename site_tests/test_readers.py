"""The built site for every reader: accessible, readable on a laptop and a phone, copyable, findable.

* axe-core's WCAG 2.1 A and AA rules pass on every page, in light and in dark mode,
  and on a phone for the landing page and the examples.
* On a laptop (1366 x 900) no code or output line scrolls sideways, and every
  figure shows its text no smaller than the page's small print; on a phone
  (390 x 844) nothing runs off the screen and every figure opens full size.
* Every figure on a page is one the build checked (``docs/figure_checks.py``:
  alt text, colours for colour-blind readers, text size), with that alt text.
* Copy buttons copy code without prompts or output; search puts the example
  that teaches a method first; the site carries its address, a sitemap, link
  previews, a description and an icon.
"""

from __future__ import annotations

import contextlib
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import sitecheck
from conftest import EXAMPLES, ROOT, built_pages
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

sys.path.insert(0, str(ROOT / "docs"))
import build_checks
import figure_checks
import gallery_hooks

EXAMPLE_NAMES = [p.stem for p in EXAMPLES]
MODES = ("light", "dark")


def example_page(name: str) -> str:
    return f"auto_examples/{name}.html"


@pytest.fixture(scope="session")
def reader(browser: Browser, base_url: str) -> Iterator[Callable[..., Page]]:
    """A page for a colour scheme and a viewport, reused across tests (first visits are tested
    in test_site.py); other origins are blocked."""
    pages: dict[tuple[str, int], Page] = {}

    def route(route: object) -> None:
        if sitecheck.is_same_origin(route.request.url, base_url):
            route.continue_()
        else:
            route.abort("blockedbyclient")

    def get(mode: str = "light", viewport: dict[str, int] = sitecheck.DESKTOP) -> Page:
        key = (mode, viewport["width"])
        if key not in pages:
            context = browser.new_context(
                color_scheme=mode, viewport=viewport, service_workers="block"
            )
            context.route("**/*", route)
            pages[key] = context.new_page()
        return pages[key]

    yield get
    for page in pages.values():
        page.context.close()


# -- accessibility -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("page_path", built_pages())
def test_a_page_has_no_accessibility_violations(
    reader: Callable[..., Page], base_url: str, page_path: str, mode: str
) -> None:
    page = reader(mode)
    page.goto(base_url + page_path, wait_until="load")
    assert page.evaluate("document.documentElement.dataset.theme") == mode
    violations = sitecheck.axe_violations(page)
    assert not violations, f"{page_path}, {mode} mode, axe-core WCAG 2.1 A and AA:\n" + "\n".join(
        sitecheck.describe_violations(violations)
    )


@pytest.mark.parametrize("page_path", ["index.html", *map(example_page, EXAMPLE_NAMES)])
def test_a_page_on_a_phone_has_no_accessibility_violations(
    reader: Callable[..., Page], base_url: str, page_path: str
) -> None:
    # The theme's header and menus change on a narrow screen; what they hold does not.
    page = reader("light", sitecheck.PHONE)
    page.goto(base_url + page_path, wait_until="load")
    violations = sitecheck.axe_violations(page)
    assert not violations, f"{page_path}, on a phone:\n" + "\n".join(
        sitecheck.describe_violations(violations)
    )


# -- a laptop and a phone -----------------------------------------------------------------------


@pytest.mark.parametrize("page_path", built_pages())
def test_no_code_or_output_line_scrolls_sideways_on_a_laptop(
    reader: Callable[..., Page], base_url: str, page_path: str
) -> None:
    page = reader()
    page.goto(base_url + page_path, wait_until="load")
    assert sitecheck.lines_out_of_sight(page) == []


@pytest.fixture(scope="session")
def figure_records() -> dict[str, dict]:
    """What the build measured of each figure (``figure_checks``), by image file name."""
    runs = gallery_hooks.read_runs(ROOT / "docs" / "auto_examples")
    return {figure["image"]: figure for run in runs for figure in run.figures}


def _file_name(url: str) -> str:
    return Path(unquote(urlsplit(url).path)).name


def _text_px(record: dict, shown_width: float, natural_width: float) -> float:
    """The height of a figure's smallest text as shown, in CSS pixels."""
    return record["smallest_text_points"] * record["dpi"] / 72 * shown_width / natural_width


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_figures_show_their_alt_text_and_readable_text_on_a_laptop(
    reader: Callable[..., Page], base_url: str, name: str, figure_records: dict[str, dict]
) -> None:
    page = reader()
    page.goto(base_url + example_page(name), wait_until="load")
    figures = sitecheck.figures_shown(page)
    expected = sorted(image for image in figure_records if image.startswith(f"sphx_glr_{name}_"))
    assert sorted(_file_name(f["src"]) for f in figures) == expected, "figures the build checked"
    small_print = sitecheck.small_print_px(page)
    for figure in figures:
        image = _file_name(figure["src"])
        record = figure_records[image]
        assert figure["alt"] == record["alt"], image
        assert figure_checks.alt_text_problem(figure["alt"], image) is None
        assert set(figure["attributes"]) == {"alt", "class", "src"}, f"{image}: stray attributes"
        assert figure["link"], f"{image} does not open full size"
        assert _file_name(figure["link"]) == image
        text = _text_px(record, figure["shown_width"], figure["natural_width"])
        assert text >= small_print, (
            f"{image}: its smallest text shows {text:.1f} px high at {figure['shown_width']:.0f} "
            f"of its {figure['natural_width']} px, under the page's small print of {small_print} px"
        )


@pytest.mark.parametrize("page_path", ["index.html", *map(example_page, EXAMPLE_NAMES)])
def test_on_a_phone_nothing_runs_off_the_screen_and_figures_open_full_size(
    reader: Callable[..., Page], base_url: str, page_path: str, figure_records: dict[str, dict]
) -> None:
    page = reader("light", sitecheck.PHONE)
    page.goto(base_url + page_path, wait_until="load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= sitecheck.PHONE["width"], f"the page is {width} px wide"
    small_print = sitecheck.small_print_px(page)
    for figure in sitecheck.figures_shown(page):
        image = _file_name(figure["src"])
        assert figure["link"], f"{image} does not open full size"
        response = page.request.get(figure["link"])
        assert response.ok
        assert response.headers["content-type"] == "image/png"
        assert response.body() == page.request.get(base_url + f"_images/{image}").body()
        # Opened, it shows at its natural size.
        text = _text_px(figure_records[image], figure["natural_width"], figure["natural_width"])
        assert text >= small_print, f"{image}: {text:.1f} px text at full size"


def test_every_figure_passed_the_colour_check(figure_records: dict[str, dict]) -> None:
    """The build fails for a figure whose series colours merge; here, that it looked at them."""
    assert len(figure_records) >= len(EXAMPLE_NAMES)
    assert figure_checks.figure_problems(figure_records.values()) == []
    compared = 0
    for image, record in figure_records.items():
        for pair in record["color_pairs"]:
            assert set(pair["delta_e"]) == set(figure_checks.VISIONS), image
            closest = min(pair["delta_e"].values())
            assert closest >= figure_checks.MIN_DELTA_E, (image, pair)
            compared += 1
    assert compared >= 20, "the build compared few series colours: is the scraper in use?"


# -- copying code ------------------------------------------------------------------------------------


@pytest.fixture
def clipboard_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    yield context.new_page()
    context.close()


def _copy(page: Page, pre: object) -> str:
    page.evaluate("() => navigator.clipboard.writeText('')")
    button = pre.locator("xpath=following-sibling::button[contains(@class, 'copybtn')]")
    button.evaluate("(b) => b.scrollIntoView({block: 'center'})")  # clear of the sticky header
    button.click()
    page.wait_for_function("async () => (await navigator.clipboard.readText()) !== ''")
    return page.evaluate("() => navigator.clipboard.readText()")


def test_code_cells_have_copy_buttons_and_output_has_none(
    clipboard_page: Page, base_url: str
) -> None:
    page = clipboard_page
    page.goto(base_url + example_page("plot_02_model_training"), wait_until="load")
    code = page.locator("div.highlight-Python > div.highlight > pre")
    output = page.locator("div.sphx-glr-script-out pre")
    expect(code.first).to_be_visible()
    buttons = "(pre) => pre.nextElementSibling && pre.nextElementSibling.matches('button.copybtn')"
    assert code.count() >= 3
    assert all(code.evaluate_all(f"(pres) => pres.map({buttons})"))
    assert output.count() >= 1
    assert not any(output.evaluate_all(f"(pres) => pres.map({buttons})"))
    first = code.first
    assert _copy(page, first) == first.inner_text().rstrip("\n")


def test_the_install_commands_copy_without_prompts(clipboard_page: Page, base_url: str) -> None:
    page = clipboard_page
    page.goto(base_url + "install.html", wait_until="load")
    block = page.locator("pre.literal-block", has_text="py3-none-any.whl").first
    copied = _copy(page, block)
    assert re.search(
        r"^pip install -c constraints.txt calhouse-[\w.]+-py3-none-any.whl$", copied, re.MULTILINE
    )
    assert not re.search(r"^\$ ", copied, re.MULTILINE)


def test_a_docstring_example_copies_its_code_without_prompts_or_output(
    clipboard_page: Page, base_url: str, site: Path
) -> None:
    pages = [p for p in built_pages() if p.startswith("generated/")]
    with_prompts = [p for p in pages if 'class="gp"' in (site / p).read_text(encoding="utf-8")]
    assert with_prompts, "no API page shows a >>> example"
    page = clipboard_page
    page.goto(base_url + with_prompts[0], wait_until="load")
    pre = page.locator("pre", has=page.locator("span.gp")).first
    outputs = pre.locator("span.go").all_inner_texts()
    copied = _copy(page, pre)
    assert copied.strip()
    assert not re.search(r"^(>>>|\.\.\.) ", copied, re.MULTILINE)
    for line in outputs:
        assert line.strip() not in copied.splitlines(), f"output copied: {line!r}"


# -- search ------------------------------------------------------------------------------------------


# Sphinx's search shows "found" once its list is out, and then fetches each listed page
# to make its snippet (p.context); a result for an object (an API entry) gets its
# description (a span) instead. Read the snippets only when every result has one or the
# other: on a busy machine some are still on their way when "found" shows.
_SNIPPETS_DONE = """
() => Array.from(document.querySelectorAll("#search-results ul.search li"))
  .every((li) => li.querySelector(":scope > p.context, :scope > span"))
"""


def _results(
    page: Page, base_url: str, query: str, *, snippets: bool = False
) -> list[tuple[str, str]]:
    """The search results for a query, in order: (page path with anchor, snippet).

    ``snippets``: wait until every result has its snippet or description
    (:data:`_SNIPPETS_DONE`), else a snippet may still be on its way ("").
    """
    page.goto(base_url + f"search.html?q={query}")
    expect(page.locator("#search-results .search-summary")).to_contain_text("found", timeout=30_000)
    if snippets:
        # A page whose text gives no snippet never gets one: then read what came.
        with contextlib.suppress(PlaywrightTimeoutError):
            page.wait_for_function(_SNIPPETS_DONE, timeout=30_000)
    items = page.locator("#search-results ul.search li")
    return [
        (
            item.locator("a").first.get_attribute("href"),
            (item.locator("p.context").all_inner_texts() or [""])[0],
        )
        for item in items.all()
    ]


def first_caller(method: str) -> str:
    """The first example, in reading order, whose code calls a Captum class by that name."""
    for path in EXAMPLES:
        source = build_checks.without_hidden_code(path.read_text(encoding="utf-8"))
        if re.search(rf"(?<![\w.]){method}\(", source):
            return example_page(path.stem)
    raise AssertionError(f"no example calls {method}")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("DeepLift", first_caller("DeepLift")),
        ("Integrated Gradients", first_caller("IntegratedGradients")),
        ("IntegratedGradients", first_caller("IntegratedGradients")),
        ("conductance", first_caller("LayerConductance")),
        ("baseline", example_page("plot_05_baselines")),  # "Which baseline?"
        ("load_california", "generated/calhouse.load_california.html"),  # an API name: its page
    ],
)
def test_search_ranks_the_page_that_teaches_it_first(
    page: Page, base_url: str, query: str, expected: str
) -> None:
    results = _results(page, base_url, query)
    assert results, f"nothing found for {query!r}"
    first = urlsplit(results[0][0]).path
    assert first == expected, f"{query!r}: {[r[0] for r in results[:5]]}"


_RUN_TOGETHER = """
(snippet) => {
  // Words the page shows apart (in separate boxes, or split by generated text
  // such as numpydoc's " : " before a type) must not be joined in the snippet.
  const apart = (el) => getComputedStyle(el).display !== "inline"
    || !["none", "normal"].includes(getComputedStyle(el, "::before").content);
  const joined = [];
  for (const el of document.querySelectorAll("[role=main] *")) {
    const next = el.nextSibling;
    if (!(next instanceof Element) || !(apart(el) || apart(next))) continue;
    const left = el.textContent.split(/\\s/).pop();
    const right = next.textContent.split(/\\s/)[0];
    if (left && right && snippet.includes(left + right)) joined.push(left + right);
  }
  return joined;
}
"""


@pytest.mark.parametrize("query", ["baseline", "DeepLift"])
def test_search_snippets_keep_words_apart(page: Page, base_url: str, query: str) -> None:
    found = _results(page, base_url, query, snippets=True)
    results = [(href, text) for href, text in found if text][:12]
    assert len(results) >= 5
    problems = []
    for href, snippet in results:
        page.goto(base_url + href.split("#")[0], wait_until="load")
        joined = page.evaluate(_RUN_TOGETHER, snippet)
        problems += [f"{href}: {word!r}" for word in joined]
    assert not problems, "words run together in search snippets:\n" + "\n".join(problems)


# -- ready to publish -----------------------------------------------------------------------------


class _Head(HTMLParser):
    """The <meta> and <link> tags of a page, and the header's repository link."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self.repository: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta" and (a.get("property") or a.get("name")):
            self.meta[a.get("property") or a["name"]] = a.get("content", "")
        elif tag == "link" and a.get("rel"):
            self.links[a["rel"]] = a.get("href", "")
        elif tag == "a" and a.get("title") == "Repository":
            self.repository = a.get("href")


def _head(path: Path) -> _Head:
    parser = _Head()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


#: Pages without text of their own: no description, and not in the sitemap (nor are sources).
NO_TEXT = ("search.html", "genindex.html")


def test_the_site_knows_its_address_from_the_repository(site: Path) -> None:
    index = _head(site / "index.html")
    assert index.repository, "the header's repository link"
    base = build_checks.pages_url(index.repository)
    assert index.links["canonical"] == base + "index.html"
    pages = [p for p in sitecheck.site_pages(site) if p not in NO_TEXT]
    pages = [p for p in pages if not p.startswith("_modules/")]
    sitemap = ET.parse(site / "sitemap.xml").getroot()
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    listed = [loc.text for loc in sitemap.findall("s:url/s:loc", namespace)]
    assert sorted(listed) == sorted(base + p for p in pages)
    for path in pages:
        head = _head(site / path)
        assert head.links["canonical"] == base + path, path
        assert head.meta["og:url"] == base + path, path
        assert head.meta["og:title"], path
        description = head.meta.get("description", "")
        assert len(description.split()) >= 3, f"{path}: description {description!r}"
        assert head.meta["og:description"] == description, path
        assert not head.meta.get("og:image"), "no preview image (none is drawn)"


def test_pages_have_the_site_icon(reader: Callable[..., Page], base_url: str, site: Path) -> None:
    page = reader()
    for path in [
        "index.html",
        example_page(EXAMPLE_NAMES[0]),
        "generated/calhouse.load_california.html",
    ]:
        icon = _head(site / path).links["icon"]
        page.goto(base_url + path, wait_until="load")
        href = page.evaluate("() => document.querySelector('link[rel=icon]').href")
        response = page.request.get(href)
        assert response.ok, f"{path}: {icon}"
        assert response.headers["content-type"] == "image/svg+xml"
        assert ET.fromstring(response.body()).tag.endswith("svg")
