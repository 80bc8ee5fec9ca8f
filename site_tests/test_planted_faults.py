"""Faults planted in a copy of the built site: the checks must catch each one.

Each test copies the real built site, damages the copy in one way, and shows that
the checker reports that damage by name. Some run the browser tests themselves
(``test_page_is_clean``, and the accessibility test for a page with an unnamed
link) on a damaged copy and the build comparison on a changed one, and show that
the test command fails. (A figure in colours that merge for a colour-blind
reader fails the build itself: test_figure_checks.py.)
"""

from __future__ import annotations

import io
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import compare_builds
import pytest
import sitecheck
from conftest import ROOT
from playwright.sync_api import Browser

sys.path.insert(0, str(ROOT / "docs"))
import build_checks

HERE = Path(__file__).resolve().parent
FIGURE = "_images/sphx_glr_plot_01_data_001.png"
THUMBNAIL = "_images/sphx_glr_plot_01_data_thumb.png"


@pytest.fixture
def copy(site: Path, tmp_path: Path) -> Path:
    """A private copy of the built site, to damage."""
    target = tmp_path / "site"
    shutil.copytree(site, target, ignore=shutil.ignore_patterns(".doctrees"))
    return target


@pytest.fixture
def copy_url(copy: Path) -> Iterator[str]:
    """The copy served on loopback."""
    with sitecheck.serve(copy) as url:
        yield url


def plant(page: Path, html: str) -> None:
    """Insert HTML at the start of a page's body."""
    text = page.read_text(encoding="utf-8")
    assert "<body" in text
    head, _, rest = text.partition("<body")
    tag_end = rest.index(">") + 1
    page.write_text(head + "<body" + rest[:tag_end] + html + rest[tag_end:], encoding="utf-8")


def noise_png(width: int, height: int) -> bytes:
    """A valid PNG of random pixels (it does not compress: about 3 bytes a pixel)."""
    rng = random.Random(0)
    rows = b"".join(b"\0" + rng.randbytes(3 * width) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 1))
        + chunk(b"IEND", b"")
    )


def test_an_undamaged_copy_is_clean(browser: Browser, copy: Path, copy_url: str) -> None:
    # The control: what the other tests find comes from what they plant.
    for page in ("index.html", "auto_examples/plot_01_data.html", "auto_examples/index.html"):
        assert sitecheck.check_page(browser, copy_url, copy, page).problems() == []


def test_a_script_from_another_origin_is_blocked_and_reported(
    browser: Browser, copy: Path, copy_url: str
) -> None:
    url = "https://cdn.example.com/jquery-3.7.1.min.js"
    plant(copy / "index.html", f'<script src="{url}"></script>')
    report = sitecheck.check_page(browser, copy_url, copy, "index.html")
    assert report.remote_requests == [url]
    assert f"request to another origin (blocked): {url}" in report.problems()
    # The docs build's own scan of its output finds it too (and fails the build).
    assert build_checks.remote_loads_in_site(copy) == [f"index.html: <script src> loads {url}"]


def test_images_and_styles_from_another_origin_are_reported(
    browser: Browser, copy: Path, copy_url: str
) -> None:
    image = "https://images.example.org/logo.png"
    style = "//fonts.example.net/css?family=Inter"
    plant(copy / "data.html", f'<link rel="stylesheet" href="{style}"><img src="{image}">')
    report = sitecheck.check_page(browser, copy_url, copy, "data.html")
    assert sorted(report.remote_requests) == sorted([image, "http:" + style])
    assert image in report.broken_images  # blocked, so it does not show either


def test_a_figure_that_does_not_decode_is_reported(
    browser: Browser, copy: Path, copy_url: str
) -> None:
    (copy / FIGURE).write_bytes(b"this is not a PNG")
    report = sitecheck.check_page(browser, copy_url, copy, "auto_examples/plot_01_data.html")
    assert f"../{FIGURE}" in report.broken_images
    assert any(line.startswith("image does not decode") for line in report.problems())


def test_a_truncated_thumbnail_is_reported(browser: Browser, copy: Path, copy_url: str) -> None:
    # Its header survives: the browser still knows its size and shows its upper part.
    thumbnail = copy / THUMBNAIL
    thumbnail.write_bytes(thumbnail.read_bytes()[:3000])
    report = sitecheck.check_page(browser, copy_url, copy, "auto_examples/index.html")
    assert any(THUMBNAIL in b and "truncated" in b for b in report.broken_images), report


