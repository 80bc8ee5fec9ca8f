"""What the docs build does besides Sphinx's work: budgets, provenance, reproducible zips,
no remote loads (docs/gallery_hooks.py and docs/build_checks.py, checked without Sphinx).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sys
import zipfile
from pathlib import Path

import pytest
import torch

import calhouse

DOCS = Path(__file__).resolve().parent.parent / "docs"
sys.path.insert(0, str(DOCS))
import build_checks
import gallery_hooks

MiB = 2**20


def _run(**changes: object) -> gallery_hooks.ExampleRun:
    values = {
        "example": "plot_99_demo.py",
        "seconds": 2.5,
        "peak_rss_bytes": 700 * MiB,
        "rss_method": "VmHWM",
        "rss_at_start_bytes": 400 * MiB,
    }
    return gallery_hooks.ExampleRun(**{**values, **changes})


# -- budgets ------------------------------------------------------------------------------


def test_the_budgets_are_30_seconds_and_2_gib() -> None:
    assert gallery_hooks.MAX_SECONDS == 30
    assert gallery_hooks.MAX_RSS_BYTES == 2 * 1024**3
    assert gallery_hooks.over_budget(_run()) == []


def test_an_example_over_the_time_budget_is_named_with_its_time() -> None:
    problems = gallery_hooks.over_budget(_run(), max_seconds=1)
    assert problems == ["plot_99_demo.py ran for 2.5 s, over the budget of 1 s"]


def test_an_example_over_the_memory_budget_is_named_with_its_peak() -> None:
    problems = gallery_hooks.over_budget(_run(), max_rss_bytes=512 * MiB)
    assert problems == [
        (
            "plot_99_demo.py took the build process's peak RSS to 700 MiB (VmHWM), "
            "over the budget of 512 MiB"
        )
    ]
    both = gallery_hooks.over_budget(_run(), max_seconds=2, max_rss_bytes=699 * MiB)
    assert len(both) == 2


def test_an_example_exactly_at_its_budget_passes() -> None:
    run = _run(seconds=30.0, peak_rss_bytes=2 * 1024**3)
    assert gallery_hooks.over_budget(run) == []


def test_peak_rss_counts_a_short_lived_allocation() -> None:
    meter = gallery_hooks.PeakRSS()
    meter.start()
    if meter.method != "VmHWM":
        pytest.skip("the kernel's resettable high-water mark is Linux-only")
    block = bytearray(300 * MiB)
    block[::4096] = b"\1" * len(block[::4096])  # touch every page
    del block
    peak = meter.stop()
    assert peak - meter.start_bytes >= 290 * MiB
    # A new window starts from the current size, not from that peak.
    meter.start()
    assert meter.stop() - meter.start_bytes < 100 * MiB


# -- the record of what an example read ------------------------------------------------------


def test_the_recorder_notes_files_read_while_it_runs_only(tmp_path: Path) -> None:
    before, read, written, after = (tmp_path / n for n in ("a.txt", "b.pt", "c.txt", "d.txt"))
    for path in (before, read, after):
        path.write_text("x")
    recorder = gallery_hooks.FileRecorder.shared()
    assert gallery_hooks.FileRecorder.shared() is recorder  # one audit hook per process
    before.read_text()
    recorder.start()
    read.read_bytes()
    with read.open("rb"):
        pass
    written.write_text("y")
    paths = recorder.stop()
    after.read_text()
    assert paths == [str(read)]


def test_provenance_names_the_weights_and_data_an_example_loads(
    raw_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(calhouse.DATA_ENV_VAR, str(raw_file))
    recorder = gallery_hooks.FileRecorder.shared()
    recorder.start()
    calhouse.load_split()
    calhouse.load_or_train_model("standardized", log=None)
    record = gallery_hooks.provenance(recorder.stop())

    weights = calhouse.MODELS["standardized"].path
    assert record["weights"] == [
        {
            "file": f"models/{weights.name}",
            "sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
        }
    ]
    assert record["data"] == [{"file": raw_file.name, "sha256": calhouse.RAW_SHA256}]
    assert record["dataset_sha256"] == calhouse.load_california(raw_file).sha256
    assert record["versions"] == {
        "calhouse": calhouse.__version__,
        "torch": torch.__version__,
        "captum": __import__("captum").__version__,
        "scikit-learn": __import__("sklearn").__version__,
    }


def test_the_hook_writes_the_record_of_an_example(
    raw_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(calhouse.DATA_ENV_VAR, str(raw_file))
    gallery = tmp_path / "auto_examples"
    gallery.mkdir()
    (gallery / "plot_99_demo.py").write_text("# the copy sphinx-gallery makes\n")
    conf = {"src_dir": str(tmp_path), "gallery_dirs": ["auto_examples"]}

    gallery_hooks.reset_example(conf, "plot_99_demo.py", "before")
    calhouse.load_or_train_model("tutorial", log=None)
    gallery_hooks.reset_example(conf, "plot_99_demo.py", "after")

    run = gallery_hooks.ExampleRun.read(gallery / "plot_99_demo.run.json")
    assert run.example == "plot_99_demo.py"
    assert 0 < run.seconds < 600
    assert run.peak_rss_bytes >= run.rss_at_start_bytes > 0
    assert [w["file"] for w in run.provenance["weights"]] == ["models/california_model.pt"]
    assert run.provenance["data"] == []  # it loaded a model, no data
    assert gallery_hooks.over_budget(run, max_seconds=0) == [
        f"plot_99_demo.py ran for {run.seconds:.1f} s, over the budget of 0 s"
    ]
    # The record has no absolute paths (pages must not depend on where they were built).
    assert str(tmp_path) not in (gallery / "plot_99_demo.run.json").read_text()


def test_the_provenance_box_lists_versions_data_and_weights() -> None:
    record = {
        "versions": {
            "calhouse": "0.1.0",
            "torch": "2.13.0",
            "captum": "0.9.0",
            "scikit-learn": "1",
        },
        "data": [{"file": "cal_housing.data", "sha256": "a" * 64}],
        "dataset_sha256": "b" * 64,
        "weights": [],
    }
    text = gallery_hooks.provenance_rst(record)
    assert ".. admonition:: Provenance\n   :class: calhouse-provenance\n" in text
    assert "   :torch: ``2.13.0``\n" in text
    assert f"      - ``cal_housing.data`` sha256 ``{'a' * 64}``\n" in text
    assert f"   :dataset: ``load_california().sha256`` ``{'b' * 64}``\n" in text
    assert "   :weights:\n\n      none: no model loaded\n" in text


# -- reproducible zips --------------------------------------------------------------------


def _zip(entries: dict[str, bytes], date_time: tuple[int, ...]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.external_attr = 0o100600 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def test_zips_made_at_different_times_become_identical() -> None:
    entries = {"plot_b.py": b"print(2)\n", "plot_a.py": b"print(1)\n"}
    early = _zip(entries, (2024, 1, 1, 0, 0, 0))
    late = _zip(dict(reversed(entries.items())), (2025, 6, 7, 8, 9, 10))
    assert early != late
    fixed_early = build_checks.reproducible_zip_bytes(early, 1_767_225_600)
    assert fixed_early == build_checks.reproducible_zip_bytes(late, 1_767_225_600)
    with zipfile.ZipFile(io.BytesIO(fixed_early)) as archive:
        assert archive.namelist() == ["plot_a.py", "plot_b.py"]
        assert archive.read("plot_b.py") == b"print(2)\n"
        assert {i.date_time for i in archive.infolist()} == {(2026, 1, 1, 0, 0, 0)}
        assert {i.external_attr >> 16 for i in archive.infolist()} == {0o100644}


def test_a_zip_is_rewritten_once(tmp_path: Path) -> None:
    path = tmp_path / "plot_a.zip"
    path.write_bytes(_zip({"plot_a.py": b"x = 1\n"}, (2024, 1, 1, 0, 0, 0)))
    assert build_checks.make_zip_reproducible(path, 1_767_225_600) is True
    first = path.read_bytes()
    assert build_checks.make_zip_reproducible(path, 1_767_225_600) is False
    assert path.read_bytes() == first
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_source_date_epoch_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert build_checks.source_date_epoch() == build_checks.DEFAULT_EPOCH
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert build_checks.source_date_epoch() == 1_700_000_000
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ValueError, match="whole number of seconds, got 'yesterday'"):
        build_checks.source_date_epoch()


# -- nothing loaded from elsewhere ----------------------------------------------------------


def test_remote_loads_are_found_and_links_are_not() -> None:
    html = """
    <link rel="stylesheet" href="https://cdn.example.com/a.css">
    <link rel="next" href="https://example.com/next.html">
    <script src="//cdn.example.com/jquery.js"></script>
    <script src="_static/local.js"></script>
    <img src="../_images/fig.png" srcset="fig.png 1x, https://img.example.com/fig@2x.png 2x">
    <div style="background: url('https://img.example.com/bg.png')"></div>
    <style>@font-face { src: url(https://fonts.example.com/f.woff2) }</style>
    <iframe src="https://www.youtube.com/embed/x"></iframe>
    <a href="https://docs.python.org/3/">Python</a>
    <img src="data:image/png;base64,AAAA">
    """
    assert build_checks.remote_loads(html) == [
        ("<link rel=stylesheet>", "https://cdn.example.com/a.css"),
        ("<script src>", "//cdn.example.com/jquery.js"),
        ("<img srcset>", "https://img.example.com/fig@2x.png"),
        ("<div style>", "https://img.example.com/bg.png"),
        ("<style>", "https://fonts.example.com/f.woff2"),
        ("<iframe src>", "https://www.youtube.com/embed/x"),
    ]


def test_a_site_scan_names_the_file_and_the_load(tmp_path: Path) -> None:
    (tmp_path / "_static").mkdir()
    (tmp_path / "index.html").write_text('<a href="https://ok.example.com/">fine</a>')
    (tmp_path / "times.html").write_text(
        '<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>'
    )
    (tmp_path / "_static" / "theme.css").write_text(
        "@import url('https://fonts.googleapis.com/css2?family=Lato');"
        " .x { background: url(data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg'/>) }"
    )
    assert build_checks.remote_loads_in_site(tmp_path) == [
        "_static/theme.css: url() in CSS loads https://fonts.googleapis.com/css2?family=Lato",
        "times.html: <script src> loads https://code.jquery.com/jquery-3.7.1.min.js",
    ]


def test_the_records_round_trip(tmp_path: Path) -> None:
    run = _run(provenance={"versions": {}, "data": [], "dataset_sha256": None, "weights": []})
    path = tmp_path / "plot_99_demo.run.json"
    run.write(path)
    stamp = path.stat().st_mtime_ns
    run.write(path)  # unchanged: not rewritten, so Sphinx sees no change
    assert path.stat().st_mtime_ns == stamp
    assert gallery_hooks.ExampleRun.read(path) == run
    assert json.loads(path.read_text())["example"] == "plot_99_demo.py"


def test_the_browser_tests_tools_are_pinned_and_chromium_is_installed_by_ci() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    root = DOCS.parent
    groups = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))[
        "dependency-groups"
    ]
    pinned = {
        line.split("==")[0].lower()
        for line in (root / "constraints.txt").read_text(encoding="utf-8").splitlines()
        if "==" in line
    }
    browser = {re.split(r"[<>=!~ ]", req)[0].lower() for req in groups["browser"]}
    assert {"playwright", "nbformat", "pytest"} <= browser
    assert sorted(browser - pinned) == []
    ci = (root / ".ci" / "run").read_text(encoding="utf-8")
    assert "apt-get install" in ci
    assert "chromium" in ci
