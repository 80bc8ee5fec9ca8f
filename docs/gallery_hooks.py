"""What the docs build measures and records about each example it runs, and what it does with it.

sphinx-gallery calls :func:`reset_example` before and after each example
(``reset_modules`` in ``conf.py``). Before, it prepares the interpreter and
starts the recorders; after, it writes what they saw as ``<example>.run.json``,
a file of its own beside sphinx-gallery's copy of the example (:class:`ExampleRun`):

* the cost: wall-clock time and the peak resident set size of the build
  process while the example ran (:class:`PeakRSS`);
* the provenance: the versions of calhouse, PyTorch, Captum and scikit-learn,
  the sha256 of each data file and model weights file the example read
  (:class:`FileRecorder`), and the statements of its text it checked
  (``page_checks``);
* its figures: the alt text, size and colours that ``figure_checks`` measured;
* the digest of what it ran besides its own file (:func:`inputs_digest`).

As a Sphinx extension (listed in ``conf.py``, :func:`setup`), it has
sphinx-gallery run every example again (its ``run_stale_examples`` option)
when calhouse, its models or these hooks changed since they ran, since
sphinx-gallery watches only the example files; fails the build for an example
over the budgets :data:`MAX_SECONDS` and :data:`MAX_RSS_BYTES`, or that drew a
figure unfit for its page (``figure_checks``); and gives each
example page its record, which ``_templates/calhouse-provenance.html`` shows.
It imports neither Sphinx nor calhouse at import time, so that the test suite
can check it alone.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import multiprocessing
import os
import re
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import figure_checks
import matplotlib as mpl
import page_checks

try:
    import resource
except ImportError:  # Windows
    resource = None

HERE = Path(__file__).resolve().parent

#: Text size of the gallery's figures, in points (matplotlib's default is 10): at
#: the width a laptop screen shows them, 11 points reads like the page's small print.
FONT_SIZE = 11

#: Longest an example may run in the build, in seconds (wall clock: its code,
#: and sphinx-gallery saving its figures and writing its page).
MAX_SECONDS = 30

#: Largest peak resident set size of the build process while an example runs.
MAX_RSS_BYTES = 2 * 1024**3

#: Suffix of the record each executed example leaves beside its generated page.
RUN_SUFFIX = ".run.json"

#: The libraries whose versions each example page states, as (label, module).
PROVENANCE_LIBRARIES = (
    ("calhouse", "calhouse"),
    ("torch", "torch"),
    ("captum", "captum"),
    ("scikit-learn", "sklearn"),
)

#: Files read as model weights (``torch.load`` of a state dict).
WEIGHT_SUFFIXES = (".pt", ".pth")


# -- peak memory -------------------------------------------------------------------------


def _status_kib(name: str) -> int | None:
    """A ``VmXxx`` line of /proc/self/status, in KiB, or None off Linux."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    match = re.search(rf"^{name}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else None


def _reset_high_water_mark() -> bool:
    """Reset the kernel's peak-RSS counter (VmHWM) to the current RSS; whether it worked."""
    try:
        with Path("/proc/self/clear_refs").open("w") as fh:
            fh.write("5")  # Linux 4.0 and later
    except OSError:
        return False
    return _status_kib("VmHWM") is not None


def _ru_maxrss_bytes() -> int:
    """The process's lifetime peak RSS from getrusage (KiB on Linux, bytes on macOS)."""
    if resource is None:
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class PeakRSS:
    """The peak resident set size of this process between :meth:`start` and :meth:`stop`.

    On Linux, :meth:`start` resets the kernel's high-water mark of the resident
    set (VmHWM) and :meth:`stop` reads it: every page the example touched
    counts, however briefly, with no sampling. Elsewhere the figure is the
    process's peak since it started (``ru_maxrss``), an upper bound. Either way
    it is the whole build process's, Sphinx included (``start_bytes`` says how
    much that was), and child processes are not counted.
    """

    def __init__(self) -> None:
        self.method = ""
        self.start_bytes = 0

    def start(self) -> None:
        """Start measuring."""
        if _reset_high_water_mark():
            self.method = "VmHWM"
            self.start_bytes = (_status_kib("VmRSS") or 0) * 1024
        else:
            self.method = "ru_maxrss"
            self.start_bytes = _ru_maxrss_bytes()

    def stop(self) -> int:
        """The peak RSS since :meth:`start`, in bytes."""
        if self.method == "VmHWM":
            return (_status_kib("VmHWM") or 0) * 1024
        return _ru_maxrss_bytes()


