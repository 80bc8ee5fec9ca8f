"""Plain Captum against :mod:`calhouse.scale` on all 20,640 districts: ``nox -s bench``.

For each of the tutorial's methods (and LayerConductance on the inputs of ``lin4``)
both sides attribute every row of the California housing data with the tutorial's
model and settings: plain Captum as the tutorial calls it, then
:func:`calhouse.attribute_dataset` / :func:`calhouse.layer_conductance_dataset`.
Each side of each method runs in a process of its own, so that its peak resident
memory (``ru_maxrss``, read at the end of the process) is its own: it includes the
interpreter, torch and the data, about the same on both sides. Only the attribution
call is timed, after a warm-up call on 16 rows on both sides.

Both sides seed torch's and NumPy's global generators with 0, and calhouse draws
what Captum draws, in its order, so the random methods are compared draw for draw.
The deviation is ``max |calhouse - plain| / max |plain|`` for every method.

The last line is the summary::

    dataset-scale attribution: <X>x faster than plain Captum, peak RSS <M> MiB, max deviation <d>

where X is plain Captum's total time over the methods divided by calhouse's, M the
largest calhouse peak. Timings depend on what else the machine is doing: the load
average is printed at the start and the end.

Run ``python benchmarks/dataset_scale.py --help`` for the options (fewer rows or
methods while developing).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

METHODS = (
    "integrated_gradients",
    "noise_tunnel",
    "deeplift",
    "gradient_shap",
    "feature_ablation",
    "layer_conductance",
)
SIDES = ("plain", "calhouse")


def _load(n_rows: int | None):
    import torch

    import calhouse

    model = calhouse.load_or_train_model("tutorial", log=None)
    X = torch.from_numpy(calhouse.load_california().X).float()
    X_train = calhouse.load_split().X_train
    return model, (X if n_rows is None else X[:n_rows]), X_train


def _plain(method: str, model, X, X_train):
    """The tutorial's own Captum calls on all rows, after seeding both generators."""
    import numpy as np
    import torch
    from captum.attr import (
        DeepLift,
        FeatureAblation,
        GradientShap,
        IntegratedGradients,
        LayerConductance,
        NoiseTunnel,
    )

    torch.manual_seed(0)
    np.random.seed(0)
    X = X.detach().clone().requires_grad_()  # the tutorial's X_test.requires_grad_()
    if method == "integrated_gradients":
        out = IntegratedGradients(model).attribute(X, n_steps=50)
    elif method == "noise_tunnel":
        out = NoiseTunnel(IntegratedGradients(model)).attribute(X)
    elif method == "deeplift":
        out = DeepLift(model).attribute(X)
    elif method == "gradient_shap":
        out = GradientShap(model).attribute(X, X_train)
    elif method == "feature_ablation":
        out = FeatureAblation(model).attribute(X)
    else:
        out = LayerConductance(model, model.lin4).attribute(
            X, n_steps=100, attribute_to_layer_input=True
        )
    return out.detach()


def _calhouse(method: str, model, X, X_train):
    import calhouse

    if method == "layer_conductance":
        return calhouse.layer_conductance_dataset(model, X, "lin4", n_steps=100, progress=False)
    baselines = X_train if method == "gradient_shap" else None
    return calhouse.attribute_dataset(model, X, method, baselines=baselines, seed=0, progress=False)


def worker(side: str, method: str, n_rows: int | None, out: Path) -> None:
    """Time one side of one method in this process; print its figures as JSON."""
    import torch

    warnings.simplefilter("ignore")  # Captum's per-call notices are not the subject here
    model, X, X_train = _load(n_rows)
    run = _plain if side == "plain" else _calhouse
    run(method, model, X[:16], X_train)
    start = time.perf_counter()
    result = run(method, model, X, X_train)
    seconds = time.perf_counter() - start
    torch.save(result, out)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"seconds": seconds, "peak_mib": peak_mib}))


def _run_worker(side: str, method: str, n_rows: int | None, out: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--worker", side, method, "--out", str(out)]
    if n_rows is not None:
        command += ["--rows", str(n_rows)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{side} {method} failed (exit status {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _load_line() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print the table and the summary line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--rows", type=int, default=None, help="only the first N rows")
    parser.add_argument("--worker", nargs=2, metavar=("SIDE", "METHOD"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        side, method = args.worker
        if side not in SIDES or method not in METHODS:
            parser.error(f"--worker takes a side in {SIDES} and a method in {METHODS}")
        worker(side, method, args.rows, args.out)
        return 0

    import captum
    import torch

    print(
        f"torch {torch.__version__}, captum {captum.__version__}, "
        f"{torch.get_num_threads()} torch threads, Python {platform.python_version()}"
    )
    print(f"start: {_load_line()}")
    rows = "all 20,640" if args.rows is None else f"the first {args.rows}"
    print(f"{rows} rows, the tutorial's model; one process per side and method\n")
    header = (
        f"{'method':<22}{'plain s':>9}{'calhouse s':>12}{'ratio':>8}"
        f"{'plain peak MiB':>16}{'calhouse peak MiB':>19}{'max deviation':>15}  measured as"
    )
    print(header)
    print("-" * len(header))
    totals = {"plain": 0.0, "calhouse": 0.0}
    peaks: list[float] = []
    deviations: list[float] = []
    with tempfile.TemporaryDirectory(prefix="calhouse-bench-") as tmp:
        for method in args.methods:
            figures, results = {}, {}
            for side in SIDES:
                path = Path(tmp) / f"{side}-{method}.pt"
                figures[side] = _run_worker(side, method, args.rows, path)
                results[side] = torch.load(path, weights_only=True)
                totals[side] += figures[side]["seconds"]
            plain, ours = results["plain"], results["calhouse"]
            deviation = float((ours - plain).abs().max() / plain.abs().max())
            peaks.append(figures["calhouse"]["peak_mib"])
            deviations.append(deviation)
            how = (
                "rel. to max |attr|, same draws (seed 0)"
                if method in ("noise_tunnel", "gradient_shap")
                else "rel. to max |attr|"
            )
            print(
                f"{method:<22}{figures['plain']['seconds']:>9.2f}"
                f"{figures['calhouse']['seconds']:>12.3f}"
                f"{figures['plain']['seconds'] / figures['calhouse']['seconds']:>7.1f}x"
                f"{figures['plain']['peak_mib']:>16.0f}{figures['calhouse']['peak_mib']:>19.0f}"
                f"{deviation:>15.1e}  {how}",
                flush=True,
            )
    print("-" * len(header))
    print(
        f"{'total':<22}{totals['plain']:>9.2f}{totals['calhouse']:>12.3f}"
        f"{totals['plain'] / totals['calhouse']:>7.1f}x"
    )
    print(f"\nend: {_load_line()}")
    print(
        f"dataset-scale attribution: {totals['plain'] / totals['calhouse']:.1f}x faster than "
        f"plain Captum, peak RSS {max(peaks):.0f} MiB, max deviation {max(deviations):.1e}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
