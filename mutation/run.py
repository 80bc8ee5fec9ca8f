#!/usr/bin/env python3
"""Mutation testing of calhouse/ with mutmut: how many planted bugs the tests catch.

``nox -s mutants`` runs this script. It copies the sources into a scratch folder
(mutmut writes its mutated copy, ``mutants/``, beside them), mutates every module
of ``calhouse/`` except those being removed, and for each mutant runs only the
tests that call the mutated function (mutmut records which tests call which
function in a first run). The docs' tests and the slow bit-exact training runs are
left out: see :data:`DESELECTED`. At the end it prints the share of
non-equivalent mutants that the tests kill and lists the survivors.

A mutant that cannot change behaviour (an "equivalent" mutant) is recorded in
``mutation/equivalent.toml`` with the line it changes and why; a recorded line
that no longer matches the mutant's diff is reported and not counted as equivalent.

Usage::

    python mutation/run.py --work DIR [--max-children N] [--fail-under PCT] [--keep] [NAME ...]

NAMEs (mutant names or globs, as ``mutmut results`` prints them) rerun those
mutants only, in a kept work folder (``--keep``), after a full run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT = Path(__file__).resolve().parent / "equivalent.toml"

# The command line's entry point (two lines that call cli.main).
SKIPPED_MODULES = ("__main__.py",)

# Tests not run against mutants. The docs' tests exercise the docs build's tooling and
# run every example as a script (minutes); the bit-exact reproduction tests retrain the
# shipped models in full in pinned arithmetic (a minute or more each), and their
# portable counterparts (tests/test_train.py's short runs, tests/test_behaviour.py) stay.
DESELECTED = (
    "tests/test_docs.py",
    "tests/test_docs_build.py",
    # The benchmark script's own tests (benchmarks/ is not copied into the work folder).
    "tests/test_benchmark.py",
    # Runs every bad input in two fresh processes (over a minute), for every mutant of
    # the code its set-up touches; each input's error is also checked in this process
    # by the tests of its module.
    "tests/test_bad_input.py",
    # The docstring examples: they show calls (one trains the tutorial's recipe for
    # 200 epochs, one trains in a child process); the tests of each module check them.
    "tests/test_api.py::test_docstring_examples_run",
    # Reads the source files, which mutmut rewrites (each module grows several-fold).
    "tests/test_api.py::test_a_module_is_short_and_has_no_appended_sections",
    "tests/test_train.py::test_pinned_training_gives_the_shipped_bytes",
    "tests/test_train.py::test_pinned_training_tells_the_tutorials_story",
    "tests/test_train.py::test_load_or_train_loads_once_trained",
    "tests/test_train.py::test_pinned_bytes_do_not_depend_on_the_callers_kernels",
    "tests/test_train.py::test_without_pinning_the_bytes_depend_on_the_kernels",
    "tests/test_train.py::test_other_shipped_recipes_give_their_shipped_bytes",
)

# What the server that forks each mutant's test run imports first (nothing that
# computes with torch): the libraries, and calhouse (mutated, its calls decided later).
PRELOAD = (
    "numpy",
    "scipy.stats",
    "torch",
    "captum.attr",
    "sklearn.datasets",
    "sklearn.model_selection",
    "sklearn.inspection",
    "matplotlib.pyplot",
    "tqdm",
    "pytest",
    "calhouse",
    "calhouse.cli",
)

# Statuses that mean the tests noticed the mutant (a timeout: it never finished).
CAUGHT = ("killed", "timeout", "segfault")
# The status of a mutant mutmut has made but not run yet.
NOT_RUN = "not checked"


def modules_to_mutate() -> list[str]:
    """Every module of calhouse/ but its entry point."""
    return [
        f"calhouse/{path.name}"
        for path in sorted((ROOT / "calhouse").glob("*.py"))
        if path.name not in SKIPPED_MODULES
    ]


def toml_list(values: list[str] | tuple[str, ...]) -> str:
    """A TOML array of strings."""
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def write_settings(work: Path, modules: list[str]) -> None:
    """The project's pyproject.toml in ``work``, with mutmut's settings for ``modules``."""
    # A whole file is not even collected (the docs' tests import the docs' modules).
    deselect = [
        arg for test in DESELECTED for arg in ("--deselect" if "::" in test else "--ignore", test)
    ]
    settings = f"""

