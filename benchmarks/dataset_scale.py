"""Plain Captum, calhouse's engine and torch's own floor, on whole tables: ``nox -s bench``.

For each method of the engine's registry (``calhouse.METHODS``) and for
LayerConductance on the inputs of ``lin4``, three sides attribute every row of the
California housing data (20,640 rows) with the tutorial's model and settings:

plain
    The plain Captum call, as the tutorial makes it (``IntegratedGradients(model)
    .attribute(X, n_steps=50)`` and so on).
calhouse
    :func:`calhouse.attribute_dataset` / :func:`calhouse.layer_conductance_dataset`.
floor
    No Captum and no attribution: torch alone runs the network the same number of
    times as the method needs, forward and backward (forward only for
    FeatureAblation), over batches of the fastest size and threading it finds in
    a short calibration in the same process, on the same number of evaluations
    (2**18 of them for the methods that need more). No attribution of that
    many evaluations can be faster on this machine; ``calhouse / floor`` says
    how close the engine comes.

Each side of each method runs in a process of its own, so that its peak resident
memory (``ru_maxrss``, read at the end of the process) is its own: it includes the
interpreter, torch and the data, about the same on every side. Only the
attribution call is timed, after a warm-up call on 16 rows; with ``--repeat N``
each side makes N calls and keeps the best, which takes out most of the bursts of
other work on a shared machine.

Both attributing sides seed torch's and NumPy's global generators with 0, and
calhouse draws what Captum draws, in its order, so the random methods are compared
draw for draw. The deviation is ``max |calhouse - plain| / max |plain|``.

Timings depend on what else the machine is doing: the load average is printed
before and after every table. ``--busy`` runs the table twice, quiet and then with
a background load of its own (``--busy-processes`` processes, each multiplying
matrices on one thread, all the time or ``--busy-duty`` of it), and prints how much
each side slows down.

Each table also gives the cores each side kept busy: its processor time (all
threads) over its wall-clock time. How much a side can slow down beside the load
depends on it: plain Captum keeps about one core of two busy, so a background
process finds the other one free, while a side that uses both cores has to share
them. Beside the measured slowdowns, the slowdown a fair scheduler would give each
side, from its quiet cores (:func:`fair_share`), says which is which.

``--friedman 20640 1000000`` is the scaling check instead: a network of the
tutorial's shape with 10 inputs (untrained: the timing does not depend on the
weights) on scikit-learn's ``make_friedman1`` data of each size, calhouse and the
floor only, with the time per row and the memory the call adds to the process.

The last line is the summary::

    dataset-scale attribution: <X>x faster than plain Captum, peak RSS <M> MiB, max deviation <d>

where X is plain Captum's total time over the methods divided by calhouse's (quiet),
M the largest calhouse peak. ``python benchmarks/dataset_scale.py --help`` lists the
options (fewer rows or methods while developing).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import torch
from torch import nn

from calhouse import attribution as engine

LAYER = "layer_conductance"
METHODS = (*engine.METHODS, LAYER)
SIDES = ("plain", "calhouse", "floor")
# The tutorial's LayerConductance call: the inputs of lin4, 100 steps.
LAYER_STEPS = 100
# Batch sizes the floor tries, in network evaluations.
FLOOR_BATCHES = (1024, 2048, 4096, 8192, 16384, 32768)
# Evaluations per calibration run of the floor: long enough to time, short enough
# to try every batch size and both ways of threading.
CALIBRATION_EVALUATIONS = 1 << 18
MIB = 1024 * 1024
# Calls shorter than this get no figure of cores (see cores()).
CORES_SECONDS = 0.05


# --- data and models ------------------------------------------------------------


def california(n_rows: int | None) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """The tutorial's model, the first ``n_rows`` rows of the data, the training rows."""
    import calhouse

    model = calhouse.load_model()
    X = torch.from_numpy(calhouse.load_california().X).float()
    return model, (X if n_rows is None else X[:n_rows]), calhouse.load_split().X_train


