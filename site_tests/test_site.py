"""The built site in a real browser: every page, the downloads, search, theme, gallery, provenance."""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import io
import json
import os
import re
import sys
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
import sitecheck
from conftest import EXAMPLES, PAGE_WEIGHTS, ROOT, built_pages
from playwright.sync_api import Browser, Page, expect

sys.path.insert(0, str(ROOT / "docs"))
import build_checks

EXAMPLE_NAMES = [p.stem for p in EXAMPLES]


def downloaded_source(name: str) -> bytes:
    """An example as a reader downloads it: its source without the build's hidden checks."""
    source = (ROOT / "examples" / f"{name}.py").read_text(encoding="utf-8")
    return build_checks.without_hidden_code(source).encode("utf-8")


def example_page(name: str) -> str:
    return f"auto_examples/{name}.html"


# -- every page -------------------------------------------------------------------------------


def test_the_site_has_the_pages_a_reader_expects(site: Path) -> None:
    pages = set(sitecheck.site_pages(site))
    expected = {"index.html", "install.html", "data.html", "api.html", "search.html"}
    expected |= {"auto_examples/index.html", *map(example_page, EXAMPLE_NAMES)}
    assert expected <= pages, f"missing: {sorted(expected - pages)}"
    assert len(EXAMPLE_NAMES) >= 11


@pytest.mark.parametrize("page_path", built_pages())
def test_page_is_clean(browser: Browser, base_url: str, site: Path, page_path: str) -> None:
    """No console errors, nothing from other origins, images decode, links resolve, weight."""
    report = sitecheck.check_page(browser, base_url, site, page_path)
    PAGE_WEIGHTS[page_path] = report.bytes_loaded
    assert report.requests, "the page loaded nothing at all"
    assert not report.problems(), f"{page_path}:\n" + "\n".join(report.problems())


# -- downloads ------------------------------------------------------------------------------------


def _download_links(page: Page) -> dict[str, str]:
    """The page's download links, by the file extension of their target."""
    hrefs = page.eval_on_selector_all("a.download", "(links) => links.map((a) => a.href)")
    return {Path(urlsplit(h).path).suffix: h for h in hrefs}


def _fetch(page: Page, url: str) -> bytes:
    response = page.request.get(url)
    assert response.status == 200, f"{url}: HTTP {response.status}"
    return response.body()


