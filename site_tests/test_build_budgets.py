"""The docs build's own checks, as its extensions wire them into Sphinx (with a stand-in app).

The checks themselves are tested in tests/test_docs_build.py; here, that their
findings fail the build: an example over budget, or one that drew a figure
unfit for its page, logs an error naming it and sets a failing exit status,
with or without -W; a page loading from another
host is a warning (an error under -W). And what needs the docs tools
(sphinx-gallery's parser, the build backend): the downloads lose their hidden
code, and the wheel is the same bytes when built twice.
"""

from __future__ import annotations

import io
import logging
import sys
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "docs"))
import build_checks
import gallery_hooks


def _app(tmp_path: Path, **config: object) -> SimpleNamespace:
    values = {
        "sphinx_gallery_conf": {"gallery_dirs": ["auto_examples"], "plot_gallery": True},
        "calhouse_example_max_seconds": 30,
        "calhouse_example_max_rss_bytes": 2 * 1024**3,
        **config,
    }
    return SimpleNamespace(
        config=SimpleNamespace(**values),
        srcdir=tmp_path,
        statuscode=0,
        outdir=tmp_path / "html",
        builder=SimpleNamespace(format="html"),
    )


def _gallery(tmp_path: Path, seconds: float) -> Path:
    gallery = tmp_path / "auto_examples"
    gallery.mkdir()
    (gallery / "plot_01_demo.py").write_text("# copy\n")
    run = gallery_hooks.ExampleRun(
        example="plot_01_demo.py",
        seconds=seconds,
        peak_rss_bytes=600 * 2**20,
        rss_method="VmHWM",
        rss_at_start_bytes=500 * 2**20,
    )
    run.write(gallery / "plot_01_demo.run.json")
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "index.html").write_text("<p>offline</p>")
    return gallery


def _build(app: SimpleNamespace, caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the extensions do in a build: budgets after the gallery, then the end."""
    with caplog.at_level(logging.INFO):
        gallery_hooks.check_budgets(app)
        gallery_hooks.check_figures(app)
        build_checks.finish_site(app, None)
        gallery_hooks.fail_if_over_budget(app, None)
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_an_example_over_budget_fails_the_build(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _gallery(tmp_path, seconds=31.2)
    app = _app(tmp_path)
    errors = [r.getMessage() for r in _build(app, caplog) if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].startswith("plot_01_demo.py ran for 31.2 s, over the budget of 30 s")
    assert app.statuscode == 1


def test_a_smaller_budget_from_the_command_line_applies(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _gallery(tmp_path, seconds=2.0)
    app = _app(tmp_path, calhouse_example_max_rss_bytes=512 * 2**20)  # -D ...=536870912
    errors = [r.getMessage() for r in _build(app, caplog) if r.levelno >= logging.ERROR]
    assert [e.split(" (")[0] for e in errors] == [
        "plot_01_demo.py took the build process's peak RSS to 600 MiB"
    ]
    assert app.statuscode == 1


def test_an_unfit_figure_fails_the_build_at_every_build(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Recorded when the example last ran: a build that does not run it again still fails.
    gallery = _gallery(tmp_path, seconds=2.0)
    run = gallery_hooks.ExampleRun.read(gallery / "plot_01_demo.run.json")
    problem = "figure 1 of plot_01_demo.py: it has no alt text: describe it"
    run.figures = [{"image": "sphx_glr_plot_01_demo_001.png", "problems": [problem]}]
    run.write(gallery / "plot_01_demo.run.json")
    app = _app(tmp_path)
    errors = [r.getMessage() for r in _build(app, caplog) if r.levelno >= logging.ERROR]
    assert errors == [problem]
    assert app.statuscode == 1


def test_a_fast_build_checks_no_budgets(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _gallery(tmp_path, seconds=31.2)  # from an earlier full build
    app = _app(
        tmp_path, sphinx_gallery_conf={"gallery_dirs": "auto_examples", "plot_gallery": False}
    )
    assert _build(app, caplog) == []
    assert app.statuscode == 0


def test_examples_within_budget_pass_and_their_downloads_are_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _gallery(tmp_path, seconds=2.0)
    folder = tmp_path / "html" / "_downloads" / "0a1b"
    folder.mkdir(parents=True)
    source = (
        "print(1)\n# sphinx_gallery_start_ignore\nfrom page_checks import check\n"
        "check(True, 'it holds')\n# sphinx_gallery_end_ignore\nprint(2)\n"
    )
    (folder / "plot_01_demo.py").write_text(source)
    with zipfile.ZipFile(folder / "plot_01_demo.zip", "w") as archive:
        archive.writestr(zipfile.ZipInfo("plot_01_demo.py", (2020, 5, 6, 7, 8, 10)), source)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    app = _app(tmp_path)
    assert _build(app, caplog) == []
    assert app.statuscode == 0
    assert (folder / "plot_01_demo.py").read_text() == "print(1)\nprint(2)\n"
    with zipfile.ZipFile(folder / "plot_01_demo.zip") as archive:
        assert archive.infolist()[0].date_time == (2026, 1, 1, 0, 0, 0)
        assert archive.read("plot_01_demo.py") == b"print(1)\nprint(2)\n"


def test_hidden_code_is_stripped_as_sphinx_gallery_strips_it() -> None:
    source = "a = 1\n    # sphinx_gallery_start_ignore\n    x()\n    # sphinx_gallery_end_ignore\nb = 2\n"
    assert build_checks.without_hidden_code(source) == "a = 1\nb = 2\n"
    assert build_checks.without_hidden_code("no hidden code\n") == "no hidden code\n"
    with pytest.raises(Exception, match="must have a matching"):
        build_checks.without_hidden_code("# sphinx_gallery_start_ignore\nx()\n")


def test_a_page_loading_from_another_host_fails_the_build(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = _app(tmp_path)
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "times.html").write_text(
        '<script src="https://code.jquery.com/jquery-3.7.0.js"></script>'
    )
    warnings = [r.getMessage() for r in _build(app, caplog)]
    expected = (
        "the site must work offline, but times.html: <script src> loads "
        "https://code.jquery.com/jquery-3.7.0.js"
    )
    assert warnings == [expected]


def test_the_wheel_is_built_reproducibly(tmp_path: Path) -> None:
    first = build_checks.write_site_downloads(ROOT, tmp_path / "a")
    second = build_checks.write_site_downloads(ROOT, tmp_path / "b")
    assert first.name == second.name == f"calhouse-{_version()}-py3-none-any.whl"
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(io.BytesIO(first.read_bytes())) as wheel:
        names = wheel.namelist()
        # Dated SOURCE_DATE_EPOCH (nox sets it to the last commit's time), else 2026-01-01;
        # zip times count in steps of two seconds.
        year, month, day, hour, minute, second = time.gmtime(build_checks.source_date_epoch())[:6]
        expected = (year, month, day, hour, minute, second - second % 2)
        assert {i.date_time for i in wheel.infolist()} == {expected}
    assert "calhouse/__init__.py" in names
    assert "calhouse/models/california_model.pt" in names  # the shipped weights travel with it
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert (tmp_path / "a" / "constraints.txt").read_bytes() == (
        ROOT / "constraints.txt"
    ).read_bytes()


def _version() -> str:
    import calhouse

    return calhouse.__version__