[tool.mutmut]
source_paths = ["calhouse/"]
only_mutate = {toml_list(modules)}
also_copy = ["models/"]
pytest_add_cli_args_test_selection = ["tests/"]
pytest_add_cli_args = {toml_list(["-p", "no:cacheprovider", *deselect])}
# Fork each mutant's test run from a server that has imported the libraries but run
# nothing: a process forked from one that used torch's OpenMP threads hangs in its
# first parallel operation (and the test modules compute tensors when imported).
process_isolation = "forkserver"
forkserver_warmup = "import"
preload_modules_file = "preload.txt"
# A mutant's tests may take (estimate + timeout_constant) * timeout_multiplier seconds
# before it counts as a timeout (an endless loop): the estimate counts the tests' calls
# only, not their fixtures (the data, parsed in each new test session), on a busy machine.
timeout_constant = 8.0
"""
    text = (ROOT / "pyproject.toml").read_text()
    (work / "pyproject.toml").write_text(text + settings)


def stage(work: Path, modules: list[str]) -> None:
    """A fresh copy of the sources in ``work``, with mutmut's settings in its pyproject.toml."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
    for name in ("calhouse", "tests", "models"):
        shutil.copytree(ROOT / name, work / name, ignore=skip)
    write_settings(work, modules)
    (work / "preload.txt").write_text("\n".join(PRELOAD) + "\n")
    # Processes the tests start inherit the mutant under test, as they should, but
    # while mutmut records which tests call which function ("stats") their calls
    # cannot be recorded (and mutmut's recorder needs its settings in the working
    # directory): they run the original code then.
    (work / "site").mkdir()
    # mutmut fills mutants/ later, but a folder on PYTHONPATH that is missing when
    # Python starts stays unsearched (importlib caches the miss).
    (work / "mutants").mkdir()
    (work / "site" / "sitecustomize.py").write_text(
        "import os\n"
        "if os.environ.get('MUTANT_UNDER_TEST') == 'stats':\n"
        "    os.environ['MUTANT_UNDER_TEST'] = ''\n"
    )