def test_dead_links_and_anchors_are_reported(browser: Browser, copy: Path, copy_url: str) -> None:
    plant(
        copy / "install.html",
        '<a href="auto_examples/plot_99_missing.html">gone</a>'
        '<a href="api.html#no-such-section">nowhere</a>'
        '<a href="data.html#">top</a>',
    )
    report = sitecheck.check_page(browser, copy_url, copy, "install.html")
    assert report.dead_links == [
        "auto_examples/plot_99_missing.html: no such file auto_examples/plot_99_missing.html",
        "api.html#no-such-section: no id 'no-such-section' in api.html",
    ]


def test_a_missing_stylesheet_and_console_errors_are_reported(
    browser: Browser, copy: Path, copy_url: str
) -> None:
    plant(
        copy / "api.html",
        '<link rel="stylesheet" href="_static/missing.css">'
        '<script>console.error("planted error")</script>'
        "<script>notAFunction()</script>",
    )
    report = sitecheck.check_page(browser, copy_url, copy, "api.html")
    assert any("_static/missing.css: HTTP 404" in r for r in report.failed_requests)
    assert any("planted error" in e for e in report.console_errors)
    assert any("uncaught" in e and "notAFunction" in e for e in report.console_errors)


def test_a_page_over_the_weight_budget_is_reported(
    browser: Browser, copy: Path, copy_url: str
) -> None:
    (copy / "_images" / "heavy.png").write_bytes(noise_png(1000, 600))  # about 1.8 MB
    plant(copy / "index.html", '<img src="_images/heavy.png" alt="">')
    report = sitecheck.check_page(browser, copy_url, copy, "index.html")
    assert report.broken_images == []
    assert report.bytes_loaded > 1_800_000 + 500_000  # the image and the theme's files
    assert any("over the budget of 1,500,000" in line for line in report.problems())


