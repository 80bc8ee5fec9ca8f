"""What the docs build does besides Sphinx's work: hidden checks, budgets, provenance, pins,
reproducible zips, no remote loads (docs/page_checks.py, docs/gallery_hooks.py and
docs/build_checks.py, checked without Sphinx; site_tests/ checks them in a build).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch
from packaging.utils import canonicalize_name

import calhouse

DOCS = Path(__file__).resolve().parent.parent / "docs"
sys.path.insert(0, str(DOCS))
import build_checks
import figure_checks
import gallery_hooks
import page_checks

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


# -- hidden checks ------------------------------------------------------------------------


def test_a_true_statement_passes_silently_and_is_counted(capsys: pytest.CaptureFixture) -> None:
    page_checks.take_checked()
    rmse = 0.658
    assert page_checks.check(rmse < 0.7, "the test RMSE is below 0.7", rmse=rmse) is None
    page_checks.check([1], "a non-empty list is true")
    assert capsys.readouterr() == ("", "")  # nothing added to the example's output
    assert page_checks.take_checked() == ["the test RMSE is below 0.7", "a non-empty list is true"]
    assert page_checks.take_checked() == []  # a new count


def test_a_false_statement_is_an_error_naming_it_and_its_values() -> None:
    page_checks.take_checked()
    left, right = 2, 1.5
    with pytest.raises(page_checks.StatementError) as caught:
        page_checks.check(left < right, "two is less than one", left=left, right=right)
    assert str(caught.value) == (
        'the page says "two is less than one", which no longer holds (left=2, right=1.5)'
    )
    assert not isinstance(caught.value, AssertionError)
    assert page_checks.take_checked() == []  # not counted


def test_a_check_needs_its_statement() -> None:
    with pytest.raises(TypeError, match="needs the statement it checks, as text; got ''"):
        page_checks.check(True, "")


def test_checks_hold_under_python_optimisations() -> None:
    # python -O drops assert statements, not these checks.
    code = (
        "import page_checks\n"
        "try:\n"
        "    page_checks.check(False, 'it holds')\n"
        "except page_checks.StatementError as e:\n"
        "    print('raised:', e)\n"
    )
    result = subprocess.run(
        [sys.executable, "-O", "-c", code],
        cwd=DOCS,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == 'raised: the page says "it holds", which no longer holds\n'


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
    monkeypatch.setenv("CALHOUSE_DATA", str(raw_file))
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
    assert record["data"] == [{"file": raw_file.name, "sha256": calhouse.data.RAW_SHA256}]
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
    monkeypatch.setenv("CALHOUSE_DATA", str(raw_file))
    gallery = tmp_path / "auto_examples"
    gallery.mkdir()
    (gallery / "plot_99_demo.py").write_text("# the copy sphinx-gallery makes\n")
    conf = {"src_dir": str(tmp_path), "gallery_dirs": ["auto_examples"]}

    figure = figure_checks.FigureRecord("sphx_glr_plot_99_demo_001.png", "Bars.", 960, 480, 100, 11)
    page_checks.check(True, "checked before the example: not its statement")
    figure_checks.note_figure(figure_checks.FigureRecord("before.png", "", 1, 1, 100, None))
    gallery_hooks.reset_example(conf, "plot_99_demo.py", "before")
    calhouse.load_or_train_model("tutorial", log=None)
    page_checks.check(run_count := 1, "one example ran", run_count=run_count)
    figure_checks.note_figure(figure)
    gallery_hooks.reset_example(conf, "plot_99_demo.py", "after")

    run = gallery_hooks.ExampleRun.read(gallery / "plot_99_demo.run.json")
    assert run.example == "plot_99_demo.py"
    assert 0 < run.seconds < 600
    assert run.peak_rss_bytes >= run.rss_at_start_bytes > 0
    assert [w["file"] for w in run.provenance["weights"]] == ["models/california_model.pt"]
    assert run.provenance["data"] == []  # it loaded a model, no data
    assert run.statements == ["one example ran"]
    assert run.figures == [dataclasses.asdict(figure)]  # its own figures only
    assert figure_checks.take_figures() == []
    assert run.inputs == gallery_hooks.inputs_digest()
    assert gallery_hooks.run_with_other_inputs(gallery) == []
    assert gallery_hooks.over_budget(run, max_seconds=0) == [
        f"plot_99_demo.py ran for {run.seconds:.1f} s, over the budget of 0 s"
    ]
    # The record has no absolute paths (pages must not depend on where they were built).
    assert str(tmp_path) not in (gallery / "plot_99_demo.run.json").read_text()


def test_examples_that_ran_with_other_inputs_are_found(tmp_path: Path) -> None:
    for name, inputs in [("plot_01_a", gallery_hooks.inputs_digest()), ("plot_02_b", "0" * 64)]:
        (tmp_path / f"{name}.py").write_text("# the copy\n")
        _run(example=f"{name}.py", inputs=inputs).write(tmp_path / f"{name}.run.json")
    (tmp_path / "plot_03_never_ran.py").write_text("# no record: sphinx-gallery runs it anyway\n")
    assert [r.example for r in gallery_hooks.read_runs(tmp_path)] == [
        "plot_01_a.py",
        "plot_02_b.py",
    ]
    assert gallery_hooks.run_with_other_inputs(tmp_path) == ["plot_02_b.py"]


def test_the_inputs_digest_covers_calhouse_and_the_hooks() -> None:
    digest = gallery_hooks.inputs_digest()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert gallery_hooks.inputs_digest() == digest  # the same files, the same digest


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


def test_zip_entries_can_be_transformed() -> None:
    data = _zip({"a.py": b"x = 1\n", "a.ipynb": b"{}"}, (2024, 1, 1, 0, 0, 0))
    fixed = build_checks.reproducible_zip_bytes(
        data,
        1_767_225_600,
        lambda name, content: content.upper() if name.endswith(".py") else content,
    )
    with zipfile.ZipFile(io.BytesIO(fixed)) as archive:
        assert archive.read("a.py") == b"X = 1\n"
        assert archive.read("a.ipynb") == b"{}"


def test_a_downloaded_zip_is_rewritten_once(tmp_path: Path) -> None:
    folder = tmp_path / "_downloads" / "x"
    folder.mkdir(parents=True)
    path = folder / "plot_a.zip"
    path.write_bytes(_zip({"plot_a.py": b"x = 1\n"}, (2024, 1, 1, 0, 0, 0)))
    assert build_checks.finish_downloads(tmp_path, 1_767_225_600) == ["_downloads/x/plot_a.zip"]
    first = path.read_bytes()
    assert build_checks.finish_downloads(tmp_path, 1_767_225_600) == []
    assert path.read_bytes() == first
    assert list(folder.iterdir()) == [path]  # no temporary file left behind


def test_the_site_address_is_the_repository_s_github_pages() -> None:
    assert build_checks.pages_url("https://github.com/calhouse/calhouse") == (
        "https://calhouse.github.io/calhouse/"
    )
    assert build_checks.pages_url("https://github.com/Some-Org/Tools.git/") == (
        "https://some-org.github.io/Tools/"
    )
    # A user or organisation site is published at the root.
    assert build_checks.pages_url("https://github.com/calhouse/calhouse.github.io") == (
        "https://calhouse.github.io/"
    )
    for wrong in ["http://github.com/a/b", "https://gitlab.com/a/b", "https://github.com/a"]:
        with pytest.raises(ValueError, match=r"expected a GitHub repository.*got"):
            build_checks.pages_url(wrong)


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


# -- the pins --------------------------------------------------------------------------------


def test_pins_are_read_by_canonical_name(tmp_path: Path) -> None:
    path = tmp_path / "constraints.txt"
    path.write_text("# tested\ntyping_extensions==4.16.0\n\nScikit-Learn==1.9.1  # note\n")
    assert build_checks.pins(path) == {"typing-extensions": "4.16.0", "scikit-learn": "1.9.1"}
    path.write_text("numpy==2.4.6\ntorch>=2.4\n")
    with pytest.raises(ValueError, match=r"line 2: expected name==version, got 'torch>=2.4'"):
        build_checks.pins(path)


def test_the_project_pins_torch_and_its_build_backend() -> None:
    pins = build_checks.pins()
    assert pins["torch"] == "2.13.0"
    backend = build_checks.pyproject()["build-system"]["build-backend"]
    assert backend == "hatchling.build"
    assert "hatchling" in pins  # the docs build makes the wheel with it, offline


def test_the_install_page_quotes_the_pins_and_the_supported_pythons() -> None:
    pins = build_checks.pins()
    assert build_checks.pinned_versions(("torch", "scikit-learn", "numpy")) == (
        f"PyTorch {pins['torch']}, scikit-learn {pins['scikit-learn']}, NumPy {pins['numpy']}"
    )
    assert build_checks.python_supported() == "Python 3.11 or newer"  # requires-python


def test_the_browser_tests_tools_are_pinned_and_chromium_is_installed_by_ci() -> None:
    root = DOCS.parent
    groups = build_checks.pyproject()["dependency-groups"]
    browser = {canonicalize_name(re.split(r"[<>=!~ ]", req)[0]) for req in groups["browser"]}
    assert {"playwright", "nbformat", "pytest"} <= browser
    assert sorted(browser - set(build_checks.pins())) == []
    ci = (root / ".ci" / "run").read_text(encoding="utf-8")
    assert "apt-get install" in ci
    assert "chromium" in ci