def friedman(n_rows: int) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """An untrained network of the tutorial's shape with 10 inputs, and Friedman #1 rows."""
    from sklearn.datasets import make_friedman1  # type: ignore[import-untyped]

    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(10, 100), nn.ReLU(), nn.Linear(100, 50), nn.ReLU(),
        nn.Linear(50, 10), nn.ReLU(), nn.Linear(10, 1),
    )  # fmt: skip
    X = torch.from_numpy(make_friedman1(n_rows, n_features=10, random_state=0)[0]).float()
    return model, X, X[:1000].clone()


def layer_of(model: nn.Module) -> str:
    """The layer LayerConductance explains: ``lin4`` (the tutorial's) or the last one."""
    names = [name for name, _ in model.named_modules() if name]
    return "lin4" if "lin4" in names else names[-1]


def evaluations(method: str, n_rows: int, n_features: int) -> tuple[int, bool]:
    """Network evaluations a method needs for ``n_rows`` rows, and whether it needs gradients."""
    if method == LAYER:
        return n_rows * (LAYER_STEPS + 1), True
    if method == "feature_ablation":
        return n_rows * (n_features + 1), False
    spec = engine.METHODS[method]
    return n_rows * spec.evaluations(spec.options), True


# --- the three sides ---------------------------------------------------------------


def plain(method: str, model: nn.Module, X: torch.Tensor, refs: torch.Tensor) -> torch.Tensor:
    """The plain Captum call, after seeding both global generators as calhouse does."""
    import numpy as np
    from captum.attr import LayerConductance

    torch.manual_seed(0)
    np.random.seed(0)
    X = X.detach().clone().requires_grad_()  # the tutorial's X_test.requires_grad_()
    if method == LAYER:
        layer = dict(model.named_modules())[layer_of(model)]
        out = LayerConductance(model, layer).attribute(
            X, n_steps=LAYER_STEPS, attribute_to_layer_input=True
        )
    else:
        spec = engine.METHODS[method]
        baselines = refs if spec.references else None
        out = spec.captum(model).attribute(X, baselines=baselines, **spec.options)
    result: torch.Tensor = out.detach()
    return result


def calhouse_side(
    method: str, model: nn.Module, X: torch.Tensor, refs: torch.Tensor
) -> torch.Tensor:
    """The engine's call."""
    if method == LAYER:
        return engine.layer_conductance_dataset(
            model,
            X,
            layer_of(model),
            n_steps=LAYER_STEPS,
            attribute_to_layer_input=True,
            progress=False,
        )
    baselines = refs if engine.METHODS[method].references else None
    return engine.attribute_dataset(model, X, method, baselines=baselines, seed=0, progress=False)


def network_passes(
    model: nn.Module, n_features: int, n_evaluations: int, config: tuple[int, int], grad: bool
) -> tuple[float, float]:
    """Seconds and processor seconds for ``n_evaluations`` evaluations of ``model``.

    Batches of ``batch`` evaluations, ``config=(batch, workers)``; ``workers`` of
    them run at once, each on one thread (``workers=0``: one batch at a time on all
    of torch's threads).
    """
    batch, workers = config
    sizes = [batch] * (n_evaluations // batch)
    if n_evaluations % batch:
        sizes.append(n_evaluations % batch)
    inputs = {size: torch.rand(size, n_features) for size in set(sizes)}

    def run(size: int) -> None:
        x = inputs[size]
        if grad:
            x = x.clone().requires_grad_()
            torch.autograd.grad(model(x).sum(), x)
        else:
            with torch.no_grad():
                model(x)

    threads = torch.get_num_threads()
    start, cpu = time.perf_counter(), _cpu_seconds()
    if workers == 0:
        for size in sizes:
            run(size)
    else:
        torch.set_num_threads(1)
        try:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(run, sizes))
        finally:
            torch.set_num_threads(threads)
    return time.perf_counter() - start, _cpu_seconds() - cpu


