"""The benchmark script (``nox -s bench``): its model of a shared processor, and a short run."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "dataset_scale.py"


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("dataset_scale", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


@pytest.mark.parametrize(
    ("cores", "background", "n_cpus", "slowdown"),
    [
        (2.0, 1, 2, 1.5),  # two threads and one more on two processors: 4/3 of a core
        (1.0, 1, 2, 1.0),  # one core's worth, and a free core for the load
        (1.09, 1, 2, 1.0),  # plain Captum's IG: two threads of 0.55 core, 0.91 left for each
        (1.94, 1, 2, 1.94 / (4 / 3)),  # the engine's IG: 4/3 of a core, not its 1.94
        (4.0, 1, 4, 1.25),  # four threads, one more: 4/5 of a core each
        (2.0, 3, 2, 2.5),  # 2 of 5 shares of two processors
        (1.0, 0, 2, 1.0),  # no load
        (0.5, 2, 2, 1.0),  # a side that waits half the time gets what it asks
        (1.5, 2, 2, 1.5 / (2 * 2 / 4)),  # 2 threads of 0.75: over the 0.5 share left
    ],
)
def test_fair_share(
    bench: ModuleType, cores: float, background: int, n_cpus: int, slowdown: float
) -> None:
    assert bench.fair_share(cores, bench.Load(background), n_cpus) == pytest.approx(slowdown)


@pytest.mark.parametrize(
    ("cores", "load", "n_cpus", "slowdown"),
    [
        # Half the time beside a whole-core process (4/3 of a core), half the time alone.
        (2.0, (1, 0.5), 2, 2 / (0.5 * 4 / 3 + 0.5 * 2)),
        (2.0, (1, 0.8), 2, 2 / (0.8 * 4 / 3 + 0.2 * 2)),
        (2.0, (2, 0.25), 2, 2 / (0.25 * 1 + 0.75 * 2)),  # two processes: half a core each
        (1.0, (2, 0.5), 2, 1 / (0.5 * 2 / 3 + 0.5 * 1)),
        (0.5, (1, 0.5), 2, 1.0),  # the load leaves a core, the side wants half of one
    ],
)
def test_fair_share_with_a_lighter_load(
    bench: ModuleType, cores: float, load: tuple[int, float], n_cpus: int, slowdown: float
) -> None:
    assert bench.fair_share(cores, bench.Load(*load), n_cpus) == pytest.approx(slowdown)


def test_cores_is_processor_over_wall_clock_time(bench: ModuleType) -> None:
    assert bench.cores({"seconds": 2.0, "cpu_seconds": 3.0}) == 1.5
    assert bench.cores({"seconds": 0.01, "cpu_seconds": 0.07}) is None  # too short to tell
    assert bench.fair_share(None, bench.Load(1), 2) is None
    assert bench.fair_share(0.0, bench.Load(1), 2) is None  # no processor time read


def test_short_run_prints_every_table(raw_file: Path) -> None:
    """One method on 40 rows, quiet and busy: the columns and the summary line."""
    env = {**os.environ, "CALHOUSE_DATA": str(raw_file)}
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--rows",
            "40",
            "--methods",
            "deeplift",
            "--busy",
            "--busy-duty",
            "0.5",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "beside 1 background process(es) of one thread, working 50% of the time" in out
    assert re.search(r"torch's CPU kernels: (DEFAULT|AVX2|AVX512|\w+)", out)
    number = r"\d+\.\d+"
    # Each table's row: times, ratios, peaks, deviation, cores and load of the three sides.
    # Calls on 40 rows are too short for a figure of cores: a dash for each side.
    rows = re.findall(rf"^deeplift .* {number}e[-+]\d+ +- / - / - +{number} / ", out, re.MULTILINE)
    assert len(rows) == 2, out  # quiet and busy
    slowdown = re.search(rf"^deeplift(?: +{number}x){{3}}(?: +-){{3}}$", out, re.MULTILINE)
    assert slowdown, out
    assert re.search(
        rf"^dataset-scale attribution: {number}x faster than plain Captum, "
        rf"peak RSS \d+ MiB, max deviation {number}e[-+]\d+$",
        out,
        re.MULTILINE,
    )
