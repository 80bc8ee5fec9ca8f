"""The docs build's own checks, as conf.py wires them into Sphinx (with a stand-in app).

The checks themselves are tested in tests/test_docs_build.py; here, that their
findings fail the build: an example over budget logs an error naming it and
sets a failing exit status, with or without -W.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import ROOT

DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def conf():
    """docs/conf.py, imported as a module."""
    sys.path.insert(0, str(DOCS))
    spec = importlib.util.spec_from_file_location("calhouse_docs_conf", DOCS / "conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _app(tmp_path: Path, **config: object) -> SimpleNamespace:
    values = {
        "plot_gallery": "True",
        "calhouse_example_max_seconds": 30,
        "calhouse_example_max_rss_bytes": 2 * 1024**3,
        **config,
    }
    return SimpleNamespace(
        config=SimpleNamespace(**values),
        statuscode=0,
        outdir=tmp_path / "html",
        builder=SimpleNamespace(format="html"),
    )


def _gallery(tmp_path: Path, conf, seconds: float) -> Path:
    gallery = tmp_path / "auto_examples"
    gallery.mkdir()
    (gallery / "plot_01_demo.py").write_text("# copy\n")
    run = conf.gallery_hooks.ExampleRun(
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


def test_an_example_over_budget_fails_the_build(
    conf, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(conf, "GALLERY_DIR", _gallery(tmp_path, conf, seconds=31.2))
    app = _app(tmp_path)
    with caplog.at_level(logging.INFO):
        conf._after_gallery(app)
        conf._check_self_contained(app, None)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].startswith("plot_01_demo.py ran for 31.2 s, over the budget of 30 s")
    assert app.statuscode == 1


def test_a_smaller_budget_from_the_command_line_applies(
    conf, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(conf, "GALLERY_DIR", _gallery(tmp_path, conf, seconds=2.0))
    app = _app(tmp_path, calhouse_example_max_rss_bytes=512 * 2**20)  # -D ...=536870912
    with caplog.at_level(logging.INFO):
        conf._after_gallery(app)
        conf._check_self_contained(app, None)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert [e.split(" (")[0] for e in errors] == [
        "plot_01_demo.py took the build process's peak RSS to 600 MiB"
    ]
    assert app.statuscode == 1


def test_examples_within_budget_pass_and_their_zips_are_made_reproducible(
    conf, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    gallery = _gallery(tmp_path, conf, seconds=2.0)
    with zipfile.ZipFile(gallery / "plot_01_demo.zip", "w") as archive:
        archive.writestr(zipfile.ZipInfo("plot_01_demo.py", (2020, 5, 6, 7, 8, 10)), "x = 1\n")
    monkeypatch.setattr(conf, "GALLERY_DIR", gallery)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    app = _app(tmp_path)
    with caplog.at_level(logging.INFO):
        conf._after_gallery(app)
        conf._check_self_contained(app, None)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert app.statuscode == 0
    with zipfile.ZipFile(gallery / "plot_01_demo.zip") as archive:
        assert archive.infolist()[0].date_time == (2026, 1, 1, 0, 0, 0)


def test_a_page_loading_from_another_host_fails_the_build(
    conf, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = _app(tmp_path)
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "times.html").write_text(
        '<script src="https://code.jquery.com/jquery-3.7.0.js"></script>'
    )
    with caplog.at_level(logging.INFO):
        conf._check_self_contained(app, None)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    expected = (
        "the site must work offline, but times.html: <script src> loads "
        "https://code.jquery.com/jquery-3.7.0.js"
    )
    assert warnings == [expected]
