"""Hooks that sphinx-gallery calls around each example it runs (named in conf.py).

Before an example runs, :func:`reset_example` prepares the interpreter (figure
text size, Captum's DeepLift notice) and starts two recorders; after it, the
hook stops them and writes what they saw next to the example's generated page,
as ``<example>.run.json``:

* the example's cost: its wall-clock time and the peak resident set size of the
  build process while it ran (:class:`PeakRSS`), which ``conf.py`` checks
  against the budgets :data:`MAX_SECONDS` and :data:`MAX_RSS_BYTES`;
* its provenance: the versions of calhouse, PyTorch, Captum and scikit-learn,
  and the sha256 of every data file and model weights file the example read
  (:class:`FileRecorder`), which ``conf.py`` renders at the end of the page.

This module imports neither Sphinx nor calhouse at import time, so that the
test suite can check it on its own.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import matplotlib as mpl

try:
    import resource
except ImportError:  # Windows
    resource = None

#: Text size of the gallery's figures, in points (matplotlib's default is 10). On
#: a laptop screen a page shows a figure a little narrower than its natural
#: width; at 11 points its text still reads like the page's own small print.
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


# -- peak memory -------------------------------------------------------------------


def _status_kib(field_name: str) -> int | None:
    """A ``VmXxx`` line of /proc/self/status, in KiB, or None off Linux."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    match = re.search(rf"^{field_name}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else None


def _reset_high_water_mark() -> bool:
    """Reset the kernel's peak-RSS counter (VmHWM) to the current RSS.

    Linux 4.0 and later do this when "5" is written to /proc/self/clear_refs.
    Returns whether it worked.
    """
    try:
        with Path("/proc/self/clear_refs").open("w") as fh:
            fh.write("5")
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

    On Linux the kernel keeps the high-water mark of the resident set (VmHWM) and
    lets a process reset it: :meth:`start` resets it to the current RSS and
    :meth:`stop` reads it, which counts every page the example touched, however
    briefly, with no sampling. Elsewhere the only figure is the process's peak
    since it started (``ru_maxrss``), an upper bound: it may over-report an
    example that follows a hungrier one, never under-report.

    The figure is for the whole build process, threads included: Sphinx and
    the modules earlier examples imported are part of it (``start_bytes`` says
    how much), so it is an upper bound on what the example needs on its own.
    Memory of child processes is not counted.
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


# -- files an example reads ----------------------------------------------------------


def _is_read(mode: object, flags: object) -> bool:
    """Whether an ``open`` audit event opens a file for reading only."""
    if isinstance(mode, str):
        return "r" in mode and not any(c in mode for c in "wax+")
    if isinstance(flags, int):  # os.open: no mode string, only flags
        return flags & (os.O_WRONLY | os.O_RDWR) == 0
    return False