def _code_lines(source: str) -> list[str]:
    """The lines of an example's code: after its docstring, not blank, not comments."""
    tree = ast.parse(source)
    start = tree.body[0].end_lineno if ast.get_docstring(tree) is not None else 0
    lines = source.splitlines()[start:]
    return [line.rstrip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _is_subsequence(needles: list[str], haystack: list[str]) -> bool:
    remaining = iter(haystack)
    return all(any(line == candidate for candidate in remaining) for line in needles)


def check_notebook(data: bytes, source: str) -> None:
    """A notebook in format 4, valid, whose code cells hold the example's code in order."""
    assert json.loads(data)["nbformat"] == 4
    notebook = nbformat.reads(data.decode("utf-8"), as_version=nbformat.NO_CONVERT)
    nbformat.validate(notebook)
    code = [
        line.rstrip()
        for cell in notebook.cells
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
    ]
    expected = _code_lines(source)
    assert expected, "the example has no code?"
    missing = [line for line in expected if line not in code]
    assert not missing, f"code lines missing from the notebook: {missing[:5]}"
    assert _is_subsequence(expected, code), "the notebook holds the code out of order"


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_an_example_downloads_as_script_notebook_and_zip(
    page: Page, base_url: str, name: str
) -> None:
    page.goto(base_url + example_page(name))
    links = _download_links(page)
    assert sorted(links) == [".ipynb", ".py", ".zip"], links
    source = downloaded_source(name)

    script = _fetch(page, links[".py"])
    assert script == source

    notebook = _fetch(page, links[".ipynb"])
    check_notebook(notebook, source.decode("utf-8"))

    with zipfile.ZipFile(io.BytesIO(_fetch(page, links[".zip"]))) as archive:
        assert sorted(archive.namelist()) == [f"{name}.ipynb", f"{name}.py"]
        assert archive.read(f"{name}.py") == source
        assert archive.read(f"{name}.ipynb") == notebook


def test_the_gallery_offers_every_example_in_two_zips(page: Page, base_url: str) -> None:
    page.goto(base_url + "auto_examples/index.html")
    hrefs = page.eval_on_selector_all("a.download", "(links) => links.map((a) => a.href)")
    zips = {Path(urlsplit(h).path).name: h for h in hrefs if h.endswith(".zip")}
    assert sorted(zips) == ["auto_examples_jupyter.zip", "auto_examples_python.zip"]
    with zipfile.ZipFile(io.BytesIO(_fetch(page, zips["auto_examples_python.zip"]))) as archive:
        assert sorted(archive.namelist()) == [f"{n}.py" for n in EXAMPLE_NAMES]
        for name in EXAMPLE_NAMES:
            assert archive.read(f"{name}.py") == downloaded_source(name)
    with zipfile.ZipFile(io.BytesIO(_fetch(page, zips["auto_examples_jupyter.zip"]))) as archive:
        assert sorted(archive.namelist()) == [f"{n}.ipynb" for n in EXAMPLE_NAMES]
        for name in EXAMPLE_NAMES:
            check_notebook(archive.read(f"{name}.ipynb"), downloaded_source(name).decode("utf-8"))


# -- search, theme, gallery ------------------------------------------------------------------------


def test_search_finds_the_conductance_example(page: Page, base_url: str) -> None:
    page.goto(base_url + "search.html?q=conductance")
    results = page.locator("#search-results ul.search li a")
    expect(results.first).to_be_visible(timeout=15_000)
    found = {
        urlsplit(href).path.removeprefix(urlsplit(base_url).path)
        for href in results.evaluate_all("(links) => links.map((a) => a.href)")
    }
    assert example_page("plot_04_conductance") in found, sorted(found)


def _theme(page: Page) -> tuple[str, str]:
    """The page's theme (html[data-theme]) and the background colour it renders."""
    theme, background = page.evaluate(
        "() => [document.documentElement.dataset.theme,"
        " getComputedStyle(document.body).backgroundColor]"
    )
    return theme, background


def _choose_mode(page: Page, mode: str) -> None:
    page.locator(".theme-switch-button:visible").first.click()
    page.locator(f".theme-change-button[data-mode={mode}]:visible").first.click()


def test_the_theme_switch_turns_pages_dark_and_back(page: Page, base_url: str) -> None:
    page.goto(base_url + "index.html")
    theme, light_background = _theme(page)
    assert theme == "light"  # the context prefers a light colour scheme

    _choose_mode(page, "dark")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    theme, dark_background = _theme(page)
    assert dark_background != light_background

    # The choice holds on the next page.
    page.goto(base_url + example_page("plot_01_data"))
    assert _theme(page) == ("dark", dark_background)

    _choose_mode(page, "light")
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    assert _theme(page) == ("light", light_background)


def _plain_quotes(text: str) -> str:
    # Page titles get typographic quotes (docutils' smartquotes), thumbnail titles do not.
    return text.translate(str.maketrans("\u2018\u2019\u201c\u201d", "''\"\""))


def _page_title(page: Page) -> str:
    return page.locator("article h1").first.evaluate(
        "(h1) => Array.from(h1.childNodes).filter((n) => n.nodeType === Node.TEXT_NODE)"
        ".map((n) => n.textContent).join('').trim()"
    )


@pytest.mark.parametrize(
    ("gallery", "expected"),
    [
        ("auto_examples/index.html", EXAMPLE_NAMES),
        ("index.html", EXAMPLE_NAMES[:4]),  # the tutorial's four, on the landing page
    ],
)
def test_gallery_thumbnails_show_and_link_to_their_pages(
    page: Page, base_url: str, gallery: str, expected: list[str]
) -> None:
    page.goto(base_url + gallery)
    thumbnails = page.locator(".sphx-glr-thumbcontainer")
    assert thumbnails.count() == len(expected)
    for i, name in enumerate(expected):
        thumbnail = thumbnails.nth(i)
        size = thumbnail.locator("img").evaluate("(img) => img.complete && img.naturalWidth")
        assert size, f"thumbnail {i} of {gallery} does not show"
        title = thumbnail.locator(".sphx-glr-thumbnail-title").inner_text().strip()
        with page.expect_navigation():
            thumbnail.click()
        assert urlsplit(page.url).path.endswith(example_page(name)), page.url
        assert _plain_quotes(_page_title(page)) == _plain_quotes(title)
        page.go_back()


# -- provenance --------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _called(source: str, function: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and (getattr(node.func, "attr", None) or getattr(node.func, "id", None)) == function
    ]