# -- files an example reads ---------------------------------------------------------------


def _is_read(mode: object, flags: object) -> bool:
    """Whether an ``open`` audit event opens a file for reading only."""
    if isinstance(mode, str):
        return "r" in mode and not any(c in mode for c in "wax+")
    if isinstance(flags, int):  # os.open: no mode string, only flags
        return flags & (os.O_WRONLY | os.O_RDWR) == 0
    return False


class FileRecorder:
    """Record the files this process opens for reading while it is active.

    It listens to Python's ``open`` audit event (PEP 578), which :func:`open`,
    :meth:`pathlib.Path.open` and :func:`os.open` raise: ``torch.load`` of a
    path and calhouse's reading of the data pass through it, whatever the
    example calls them through. An audit hook cannot be removed, so one is added
    for the life of the process and records only between :meth:`start` and
    :meth:`stop`.
    """

    _installed: FileRecorder | None = None

    def __init__(self) -> None:
        self.active = False
        self.paths: list[str] = []

    @classmethod
    def shared(cls) -> FileRecorder:
        """The process's recorder, its audit hook added on first use."""
        if cls._installed is None:
            cls._installed = cls()
            sys.addaudithook(cls._installed._hook)
        return cls._installed

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        if event != "open" or not self.active:
            return
        try:  # an exception here would break the example's open()
            path, mode, flags = args
            if isinstance(path, (str, bytes, os.PathLike)) and _is_read(mode, flags):
                # abspath, not Path.resolve(): no file system calls inside the hook.
                self.paths.append(os.path.abspath(os.fsdecode(path)))  # noqa: PTH100
        except Exception:  # noqa: BLE001, S110 -- never let recording break the example
            pass

    def start(self) -> None:
        """Forget earlier files and start recording."""
        self.paths = []
        self.active = True

    def stop(self) -> list[str]:
        """Stop recording; the absolute paths read, each once, in order."""
        self.active = False
        return list(dict.fromkeys(self.paths))


# -- provenance -----------------------------------------------------------------------------


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The sha256 of a file's bytes, in hex."""
    with Path(path).open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def weight_files(paths: list[str]) -> list[str]:
    """The model weights among the files read."""
    return [p for p in paths if p.endswith(WEIGHT_SUFFIXES) and Path(p).is_file()]


def data_files(paths: list[str], raw_data: str | None) -> list[str]:
    """The California housing data among the files read.

    That is the raw file named by ``CALHOUSE_DATA`` (``raw_data``), or
    scikit-learn's cached copy (``cal_housing_py3.pkz``) when the data came
    through its fetcher.
    """
    raw = os.path.abspath(raw_data) if raw_data else None  # noqa: PTH100 -- as recorded
    return [
        p
        for p in paths
        if (p == raw or Path(p).name.startswith("cal_housing")) and Path(p).is_file()
    ]


def _display_name(path: str) -> str:
    """A file's name for the page (never its absolute path, which differs by machine)."""
    p = Path(path).resolve()
    return f"models/{p.name}" if p.parent.name == "models" else p.name


_FINGERPRINTS: dict[str, str] = {}


def dataset_fingerprint(raw_file: str | None) -> str:
    """``calhouse.load_california(raw_file).sha256``, computed once per source."""
    key = raw_file or "scikit-learn"
    if key not in _FINGERPRINTS:
        import calhouse

        _FINGERPRINTS[key] = calhouse.load_california(raw_file).sha256
    return _FINGERPRINTS[key]