def floor(method: str, model: nn.Module, X: torch.Tensor, repeat: int) -> dict[str, Any]:
    """The floor's ``seconds`` for ``method`` on ``X`` (best of ``repeat``), and how it ran.

    Also its processor seconds (``cpu_seconds``, all threads) in that best run.
    """
    n_evaluations, grad = evaluations(method, *X.shape)
    n_features = X.shape[1]
    configs = [(b, w) for b in FLOOR_BATCHES for w in (0, torch.get_num_threads())]
    # The fastest way depends on the number of evaluations (a few large batches
    # spread badly over the threads): calibrate on the method's own number, up to
    # CALIBRATION_EVALUATIONS. When the calibration ran them all, its time counts.
    calibration = min(n_evaluations, CALIBRATION_EVALUATIONS)
    timed = {
        config: network_passes(model, n_features, calibration, config, grad) for config in configs
    }
    batch, workers = min(timed, key=timed.__getitem__)
    runs = [
        network_passes(model, n_features, n_evaluations, (batch, workers), grad)
        for _ in range(repeat)
    ]
    if calibration == n_evaluations:
        runs.append(timed[batch, workers])
    seconds, cpu_seconds = min(runs)
    how = f"{batch} per batch, " + (
        f"{workers} at once on 1 thread each" if workers else f"{torch.get_num_threads()} threads"
    )
    return {"seconds": seconds, "cpu_seconds": cpu_seconds, "how": how}


# --- one side of one method, in a process of its own ----------------------------------