def expected_weights(source: str) -> dict[str, str]:
    """The shipped models an example loads by name, read from its code: ``models/<file>`` -> sha256."""
    import calhouse

    weights = {}
    for call in _called(source, "load_or_train_model"):
        spec = call.args[0] if call.args else None
        assert isinstance(spec, ast.Constant), "update this test: a model not named literally"
        path = Path(calhouse.MODELS[spec.value].path)
        weights[f"models/{path.name}"] = _sha256(path)
    return weights


def check_weights(shown: dict[str, str], source: str) -> None:
    """The listed weights: the named models, and for load_model calls files of models/."""
    expected = expected_weights(source)
    assert expected.items() <= shown.items()
    others = {name: digest for name, digest in shown.items() if name not in expected}
    if not _called(source, "load_model"):
        assert others == {}
        return
    assert others, "the example calls load_model: its files are listed"
    for name, digest in others.items():
        (found,) = (ROOT / "models").rglob(Path(name).name)
        assert _sha256(found) == digest, name


@pytest.fixture(scope="session")
def dataset_sha256() -> str:
    import calhouse

    return calhouse.load_california().sha256


def _provenance(page: Page) -> dict[str, str]:
    box = page.locator(".calhouse-provenance")
    expect(box).to_be_visible()
    expect(box.locator(".admonition-title")).to_have_text("Provenance")
    pairs = box.locator("dl.field-list > dt").evaluate_all(
        "(dts) => dts.map((dt) => [dt.textContent.replace(/:$/, '').trim(),"
        " dt.nextElementSibling.innerText.trim()])"
    )
    return dict(pairs)


def _files(text: str) -> dict[str, str]:
    return dict(re.findall(r"(\S+) sha256 ([0-9a-f]{64})", text))


def expected_statements(source: str) -> tuple[list[str], bool]:
    """The statements the example checks (``check(cond, "statement", ...)``), in order.

    Only when each call runs once is that exactly what its page lists; a call in
    a loop or comprehension may run more often (then False).
    """
    calls = sorted(_called(source, "check"), key=lambda call: (call.lineno, call.col_offset))
    assert all(isinstance(c.args[1], ast.Constant) for c in calls), "statements are literal text"
    loops = (ast.For, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
    in_loop = any(
        call in ast.walk(node)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, loops)
        for call in calls
    )
    return [c.args[1].value for c in calls], not in_loop


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_an_example_page_states_its_provenance(
    page: Page, base_url: str, name: str, dataset_sha256: str
) -> None:
    page.goto(base_url + example_page(name))
    shown = _provenance(page)
    for label, dist in [
        ("calhouse", "calhouse"),
        ("torch", "torch"),
        ("captum", "captum"),
        ("scikit-learn", "scikit-learn"),
    ]:
        assert shown[label] == importlib.metadata.version(dist), label

    source = (ROOT / "examples" / f"{name}.py").read_text(encoding="utf-8")
    weights = _files(shown["weights"])
    check_weights(weights, source)
    if not weights:
        assert "no model loaded" in shown["weights"]

    reads_data = _called(source, "load_split") or _called(source, "load_california")
    if not reads_data:  # a table of its own (make_friedman1), no download
        assert _called(source, "make_friedman1"), "an example reads the data or makes its own"
        assert shown["data"] == "none read"
        assert "dataset" not in shown
    else:
        raw = os.environ.get("CALHOUSE_DATA")
        if raw:
            assert _files(shown["data"]) == {Path(raw).name: _sha256(Path(raw))}
        assert shown["dataset"].split()[-1] == dataset_sha256

    statements, exactly = expected_statements(source)
    assert statements, "every example checks what its text says"
    match = re.fullmatch(
        r"(\d+) statements? of this page, true when it was built", shown["checked"]
    )
    assert match, shown["checked"]
    listed = page.locator(".calhouse-provenance details li").all_text_contents()
    assert int(match.group(1)) == len(listed)
    if exactly:
        assert listed == statements
    else:
        assert set(listed) == set(statements)