def provenance(paths: list[str]) -> dict[str, Any]:
    """What a page's numbers came from, given the files its example read."""
    import importlib

    raw_data = os.environ.get("CALHOUSE_DATA") or None
    data = data_files(paths, raw_data)
    record: dict[str, Any] = {
        "versions": {
            label: importlib.import_module(module).__version__
            for label, module in PROVENANCE_LIBRARIES
        },
        "data": [{"file": _display_name(p), "sha256": sha256_file(p)} for p in data],
        "dataset_sha256": None,
        "weights": [
            {"file": _display_name(p), "sha256": sha256_file(p)} for p in weight_files(paths)
        ],
    }
    if data:
        # The fingerprint of the arrays the example got, from the same source.
        source = raw_data if raw_data and os.path.abspath(raw_data) in data else None  # noqa: PTH100
        record["dataset_sha256"] = dataset_fingerprint(source)
    return record


def inputs_digest() -> str:
    """sha256 of what every example runs besides its own file.

    calhouse's code and shipped models, and the two modules of ``docs/`` that
    run with each example (this one, ``page_checks`` and ``figure_checks``).
    """
    import calhouse

    package = Path(calhouse.__file__).resolve().parent
    roots = [package, package.parent / "models"]  # the models of an editable install
    files = sorted(
        p
        for root in roots
        if root.is_dir()
        for p in root.rglob("*")
        if p.suffix in {".py", ".pt", ".json"} and "__pycache__" not in p.parts
    )
    digest = hashlib.sha256()
    hooks = [HERE / f"{name}.py" for name in ("gallery_hooks", "page_checks", "figure_checks")]
    for path in [*files, *hooks]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


# -- the record of a run ---------------------------------------------------------------------


@dataclass
class ExampleRun:
    """What the hooks recorded about one executed example."""

    example: str
    seconds: float
    peak_rss_bytes: int
    rss_method: str
    rss_at_start_bytes: int
    provenance: dict[str, Any] = field(default_factory=dict)
    #: The statements of the page checked with ``page_checks.check``, in order.
    statements: list[str] = field(default_factory=list)
    #: Its figures as ``figure_checks`` measured them (a ``FigureRecord`` each), in order.
    figures: list[dict[str, Any]] = field(default_factory=list)
    #: :func:`inputs_digest` when it ran.
    inputs: str = ""

    def write(self, path: Path) -> None:
        """Save as JSON (only when the content changed, so Sphinx sees no change otherwise)."""
        text = json.dumps(asdict(self), indent=1, sort_keys=True) + "\n"
        if not path.is_file() or path.read_text() != text:
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(text)
            tmp.replace(path)

    @classmethod
    def read(cls, path: Path) -> ExampleRun:
        """Load a record written by :meth:`write`."""
        return cls(**json.loads(path.read_text()))


def run_record_path(example_copy: Path) -> Path:
    """Where the record of ``<gallery dir>/plot_xx.py`` goes: ``plot_xx.run.json``."""
    return example_copy.with_name(example_copy.stem + RUN_SUFFIX)


def read_runs(gallery_dir: Path) -> list[ExampleRun]:
    """The last recorded run of each example of a gallery, in file-name order."""
    records = (run_record_path(p) for p in sorted(Path(gallery_dir).glob("*.py")))
    return [ExampleRun.read(r) for r in records if r.is_file()]


def run_with_other_inputs(gallery_dir: Path) -> list[str]:
    """The examples whose last run had other inputs than now (:func:`inputs_digest`)."""
    current = inputs_digest()
    return [run.example for run in read_runs(gallery_dir) if run.inputs != current]


def over_budget(
    run: ExampleRun, *, max_seconds: float = MAX_SECONDS, max_rss_bytes: int = MAX_RSS_BYTES
) -> list[str]:
    """The budgets an example's run exceeded, as sentences naming it and the figure."""
    problems = []
    if run.seconds > max_seconds:
        problems.append(
            f"{run.example} ran for {run.seconds:.1f} s, over the budget of {max_seconds:g} s"
        )
    if run.peak_rss_bytes > max_rss_bytes:
        problems.append(
            f"{run.example} took the build process's peak RSS to "
            f"{run.peak_rss_bytes / 2**20:,.0f} MiB ({run.rss_method}), over the budget of "
            f"{max_rss_bytes / 2**20:,.0f} MiB"
        )
    return problems