def _vm_status(field: str) -> float | None:
    """A ``/proc/self/status`` memory figure in MiB (Linux), or None."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _cpu_seconds() -> float:
    """Processor time this process has used so far, all its threads, user and system.

    The process clock, to the nanosecond on Linux (``getrusage`` counts in ticks of
    the scheduler, too coarse for a call of a few milliseconds); it includes
    threads that have ended.
    """
    return time.process_time()


def _reset_peak() -> bool:
    """Reset the kernel's record of this process's peak RSS (Linux 4.0+)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def worker(
    side: str, method: str, data: str, n_rows: int | None, *, repeat: int, out: Path
) -> None:
    """Time one side of one method in this process; print its figures as JSON.

    The time is the best of ``repeat`` calls, with that call's processor time;
    the memory figures are the first call's.
    """
    warnings.simplefilter("ignore")  # Captum's per-call notices are not the subject here
    if data == "friedman":
        model, X, refs = friedman(n_rows or 20_640)
    else:
        model, X, refs = california(n_rows)
    figures: dict[str, Any] = {"rows": X.shape[0], "load": os.getloadavg()[0]}
    if side == "floor":
        figures.update(floor(method, model, X, repeat))
        result = None
    else:
        run = plain if side == "plain" else calhouse_side
        run(method, model, X[:16], refs)
        rss_before = _vm_status("VmRSS")
        reset = _reset_peak()
        start, cpu = time.perf_counter(), _cpu_seconds()
        result = run(method, model, X, refs)
        runs = [(time.perf_counter() - start, _cpu_seconds() - cpu)]
        if reset and rss_before is not None:
            figures["call_mib"] = (_vm_status("VmHWM") or 0.0) - rss_before
        for _ in range(repeat - 1):
            start, cpu = time.perf_counter(), _cpu_seconds()
            run(method, model, X, refs)
            runs.append((time.perf_counter() - start, _cpu_seconds() - cpu))
        figures["seconds"], figures["cpu_seconds"] = min(runs)
        figures["output_mib"] = result.numel() * result.element_size() / MIB
    figures["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB
    if result is not None and data != "friedman":
        torch.save(result, out)
    print(json.dumps(figures))


def run_worker(
    side: str, method: str, data: str, n_rows: int | None, *, repeat: int, out: Path
) -> dict[str, Any]:
    """One side of one method in a new process."""
    command = [sys.executable, __file__, "--worker", side, method, data, "--out", str(out)]
    command += ["--repeat", str(repeat)]
    if n_rows is not None:
        command += ["--rows", str(n_rows)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{side} {method} failed (exit status {done.returncode}):\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


# --- background load ----------------------------------------------------------------

# Multiplies matrices on one thread for ``duty`` of every tenth of a second, and
# sleeps for the rest of it.
BUSY_LOOP = """
import sys, time
import torch
torch.set_num_threads(1)
duty = float(sys.argv[1])
a = torch.rand(256, 256)
while True:
    end = time.perf_counter() + 0.1 * duty
    while time.perf_counter() < end:
        a = torch.tanh(a @ a)
    if duty < 1:
        time.sleep(0.1 * (1 - duty))
"""


@dataclass(frozen=True)
class Load:
    """The benchmark's background load: ``processes`` of one thread, each working ``duty``."""

    processes: int
    duty: float = 1.0

    def __str__(self) -> str:
        share = "all the time" if self.duty == 1 else f"{self.duty:.0%} of the time"
        return f"{self.processes} background process(es) of one thread, working {share}"


@contextmanager
def background_load(load: Load) -> Iterator[None]:
    """The load's processes, multiplying matrices; stopped on leaving."""
    command = [sys.executable, "-c", BUSY_LOOP, str(load.duty)]
    processes = [subprocess.Popen(command) for _ in range(load.processes)]
    try:
        time.sleep(2.0)  # let them start and take their cores
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait()


def load_line() -> str:
    """The load average, to print beside every measurement."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


# --- the tables -----------------------------------------------------------------------


def measure(
    methods: Sequence[str], n_rows: int | None, load: Load | None, repeat: int
) -> dict[str, dict[str, dict[str, Any]]]:
    """Every side of every method, quiet and (with a ``load``) then busy at once.

    Each busy measurement follows its quiet one directly, so that both see about
    the same load from the rest of the machine.
    """
    conditions = ("quiet", "busy") if load else ("quiet",)
    figures: dict[str, dict[str, dict[str, Any]]] = {c: {} for c in conditions}
    with tempfile.TemporaryDirectory(prefix="calhouse-bench-") as tmp:
        for method in methods:
            for condition in conditions:
                figures[condition][method] = {}
            for side in SIDES:
                for condition in conditions:
                    path = Path(tmp) / f"{condition}-{side}-{method}.pt"
                    if load and condition == "busy":
                        with background_load(load):
                            got = run_worker(
                                side, method, "california", n_rows, repeat=repeat, out=path
                            )
                    else:
                        got = run_worker(
                            side, method, "california", n_rows, repeat=repeat, out=path
                        )
                    if side != "floor":
                        got["result"] = torch.load(path, weights_only=True)
                    figures[condition][method][side] = got
                    print(
                        f"  {condition:<5} {side:<8} {method:<22} {got['seconds']:8.3f} s, "
                        f"load {got['load']:.2f}",
                        file=sys.stderr,
                        flush=True,
                    )
            for condition in conditions:
                row = figures[condition][method]
                expected, ours = row["plain"].pop("result"), row["calhouse"].pop("result")
                row["deviation"] = float((ours - expected).abs().max() / expected.abs().max())
    return figures


def cores(figures: dict[str, Any]) -> float | None:
    """Processor cores a side kept busy on average: processor time over wall-clock time.

    None for a call shorter than :data:`CORES_SECONDS`: the other threads' processor
    time reaches the process clock at the scheduler's ticks (a few milliseconds).
    """
    if figures["seconds"] < CORES_SECONDS:
        return None
    return float(figures["cpu_seconds"] / figures["seconds"])


def shown(value: float | None, suffix: str = "") -> str:
    """A figure with two decimals, or a dash for one that was not measured."""
    return "-" if value is None else f"{value:.2f}{suffix}"


def fair_share(cores_quiet: float | None, load: Load, n_cpus: int) -> float | None:
    """The slowdown a fair scheduler gives a side that keeps ``cores_quiet`` cores busy.

    A model, not a measurement, and not a bound: the side as ``ceil(cores_quiet)``
    threads, each wanting an equal part of it; the load's processes working together
    for ``duty`` of the time, each wanting a whole core then, and nothing in
    between; and a scheduler that shares the ``n_cpus`` processors fairly between
    runnable threads (max-min fairness, as Linux shares them): a thread that wants
    less than an equal share gets what it wants, and the others split the rest. It
    leaves out caches and memory bandwidth, which the load also shares, and how the
    scheduler favours threads that wake from sleep.
    """
    if cores_quiet is None or cores_quiet <= 0:
        return None
    threads = max(1, math.ceil(cores_quiet))
    each = cores_quiet / threads
    wants = sorted([each] * threads + [1.0] * load.processes)
    # Water-filling: the threads that want less than an equal share of what is left
    # get what they want; the others get an equal share of the rest, ``level``.
    left, level = float(n_cpus), math.inf
    for rank, want in enumerate(wants):
        share = left / (len(wants) - rank)
        if want > share:
            level = share
            break
        left -= want
    while_working = threads * min(each, level)  # the side's cores while the load works
    return cores_quiet / (load.duty * while_working + (1 - load.duty) * cores_quiet)


def table(figures: dict[str, dict[str, Any]], title: str) -> None:
    """Print the figures of every method, a row each, and the totals."""
    print(title)
    header = (
        f"{'method':<22}{'plain s':>9}{'calhouse s':>11}{'floor s':>9}{'plain /':>10}"
        f"{'calhouse /':>11}{'plain':>9}{'calhouse':>9}{'max':>10}{'cores':>20}"
        f"{'load (1 min)':>16}"
    )
    header2 = (
        f"{'':<22}{'':>9}{'':>11}{'':>9}{'calhouse':>10}{'floor':>11}"
        f"{'peak MiB':>9}{'peak MiB':>9}{'deviation':>10}{'p / c / f':>20}{'p / c / f':>16}"
        "  floor's batches"
    )
    print(header)
    print(header2)
    print("-" * len(header2))
    for method, row in figures.items():
        p, c, f = (row[side]["seconds"] for side in SIDES)
        used = " / ".join(shown(cores(row[side])) for side in SIDES)
        loads = " / ".join(f"{row[side]['load']:.1f}" for side in SIDES)
        print(
            f"{method:<22}{p:>9.2f}{c:>11.3f}{f:>9.3f}{p / c:>9.1f}x{c / f:>10.2f}x"
            f"{row['plain']['peak_mib']:>9.0f}{row['calhouse']['peak_mib']:>9.0f}"
            f"{row['deviation']:>10.1e}{used:>20}{loads:>16}  {row['floor']['how']}"
        )
    totals = {side: sum(row[side]["seconds"] for row in figures.values()) for side in SIDES}
    print("-" * len(header2))
    print(
        f"{'total':<22}{totals['plain']:>9.2f}{totals['calhouse']:>11.3f}"
        f"{totals['floor']:>9.3f}{totals['plain'] / totals['calhouse']:>9.1f}x"
        f"{totals['calhouse'] / totals['floor']:>10.2f}x"
    )
    if "integrated_gradients" in figures and "noise_tunnel" in figures:
        ratio = (
            figures["noise_tunnel"]["calhouse"]["seconds"]
            / figures["integrated_gradients"]["calhouse"]["seconds"]
        )
        print(f"calhouse's NoiseTunnel takes {ratio:.2f}x the time of its IG")
    print(
        "cores: processor time of all the side's threads over its wall-clock time, "
        f"out of {os.cpu_count()} CPUs"
    )
    print()


def slowdowns(
    quiet: dict[str, dict[str, Any]], busy: dict[str, dict[str, Any]], load: Load
) -> None:
    """How much each side slowed down under the background load, and by the model.

    The model is :func:`fair_share` of the cores the side kept busy when quiet.
    """
    n_cpus = os.cpu_count() or 1
    print("slowdown with the background load (busy time / quiet time)")
    print(f"{'':<22}{'measured':>27}{'fair share (model)':>27}")
    print(f"{'method':<22}" + f"{'plain':>9}{'calhouse':>9}{'floor':>9}" * 2)
    model = {
        method: [fair_share(cores(quiet[method][s]), load, n_cpus) for s in SIDES]
        for method in quiet
    }
    for method in quiet:
        measured = [busy[method][s]["seconds"] / quiet[method][s]["seconds"] for s in SIDES]
        cells = [shown(value, "x") for value in (*measured, *model[method])]
        print(f"{method:<22}" + "".join(f"{cell:>9}" for cell in cells))
    # The totals: busy seconds over quiet seconds, measured and as the model has
    # them (each method's quiet seconds times its slowdown by the model).
    measured, predicted = [], []
    for i, side in enumerate(SIDES):
        quiet_seconds = sum(quiet[m][side]["seconds"] for m in quiet)
        measured.append(sum(busy[m][side]["seconds"] for m in quiet) / quiet_seconds)
        factors = [(quiet[m][side]["seconds"], model[m][i]) for m in quiet]
        if all(factor is not None for _, factor in factors):
            predicted.append(sum(t * cast(float, f) for t, f in factors) / quiet_seconds)
        else:
            predicted.append(None)
    cells = [shown(value, "x") for value in (*measured, *predicted)]
    print(f"{'total':<22}" + "".join(f"{cell:>9}" for cell in cells))
    print(
        f"fair share: the {n_cpus} CPUs shared fairly between the load's threads and the "
        "side's (its quiet cores), ignoring caches, memory bandwidth and wake-ups\n"
    )


def scaling(methods: Sequence[str], sizes: Sequence[int], repeat: int) -> None:
    """The engine and the floor on Friedman tables of each size: time per row, memory.

    Besides the wall-clock time per row, the processor time per row (all threads):
    other work on the machine lengthens the first much more than the second, so
    the second shows best whether the engine's cost per row grows with the table.
    """
    print(f"scaling: make_friedman1 rows, 10 features; start: {load_line()}")
    print(
        f"{'method':<22}{'rows':>10}{'calhouse s':>11}{'us/row':>8}{'vs first':>9}"
        f"{'cpu us/row':>11}{'vs first':>9}{'floor s':>9}{'calhouse /':>11}"
        f"{'call adds':>10}{'output':>8}{'peak':>6}{'load':>6}"
    )
    print(f"{'':<22}{'':>10}{'':>11}{'':>8}{'':>9}{'':>11}{'':>9}{'':>9}{'floor':>11}", end="")
    print(f"{'MiB':>10}{'MiB':>8}{'MiB':>6}")
    with tempfile.TemporaryDirectory(prefix="calhouse-bench-") as tmp:
        for method in methods:
            first: tuple[float, float] | None = None
            for n_rows in sizes:
                ours = run_worker(
                    "calhouse", method, "friedman", n_rows, repeat=repeat, out=Path(tmp) / "x"
                )
                base = run_worker(
                    "floor", method, "friedman", n_rows, repeat=repeat, out=Path(tmp) / "y"
                )
                per_row = ours["seconds"] / n_rows * 1e6
                cpu_per_row = ours["cpu_seconds"] / n_rows * 1e6
                first = first or (per_row, cpu_per_row)
                print(
                    f"{method:<22}{n_rows:>10,}{ours['seconds']:>11.2f}{per_row:>8.2f}"
                    f"{per_row / first[0]:>8.2f}x{cpu_per_row:>11.2f}"
                    f"{cpu_per_row / first[1]:>8.2f}x{base['seconds']:>9.2f}"
                    f"{ours['seconds'] / base['seconds']:>10.2f}x"
                    f"{ours.get('call_mib', float('nan')):>10.0f}{ours['output_mib']:>8.0f}"
                    f"{ours['peak_mib']:>6.0f}{ours['load']:>6.1f}",
                    flush=True,
                )
    print(f"end: {load_line()}")
    print(
        "cpu: processor time of all the call's threads. 'call adds': the process's peak "
        "resident memory during the call minus its resident memory before it (data and "
        "model loaded)."
    )


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print the tables and the summary line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--rows", type=int, default=None, help="only the first N rows")
    parser.add_argument(
        "--busy", action="store_true", help="run again with a background load of its own"
    )
    parser.add_argument(
        "--busy-processes", type=int, default=1, help="processes of background load (default 1)"
    )
    parser.add_argument(
        "--busy-duty",
        type=float,
        default=1.0,
        help="share of the time each background process works, in (0, 1] (default 1: "
        "all the time; 0.5: lighter work)",
    )
    parser.add_argument(
        "--friedman",
        type=int,
        nargs="+",
        metavar="ROWS",
        help="scaling check on make_friedman1 tables of these sizes (e.g. 20640 1000000)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="time every side N times in its process and keep the best (default 1)",
    )
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not (0 < args.busy_duty <= 1) or args.busy_processes < 1:
        parser.error("--busy-duty takes a share in (0, 1], --busy-processes a count of 1 or more")
    if args.worker:
        side, method, data = args.worker
        if side not in SIDES or method not in METHODS or data not in ("california", "friedman"):
            parser.error(f"--worker takes a side in {SIDES} and a method in {METHODS}")
        worker(side, method, data, args.rows, repeat=args.repeat, out=args.out)
        return 0

    import captum

    print(
        f"torch {torch.__version__}, captum {captum.__version__}, "
        f"{torch.get_num_threads()} torch threads, Python {platform.python_version()}, "
        f"{platform.processor() or platform.machine()}, torch's CPU kernels: "
        f"{torch.backends.cpu.get_cpu_capability()} (ATEN_CPU_CAPABILITY lowers them)"
    )
    if args.friedman:
        scaling(args.methods, args.friedman, args.repeat)
        return 0
    rows = "all 20,640" if args.rows is None else f"the first {args.rows}"
    print(f"{rows} rows, the tutorial's model; one process per side and method", end="")
    print(f", best of {args.repeat} calls each" if args.repeat > 1 else "")
    load = Load(args.busy_processes, args.busy_duty) if args.busy else None
    if load:
        print(f"each measurement quiet, then at once again beside {load} (multiplying matrices)")
    print(f"start: {load_line()}\n")
    figures = measure(args.methods, args.rows, load, args.repeat)
    quiet = figures["quiet"]
    table(quiet, "quiet (no load of the benchmark's own)")
    if load:
        table(figures["busy"], f"busy ({load})")
        slowdowns(quiet, figures["busy"], load)
        ratio = sum(figures["busy"][m]["plain"]["seconds"] for m in quiet) / sum(
            figures["busy"][m]["calhouse"]["seconds"] for m in quiet
        )
        print(f"with the background load: {ratio:.1f}x faster than plain Captum")
    print(f"end: {load_line()}")
    plain_total = sum(quiet[m]["plain"]["seconds"] for m in quiet)
    ours_total = sum(quiet[m]["calhouse"]["seconds"] for m in quiet)
    peak = max(quiet[m]["calhouse"]["peak_mib"] for m in quiet)
    deviation = max(quiet[m]["deviation"] for m in quiet)
    print(
        f"dataset-scale attribution: {plain_total / ours_total:.1f}x faster than plain Captum, "
        f"peak RSS {peak:.0f} MiB, max deviation {deviation:.1e}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