def mutmut(work: Path, *args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
    """Run a mutmut command in ``work``."""
    command = [str(Path(sys.executable).with_name("mutmut")), *args]
    # Child processes the tests start (python -m calhouse, the pinned training)
    # import the mutated copy too, with the mutant under test in their environment.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(work / d) for d in ("mutants", "site"))}
    return subprocess.run(
        command, cwd=work, env=env, text=True, capture_output=capture, check=not capture
    )


def results(work: Path) -> dict[str, str]:
    """Every mutant's status, by name."""
    out = mutmut(work, "results", "--all", "true", capture=True)
    if out.returncode != 0:
        sys.exit(f"mutmut results failed:\n{out.stderr}")
    found = {}
    for line in out.stdout.splitlines():
        match = re.fullmatch(r"\s+(\S+): (.+)", line)
        if match:
            found[match[1]] = match[2]
    return found


def diff_lines(work: Path, name: str) -> tuple[list[str], list[str]]:
    """The lines a mutant removes and those it adds, from its diff (``mutmut show``)."""
    diff = mutmut(work, "show", name, capture=True).stdout.splitlines()
    removed = [x[1:].strip() for x in diff if x.startswith("-") and not x.startswith("---")]
    added = [x[1:].strip() for x in diff if x.startswith("+") and not x.startswith("+++")]
    return removed, added


def changed_lines(work: Path, name: str) -> list[str]:
    """The lines a mutant adds, from its diff (``mutmut show``)."""
    return diff_lines(work, name)[1]


# A device, as calhouse's code names one: ``device``, ``job.device``, ``self.device``,
# ``dev``...
DEVICE = re.compile(r"\b(?:\w+\.)?(?:device|dev)\b")


def moves_to_another_device_only(removed: list[str], added: list[str]) -> bool:
    """Whether a mutant only drops the device a tensor or model is moved to.

    Such a mutant names no device (``None``) where the code names one, or drops a
    ``device=`` argument: everything then stays on the CPU. On a machine without
    an accelerator every tensor is there already, so the tests cannot tell; with
    one, the device tests (tests/test_attribution.py, CUDA) kill them.
    """
    if len(removed) != 1 or len(added) != 1:
        return False
    before, after = removed[0], added[0]
    variants = set()
    for match in DEVICE.finditer(before):
        head, tail = before[: match.start()], before[match.end() :]
        variants.add(head + "None" + tail)
        if head.endswith("device="):  # the keyword argument dropped
            variants.add(head[: -len("device=")] + tail.removeprefix(", "))
    return after in variants


def accelerator_available() -> bool:
    """Whether torch sees a CUDA device here (tensors could then live elsewhere than the CPU)."""
    import torch

    return bool(torch.cuda.is_available())


def judged_equivalent(work: Path, status: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The mutants of equivalent.toml that still match (with why), and the stale entries."""
    judged = tomllib.loads(EQUIVALENT.read_text()) if EQUIVALENT.is_file() else {}
    equivalent, stale = {}, []
    for name, entry in judged.items():
        if name not in status:
            stale.append(f"{name}: no such mutant any more")
        elif status[name] in CAUGHT:
            stale.append(f"{name}: recorded as equivalent, but the tests kill it")
        elif "removes" in entry and entry["removes"].strip() not in diff_lines(work, name)[0]:
            stale.append(f"{name}: its diff no longer removes {entry['removes']!r}")
        elif "line" in entry and entry["line"].strip() not in changed_lines(work, name):
            stale.append(f"{name}: its diff no longer adds {entry['line']!r}")
        else:
            equivalent[name] = entry["why"]
    return equivalent, stale


def report(work: Path, fail_under: float, seconds: float) -> int:
    """Print the kill share and the survivors; 0 if the share reaches ``fail_under``."""
    status = results(work)
    if not status:
        print("mutmut made no mutants")
        return 1
    # A run stopped early leaves mutants it never ran: reported, not counted either way.
    not_run = sorted(name for name, state in status.items() if state == NOT_RUN)
    status = {name: state for name, state in status.items() if state != NOT_RUN}
    equivalent, stale = judged_equivalent(work, status)
    # Judged by rule rather than one by one: mutants that only change the device.
    device_only = set()
    if not accelerator_available():
        device_only = {
            name
            for name, state in status.items()
            if state not in CAUGHT
            and name not in equivalent
            and moves_to_another_device_only(*diff_lines(work, name))
        }
    counted = {
        name: s for name, s in status.items() if name not in equivalent and name not in device_only
    }
    counts = Counter(counted.values())
    caught = sum(counts[s] for s in CAUGHT)
    survivors = sorted(name for name, s in counted.items() if s not in CAUGHT)
    modules = Counter(name.split(".x")[0] for name in [*status, *not_run])
    print()
    print(f"mutation testing of calhouse/ ({len(modules)} modules), {seconds / 60:.1f} minutes")
    print(
        f"  {len(status) + len(not_run)} mutants, {len(equivalent)} judged equivalent "
        f"({EQUIVALENT.name})"
    )
    if device_only:
        print(
            f"  {len(device_only)} surviving mutants only keep tensors or models on the CPU "
            "(no device where the code names one): equivalent on this machine, which has no "
            "accelerator, and not counted"
        )
    print(f"  by status (equivalent ones left out): {dict(sorted(counts.items()))}")
    if not_run:
        print(
            f"  {len(not_run)} mutants not run (the run was stopped): "
            f"{dict(sorted(Counter(n.split('.x')[0] for n in not_run).items()))}"
        )
    for line in stale:
        print(f"  stale judgement, counted as a mutant: {line}")
    if survivors:
        print(f"  {len(survivors)} survivors:")
        for name in survivors:
            added = "; ".join(changed_lines(work, name))
            print(f"    {name} ({counted[name]}): {added[:150]}")
    share = 100 * caught / len(counted) if counted else 100.0
    print(
        f"killed {caught} of {len(counted)} non-equivalent mutants: {share:.1f}% "
        f"(required: {fail_under:g}%)"
    )
    return 0 if share >= fail_under else 1


def main() -> int:
    """Stage, run mutmut, report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, required=True, help="scratch folder")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--fail-under", type=float, default=90.0)
    parser.add_argument("--keep", action="store_true", help="reuse the work folder's mutants")
    parser.add_argument("--report-only", action="store_true", help="report on the last run")
    parser.add_argument("names", nargs="*", help="mutants to run again (with --keep)")
    args = parser.parse_args()
    work = args.work.resolve()
    start = time.monotonic()
    if not args.report_only:
        if not args.keep:
            modules = modules_to_mutate()
            print(f"mutating {len(modules)} modules: {', '.join(modules)}")
            stage(work, modules)
        else:
            # Take the current tests into the kept copy (mutmut runs them from mutants/),
            # and the modules that changed since: mutmut mutates a source file again
            # when it is newer than its mutated copy (copied, not copy2: a new time).
            # The modules to mutate and the tests to leave out, as they are now.
            write_settings(work, modules_to_mutate())
            for folder in (work / "tests", work / "mutants" / "tests"):
                shutil.copytree(ROOT / "tests", folder, dirs_exist_ok=True)
            for source in sorted((ROOT / "calhouse").glob("*.py")):
                kept = work / "calhouse" / source.name
                if not kept.is_file() or kept.read_bytes() != source.read_bytes():
                    shutil.copy(source, kept)
                    print(f"changed since the run: {source.name}")
            # Which tests call which function is recorded again: mutmut records it
            # anew only for tests of new names, so a changed test, or a function
            # new to the run (its mutants would have "no tests"), would go unseen.
            (work / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
        mutmut(work, "run", "--max-children", str(args.max_children), *args.names)
    return report(work, args.fail_under, time.monotonic() - start)


if __name__ == "__main__":
    sys.exit(main())