# -- the hook -----------------------------------------------------------------------------------


class _Current:
    """The example being run and its recorders."""

    target: Path | None = None
    started = 0.0
    rss = PeakRSS()


def _example_copy(gallery_conf: dict, fname: str) -> Path | None:
    """sphinx-gallery's copy of the example in its gallery directory (made before it runs)."""
    gallery_dirs = gallery_conf.get("gallery_dirs", [])
    if isinstance(gallery_dirs, str):
        gallery_dirs = [gallery_dirs]
    src_dir = Path(gallery_conf.get("src_dir", "."))
    candidates = (src_dir / gallery_dir / fname for gallery_dir in gallery_dirs)
    return next((c for c in candidates if c.is_file()), None)


def _prepare_a_worker() -> None:
    """In a worker process of sphinx-gallery's parallel mode, before an example's clock starts.

    The build's process imported calhouse (and so torch and Captum) before its
    first example: a worker imports them too, so that its first example is not
    charged seconds of imports the others are not. No Sphinx log handler exists
    there: a failing example's message goes to stderr through Python's
    last-resort handler as it is, and Sphinx's colour codes would split the
    example's name from "unexpectedly failed to execute"; it is made plain text.
    """
    if multiprocessing.parent_process() is None:
        return
    from sphinx.util.console import nocolor

    nocolor()
    importlib.import_module("calhouse")  # its imports' time, outside the example's


def reset_example(gallery_conf: dict, fname: str, when: str) -> None:
    """Prepare the interpreter before each example runs, and record the run after.

    Before: sphinx-gallery has just reset matplotlib; the figures get
    :data:`FONT_SIZE`-point text. Captum's DeepLift announces on every call
    that it hooks the model's ReLU modules for the call: informational, so the
    pages leave out this one message (any other warning still shows). Then the
    clock, the peak-RSS meter, the file recorder and the count of checked
    statements start. After: they stop, and the :class:`ExampleRun` is written.
    """
    if when == "before":
        _prepare_a_worker()
        mpl.rcParams["font.size"] = FONT_SIZE
        warnings.filterwarnings(
            "ignore",
            message="Setting forward, backward hooks and attributes on non-linear",
            category=UserWarning,
            module="captum",
        )
        _Current.target = _example_copy(gallery_conf, fname)
        if _Current.target is not None:
            run_record_path(_Current.target).unlink(missing_ok=True)
        page_checks.take_checked()
        figure_checks.take_figures()
        FileRecorder.shared().start()
        _Current.rss.start()
        _Current.started = time.perf_counter()
        return
    seconds = time.perf_counter() - _Current.started
    peak = _Current.rss.stop()
    paths = FileRecorder.shared().stop()
    statements = page_checks.take_checked()
    figures = figure_checks.take_figures()
    if _Current.target is None:
        return
    run = ExampleRun(
        example=Path(fname).name,
        seconds=seconds,
        peak_rss_bytes=peak,
        rss_method=_Current.rss.method,
        rss_at_start_bytes=_Current.rss.start_bytes,
        provenance=provenance(paths),
        statements=statements,
        figures=figures,
        inputs=inputs_digest(),
    )
    run.write(run_record_path(_Current.target))
    _Current.target = None


# -- in Sphinx ------------------------------------------------------------------------------


def _gallery_dir(app: Any) -> Path | None:
    """The gallery's directory, if the build runs the examples (not ``-D plot_gallery=0``)."""
    conf = app.config.sphinx_gallery_conf
    dirs = conf["gallery_dirs"]
    name = dirs if isinstance(dirs, str) else dirs[0]
    return Path(app.srcdir) / name if conf["plot_gallery"] else None


