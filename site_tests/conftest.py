"""Fixtures of the browser tests: the built site, served on loopback, and Chromium.

The site is ``CALHOUSE_SITE`` (nox sets it), else docs/_build/html; build it first
with ``nox -s docs``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sitecheck
from playwright.sync_api import Browser, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(os.environ.get("CALHOUSE_SITE", ROOT / "docs" / "_build" / "html")).resolve()
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))

# Two workers per core share the machine (nox -s site): what a page shows may take
# longer to appear than Playwright's default 5 s for an assertion to come true.
expect.set_options(timeout=30_000)

#: Weight of each page checked, for the summary at the end of the run.
PAGE_WEIGHTS: dict[str, int] = {}


def built_pages() -> list[str]:
    """The pages of the built site (one placeholder when there is none, so that it fails)."""
    if not (SITE / "index.html").is_file():
        return ["index.html"]
    return sitecheck.site_pages(SITE)


@pytest.fixture(scope="session")
def site() -> Path:
    """The built site's directory."""
    if not (SITE / "index.html").is_file():
        pytest.fail(f"{SITE}: no built site there (no index.html); build it with `nox -s docs`")
    return SITE


@pytest.fixture(scope="session")
def base_url(site: Path) -> Iterator[str]:
    """The built site served on 127.0.0.1."""
    with sitecheck.serve(site) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium, for the whole run."""
    with sync_playwright() as playwright:
        browser = sitecheck.launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    """A page in a fresh context that may reach the site only; other origins are blocked."""
    context = browser.new_context(color_scheme="light", service_workers="block")
    remote: list[str] = []

    def route(route: object) -> None:
        if sitecheck.is_same_origin(route.request.url, base_url):
            route.continue_()
        else:
            remote.append(route.request.url)
            route.abort("blockedbyclient")

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"uncaught {error}"))
    yield page
    context.close()
    assert not remote, f"requests to other origins: {remote}"
    assert not errors, f"console errors: {errors}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Grouped tests first: a group runs on one worker, one test after another, and the
    reader's venv (installed, then used by three tests) is the longest such chain; started
    last, it would keep one worker busy while the other has nothing left to do."""
    items.sort(key=lambda item: item.get_closest_marker("xdist_group") is None)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On a worker of pytest-xdist: hand the pages' weights to the controller."""
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["page_weights"] = json.dumps(PAGE_WEIGHTS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:  # noqa: ARG001
    """On the controller of pytest-xdist: gather the weights a worker measured."""
    output = getattr(node, "workeroutput", {})
    PAGE_WEIGHTS.update(json.loads(output.get("page_weights", "{}")))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how heavy the heaviest pages are."""
    if not PAGE_WEIGHTS:
        return
    heaviest = sorted(PAGE_WEIGHTS.items(), key=lambda item: -item[1])[:3]
    terminalreporter.write_line(
        f"{len(PAGE_WEIGHTS)} pages checked; heaviest with everything they load (budget "
        f"{sitecheck.MAX_PAGE_BYTES:,} bytes): "
        + ", ".join(f"{name} {weight:,}" for name, weight in heaviest)
    )