class FileRecorder:
    """Record the files this process opens for reading while it is active.

    It listens to Python's ``open`` audit event (PEP 578), which
    :func:`open`, :func:`io.open`, :meth:`pathlib.Path.open` and :func:`os.open`
    raise: ``torch.load`` of a path, calhouse's checksum of a weights file and
    its reading of the raw data file all pass through it, whatever the example
    calls them through. An audit hook cannot be removed, so one hook is added
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


def _display_name(path: str, models_dir: Path | None) -> str:
    """A file's name for the page: ``models/<file>`` for shipped weights, else its name.

    Never the absolute path, which differs from one machine to the next.
    """
    p = Path(path)
    if models_dir is not None and p.parent == models_dir:
        return f"models/{p.name}"
    return p.name


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

    import calhouse
    from calhouse._io import sha256_file

    versions = {
        label: importlib.import_module(module).__version__ for label, module in PROVENANCE_LIBRARIES
    }
    models = Path(calhouse.models_dir()).resolve()
    raw_data = os.environ.get(calhouse.DATA_ENV_VAR) or None
    data = data_files(paths, raw_data)
    weights = weight_files(paths)
    record: dict[str, Any] = {
        "versions": versions,
        "data": [{"file": _display_name(p, None), "sha256": sha256_file(p)} for p in data],
        "dataset_sha256": None,
        "weights": [
            {"file": _display_name(str(Path(p).resolve()), models), "sha256": sha256_file(p)}
            for p in weights
        ],
    }
    if data:
        # The fingerprint of the arrays the example got, from the same source.
        source = raw_data if raw_data and os.path.abspath(raw_data) in data else None  # noqa: PTH100
        record["dataset_sha256"] = dataset_fingerprint(source)
    return record


def provenance_rst(record: dict[str, Any]) -> str:
    """The provenance box of an example's page, as reStructuredText.

    A field list in an admonition of class ``calhouse-provenance``: one field
    per library version, then ``data`` (each data file read, with its sha256),
    ``dataset`` (the fingerprint of the arrays, ``CaliforniaHousing.sha256``)
    and ``weights`` (each weights file read, with its sha256).
    """

    def files(entries: list[dict[str, str]], none: str) -> list[str]:
        if not entries:
            return [f"      {none}"]
        return [f"      - ``{e['file']}`` sha256 ``{e['sha256']}``" for e in entries]

    lines = [
        "",
        ".. admonition:: Provenance",
        "   :class: calhouse-provenance",
        "",
        "   The output on this page comes from running the example when the site was",
        "   built, with these versions, data and model weights:",
        "",
    ]
    versions = record["versions"]
    lines += [f"   :{label}: ``{versions[label]}``" for label, _ in PROVENANCE_LIBRARIES]
    lines += ["   :data:", "", *files(record["data"], "none read"), ""]
    if record.get("dataset_sha256"):
        lines += [f"   :dataset: ``load_california().sha256`` ``{record['dataset_sha256']}``"]
    lines += ["   :weights:", "", *files(record["weights"], "none: no model loaded"), "", ""]
    return "\n".join(lines)


# -- the record of a run --------------------------------------------------------------


@dataclass
class ExampleRun:
    """What the hooks recorded about one executed example."""

    example: str
    seconds: float
    peak_rss_bytes: int
    rss_method: str
    rss_at_start_bytes: int
    provenance: dict[str, Any] = field(default_factory=dict)

    def write(self, path: Path) -> None:
        """Save as JSON (only when the content changed, so Sphinx sees no change otherwise)."""
        text = json.dumps(asdict(self), indent=1, sort_keys=True) + "\n"
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)

    @classmethod
    def read(cls, path: Path) -> ExampleRun:
        """Load a record written by :meth:`write`."""
        return cls(**json.loads(path.read_text()))


def run_record_path(example_copy: Path) -> Path:
    """Where the record of ``<gallery dir>/plot_xx.py`` goes: ``plot_xx.run.json``."""
    return example_copy.with_name(example_copy.stem + RUN_SUFFIX)


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


# -- the hook ---------------------------------------------------------------------------


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
    for gallery_dir in gallery_dirs:
        candidate = src_dir / gallery_dir / fname
        if candidate.is_file():
            return candidate
    return None


def reset_example(gallery_conf: dict, fname: str, when: str) -> None:
    """Prepare the interpreter before each example runs, and record it after.

    Before: sphinx-gallery has just reset matplotlib to its defaults; the figures
    get :data:`FONT_SIZE`-point text. Captum's DeepLift announces, on every call,
    that it temporarily hooks the model's ReLU modules and removes the hooks
    afterwards. The notice is informational, not a problem in the example, so
    the pages leave it out; the examples say so, and a reader running a script
    sees it. Only this message is filtered: any other warning still shows up on
    the page. Then the clock, the peak-RSS meter and the file recorder start.

    After: they stop, and the run's record is written beside the page
    (:class:`ExampleRun`).
    """
    if when == "before":
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
        FileRecorder.shared().start()
        _Current.rss.start()
        _Current.started = time.perf_counter()
        return
    seconds = time.perf_counter() - _Current.started
    peak = _Current.rss.stop()
    paths = FileRecorder.shared().stop()
    if _Current.target is None:
        return
    run = ExampleRun(
        example=Path(fname).name,
        seconds=seconds,
        peak_rss_bytes=peak,
        rss_method=_Current.rss.method,
        rss_at_start_bytes=_Current.rss.start_bytes,
        provenance=provenance(paths),
    )
    run.write(run_record_path(_Current.target))
    _Current.target = None