def rerun_if_inputs_changed(app: Any) -> None:
    """Have sphinx-gallery run every example if calhouse changed since they last ran."""
    from sphinx.util import logging

    gallery = _gallery_dir(app)
    if gallery is not None and (changed := run_with_other_inputs(gallery)):
        logging.getLogger(__name__).info(
            "calhouse, its models or the hooks changed since %d examples ran: all run again",
            len(changed),
        )
        app.config.sphinx_gallery_conf["run_stale_examples"] = True


def check_budgets(app: Any) -> list[str]:
    """Log each example's last recorded run (this build's or an earlier one's); errors over budget.

    Errors set the build's exit status, with ``-W`` or without (see :func:`fail_if_over_budget`).
    """
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    gallery = _gallery_dir(app)
    runs = read_runs(gallery) if gallery is not None else []
    limits = {
        "max_seconds": app.config.calhouse_example_max_seconds,
        "max_rss_bytes": app.config.calhouse_example_max_rss_bytes,
    }
    for run in runs:
        mib = run.peak_rss_bytes / 2**20
        logger.info(
            "%s: %.1f s, peak RSS %.0f MiB (%s)", run.example, run.seconds, mib, run.rss_method
        )
    problems = [problem for run in runs for problem in over_budget(run, **limits)]
    for problem in problems:
        logger.error("%s (its last run here; a clean build measures again)", problem)
    app.calhouse_over_budget = bool(problems)
    return problems


def check_figures(app: Any) -> list[str]:
    """Errors for the figures unfit for their page (``figure_checks``), in each example's last run.

    From the records, so that an example that did not run again in this build
    is still held to them; errors set the build's exit status as budgets do.
    """
    from sphinx.util import logging

    gallery = _gallery_dir(app)
    runs = read_runs(gallery) if gallery is not None else []
    problems = [problem for run in runs for problem in figure_checks.figure_problems(run.figures)]
    for problem in problems:
        logging.getLogger(__name__).error("%s", problem)
    app.calhouse_bad_figures = bool(problems)
    return problems


def fail_if_over_budget(app: Any, exception: Exception | None) -> None:  # noqa: ARG001
    """Give the build a failing exit status if an example was over budget or drew an unfit figure."""
    if getattr(app, "calhouse_over_budget", False) or getattr(app, "calhouse_bad_figures", False):
        app.statuscode = 1


def _run_record(app: Any, docname: str) -> Path | None:
    gallery = _gallery_dir(app)
    if gallery is None or not docname.startswith(f"{gallery.name}/"):
        return None
    record = run_record_path(gallery / f"{docname.removeprefix(gallery.name + '/')}.py")
    return record if record.is_file() else None


def note_run_record(app: Any, docname: str, source: list[str]) -> None:  # noqa: ARG001
    """Have Sphinx write an example's page again when its run record changes."""
    if (record := _run_record(app, docname)) is not None:
        app.env.note_dependency(str(record))


def add_run_to_page(app: Any, pagename: str, templatename, context, doctree) -> None:  # noqa: ARG001
    """Give an example page's templates its run record, as ``calhouse_run``."""
    if (record := _run_record(app, pagename)) is not None:
        context["calhouse_run"] = ExampleRun.read(record)


def setup(app: Any) -> dict[str, Any]:
    """Connect the handlers; the budgets are settings (``-D calhouse_example_max_seconds=1``)."""
    app.add_config_value("calhouse_example_max_seconds", MAX_SECONDS, "env")
    app.add_config_value("calhouse_example_max_rss_bytes", MAX_RSS_BYTES, "env")
    # Around sphinx-gallery's handler (priority 500), which runs the examples.
    app.connect("builder-inited", rerun_if_inputs_changed, priority=400)
    app.connect("builder-inited", check_budgets, priority=900)
    app.connect("builder-inited", check_figures, priority=900)
    app.connect("source-read", note_run_record)
    app.connect("html-page-context", add_run_to_page, priority=400)  # before the theme's
    app.connect("build-finished", fail_if_over_budget)
    return {"parallel_read_safe": True}