def _run_pytest(copy: Path, tests: list[str]) -> subprocess.CompletedProcess[str]:
    """The test command itself, on the planted copy of the site.

    Without CI set, pytest shortens its summary, so that each message is shown once.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "BUILD_NUMBER")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *tests],
        env={**env, "CALHOUSE_SITE": str(copy)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_browser_test_fails_on_a_damaged_site(copy: Path) -> None:
    """The test command itself (pytest on test_site.py) fails, naming each fault."""
    plant(copy / "index.html", '<script src="https://cdn.example.com/x.js"></script>')
    (copy / FIGURE).write_bytes(b"not a PNG")
    plant(copy / "install.html", '<a href="auto_examples/plot_99_missing.html">gone</a>')
    pages = ["index.html", "install.html", "auto_examples/plot_01_data.html", "data.html"]
    result = _run_pytest(
        copy, [f"{HERE / 'test_site.py'}::test_page_is_clean[{page}]" for page in pages]
    )
    out = result.stdout
    assert result.returncode == 1, out[-3000:]
    assert "3 failed, 1 passed" in out, out[-3000:]
    assert "request to another origin (blocked): https://cdn.example.com/x.js" in out
    assert f"image does not decode: ../{FIGURE}" in out
    assert "dead link: auto_examples/plot_99_missing.html" in out


UNNAMED_LINK = f'<a href="data.html"><img src="{THUMBNAIL}" alt=""></a>'


def test_an_unnamed_link_is_reported_by_axe(browser: Browser, copy: Path, copy_url: str) -> None:
    # An image link whose image has no alt text: a screen reader has nothing to say for it.
    plant(copy / "install.html", UNNAMED_LINK)
    page = browser.new_page()
    try:
        page.goto(copy_url + "install.html", wait_until="load")
        violations = sitecheck.axe_violations(page)
        page.goto(copy_url + "data.html", wait_until="load")
        assert sitecheck.axe_violations(page) == []  # the control
    finally:
        page.close()
    assert [v["id"] for v in violations] == ["link-name"]
    (node,) = violations[0]["nodes"]
    assert node["html"].startswith('<a href="data.html">')
    assert sitecheck.describe_violations(violations)[0].startswith(
        "link-name (serious, 1 elements)"
    )


def test_faint_code_is_reported_by_axe_once_per_look(
    browser: Browser, copy: Path, copy_url: str
) -> None:
    # Keywords too faint on the code's background: axe checks a sample of each look of
    # code (sitecheck.SAMPLE), and must still find them.
    page_path = "auto_examples/plot_01_data.html"
    plant(copy / page_path, "<style>div.highlight .k { color: #d8d8d8 !important; }</style>")
    page = browser.new_page(color_scheme="light")
    try:
        page.goto(copy_url + page_path, wait_until="load")
        keywords = page.locator("div.highlight .k").count()
        violations = sitecheck.axe_violations(page)
        left = page.locator(f"[{sitecheck.SAMPLE}]").count()
    finally:
        page.close()
    assert keywords > 10
    assert [v["id"] for v in violations] == ["color-contrast"]
    (node,) = violations[0]["nodes"]  # one look of keyword: one element reported
    assert node["html"].startswith('<span class="k">')
    assert left == 0  # the page is left as it was


def test_a_line_too_long_for_the_column_is_reported(
    browser: Browser, copy: Path, copy_url: str
) -> None:
    plant(copy / "api.html", "<pre>" + "x = 1  # " + "a long comment " * 20 + "</pre>")
    page = browser.new_page(viewport=sitecheck.DESKTOP)
    try:
        page.goto(copy_url + "api.html", wait_until="load")
        (line,) = sitecheck.lines_out_of_sight(page)
    finally:
        page.close()
    assert re.fullmatch(r"pre: \d+ px out of sight: x = 1  # a long comment .*", line)


def test_the_reader_tests_fail_on_a_page_with_an_unnamed_link(copy: Path) -> None:
    """The test command itself fails for the planted page, in both modes, naming the rule."""
    plant(copy / "install.html", UNNAMED_LINK)
    test = HERE / "test_readers.py"
    result = _run_pytest(
        copy,
        [
            f"{test}::test_a_page_has_no_accessibility_violations[{page}-{mode}]"
            for page, mode in [
                ("install.html", "light"),
                ("install.html", "dark"),
                ("data.html", "light"),
            ]
        ],
    )
    out = result.stdout
    assert result.returncode == 1, out[-3000:]
    assert "2 failed, 1 passed" in out, out[-3000:]
    assert "install.html, light mode, axe-core WCAG 2.1 A and AA:" in out
    assert "install.html, dark mode, axe-core WCAG 2.1 A and AA:" in out
    assert out.count("link-name (serious, 1 elements): Links must have discernible text") == 2


def _rezip_with_time(path: Path, date_time: tuple[int, ...]) -> None:
    with zipfile.ZipFile(path) as archive:
        entries = [(info, archive.read(info)) for info in archive.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info, data in entries:
            info.date_time = date_time
            archive.writestr(info, data)
    path.write_bytes(buffer.getvalue())


def test_the_build_comparison_names_each_difference(site: Path, copy: Path) -> None:
    page = "auto_examples/plot_03_input_attributions.html"
    lines = (copy / page).read_text(encoding="utf-8").splitlines(keepends=True)
    changed = next(i for i, line in enumerate(lines) if "<h1>" in line)
    lines[changed] = lines[changed].replace("<h1>", "<h1>Built at 12:34 ")
    (copy / page).write_text("".join(lines), encoding="utf-8")
    archive = next(copy.glob("_downloads/*/plot_03_input_attributions.zip"))
    _rezip_with_time(archive, (2030, 1, 2, 3, 4, 6))
    (copy / "_images" / "sphx_glr_plot_04_conductance_001.png").unlink()

    problems, _ = compare_builds.compare(site, copy)
    assert len(problems) == 3, problems
    assert problems[0] == "_images/sphx_glr_plot_04_conductance_001.png: only in " + str(site)
    assert problems[1].startswith(f"{archive.relative_to(copy).as_posix()}: zip differs: ")
    assert "date_time" in problems[1]
    assert "(2030, 1, 2, 3, 4, 6)" in problems[1]
    assert problems[2].startswith(f"{page}: differs from line {changed + 1}\n")
    assert "+" in problems[2]
    assert "Built at 12:34" in problems[2]

    result = subprocess.run(
        [sys.executable, str(HERE / "compare_builds.py"), str(site), str(copy)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "The two builds differ in 3 file(s)" in result.stderr


def test_the_build_comparison_passes_identical_builds(site: Path, copy: Path) -> None:
    problems, same = compare_builds.compare(site, copy)
    assert problems == []
    assert same > 100
