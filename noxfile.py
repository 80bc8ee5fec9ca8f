#!/usr/bin/env python3
"""Sessions for calhouse: ``nox`` runs every check, ``nox -s docs`` builds the site.

Run ``nox -l`` for the list. Every session installs the project with the pinned
versions of ``constraints.txt`` into a pip-based virtualenv.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import nox

# --parallel, allow_parallel and requires, as used here.
nox.needs_version = ">=2026.10.20"
nox.options.default_venv_backend = "venv"
# Keep each session's environment between runs; pip still brings it up to date
# with constraints.txt on every run, so a change of pins is never missed.
nox.options.reuse_venv = "yes"
nox.options.sessions = ["lint", "tests", "docs", "site"]
# ``nox -j auto`` (the README's test command) runs lint, tests and docs side by side,
# each in its own process, their output shown as each ends: a lot of their time is pip
# on one core. site runs alone, after docs (its rebuild and its browser use every core).

ROOT = Path(__file__).resolve().parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
CONSTRAINTS = ("-c", str(ROOT / "constraints.txt"))
# The raw StatLib file, beside the project on machines without network.
SHARED_DATA = ROOT.parent / "shared" / "data" / "cal_housing.data"


def data_env() -> dict[str, str]:
    """Point CALHOUSE_DATA at the offline copy of the data when there is one."""
    if os.environ.get("CALHOUSE_DATA"):
        return {"CALHOUSE_DATA": os.environ["CALHOUSE_DATA"]}
    if SHARED_DATA.is_file():
        return {"CALHOUSE_DATA": str(SHARED_DATA)}
    return {}


# The time stamp of a build that has no git history to take it from (2026-01-01 UTC).
FALLBACK_SOURCE_DATE_EPOCH = "1767225600"


def source_date_epoch() -> str:
    """The time stamp for reproducible builds: SOURCE_DATE_EPOCH, else the last commit's time."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return os.environ["SOURCE_DATE_EPOCH"]
    try:
        result = subprocess.run(
            ["git", "log", "-1", "--format=%ct"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return FALLBACK_SOURCE_DATE_EPOCH
    return result.stdout.strip() or FALLBACK_SOURCE_DATE_EPOCH


def docs_env() -> dict[str, str]:
    """The environment of a docs build: the offline data, and a fixed time stamp."""
    return {**data_env(), "SOURCE_DATE_EPOCH": source_date_epoch()}


def install(
    session: nox.Session, *groups: str, editable: bool = False, byte_compile: bool = True
) -> None:
    """Install calhouse (and the given dependency groups) with the pinned versions.

    pip byte-compiles what it installs file by file, on one core: two thirds of
    the time torch takes to install. It installs without, and ``compileall``
    compiles the environment's libraries on every core (files compiled already
    are skipped); ``byte_compile=False`` for an environment that never imports
    what it installs. Compiling them is not left to the first imports: where
    PYTHONDONTWRITEBYTECODE is set, every process would compile torch again.
    """
    project = ("-e", ".") if editable else (".",)
    session.install(
        "--no-compile", *CONSTRAINTS, *project, *nox.project.dependency_groups(PYPROJECT, *groups)
    )
    if byte_compile:
        purelib = session.run(
            "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", silent=True
        )
        # -qq: a library's file that does not compile (a template, an old syntax) is
        # skipped in silence, as pip skips it, and makes the exit status 1.
        session.run(
            *("python", "-W", "ignore", "-m", "compileall", "-qq", "-j", "0"),
            str(purelib).strip(),
            success_codes=[0, 1],
        )


@nox.session(allow_parallel=True)
def lint(session: nox.Session) -> None:
    """Ruff (lint and format check) and mypy --strict over calhouse/."""
    # mypy reads the libraries' sources; nothing installed here is imported.
    install(session, "lint", byte_compile=False)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


# pytest on every core (pytest-xdist): a worker takes the next test as it is free,
# except tests that share a costly fixture, which stay on one worker (xdist_group).
# ``nox -s tests -- -n 0`` runs them in this process.
XDIST = ("-n", "auto", "--dist", "loadgroup")


@nox.session(allow_parallel=True)
def tests(session: nox.Session) -> None:
    """The test suite, against calhouse installed as a user installs it."""
    install(session, "test")
    session.run("pytest", *XDIST, *session.posargs, env=data_env())


def install_editable_once(session: nox.Session, groups: tuple[str, ...]) -> None:
    """Install calhouse in editable mode with the groups, unless the venv already has them.

    An editable install follows the code as it changes, so it needs redoing only
    when the dependencies or the pins change: the venv is stamped with a hash of
    pyproject.toml, constraints.txt and the groups, and pip (several seconds per
    run) is skipped while the stamp matches.
    """
    stamp = Path(session.virtualenv.location) / INSTALL_STAMP
    if is_current(stamp, groups):
        session.log("calhouse (editable) and its tools are installed and current")
        return
    install(session, *groups, editable=True)
    stamp.write_text(install_digest(groups))


INSTALL_STAMP = "calhouse-install.sha256"


def install_digest(groups: tuple[str, ...]) -> str:
    """The hash of what an editable install with the groups depends on."""
    digest = hashlib.sha256(f"{ROOT}|{' '.join(groups)}".encode())
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def is_current(stamp: Path, groups: tuple[str, ...]) -> bool:
    """Whether the venv of the stamp has the groups installed with today's pins."""
    return stamp.is_file() and stamp.read_text() == install_digest(groups)


# The docs session's environment also holds the browser tests' tools: ``site`` runs in it.
DOCS_GROUPS = ("docs", "browser")

# Nitpicky, every warning an error, all problems reported in one run.
SPHINX_BUILD = ("sphinx-build", "-n", "-W", "--keep-going", "-T", "-b", "html", "docs")


@nox.session(allow_parallel=True)
def docs(session: nox.Session) -> None:
    """Build the site into docs/_build/html, running every example.

    Sphinx reads again only the sources that changed, and sphinx-gallery runs
    only the examples that changed, but every page is written (``-a``), with a
    new search index and new highlighted sources: an incremental build leaves
    these stale (sphinx-doc/sphinx#12599 drops the index entries of pages it
    does not write), and ``nox -s site`` requires the same bytes as a clean build.
    """
    install_editable_once(session, DOCS_GROUPS)
    html = ROOT / "docs" / "_build" / "html"
    (html / "searchindex.js").unlink(missing_ok=True)
    shutil.rmtree(html / "_modules", ignore_errors=True)
    session.run(*SPHINX_BUILD, str(html), "-a", *session.posargs, env=docs_env())


@nox.session(name="docs_fast")
def docs_fast(session: nox.Session) -> None:
    """Build the site into docs/_build/html-fast without running the examples."""
    install_editable_once(session, DOCS_GROUPS)
    session.run(
        *SPHINX_BUILD,
        "docs/_build/html-fast",
        "-D",
        "plot_gallery=0",
        *session.posargs,
        env=docs_env(),
    )


# The browser tests: two pytest workers per core (at most 8). A worker spends much of
# a test waiting for its Chromium, which renders in processes of its own, and the
# browser waits for the worker in turn: with one worker per core, the cores were
# idle half the time (the browser tests took 251 s with 2 workers, 196 s with 4, on 2 cores).
SITE_XDIST = ("-n", str(min(8, 2 * (os.cpu_count() or 1))), "--dist", "loadgroup")

# Build outputs that a copy of the sources for a clean build leaves out.
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".nox", ".venv", "_build", "auto_examples", "generated", "__pycache__",
    ".pytest_cache", ".ruff_cache", "*.egg-info", "sg_execution_times.rst", "sg_api_usage.rst",
)  # fmt: skip


def docs_environment(session: nox.Session) -> Path:
    """The bin folder of the docs session's environment, which must be current."""
    venv = (session.env_dir.parent / "docs").absolute()
    if not is_current(venv / INSTALL_STAMP, DOCS_GROUPS):
        session.error(
            f"{venv}: no current docs environment there: run `nox -s site` (docs runs first)"
        )
    return venv / ("Scripts" if os.name == "nt" else "bin")


# No environment of its own: it runs in the docs session's (a second one would install
# the same torch, Sphinx and libraries again, a minute and a half).
@nox.session(venv_backend="none", requires=["docs"])
def site(session: nox.Session) -> None:
    """The built site as readers get it: a clean rebuild must match it, then browser tests.

    ``docs`` runs first (``requires``); site runs in its environment (``docs``
    installs the browser tests' tools). A copy of
    the sources is built from clean into docs/_build/clean/html, and every file
    of that build and of docs/_build/html (pages, downloads, images) must be
    byte-identical. Then pytest runs site_tests/ against docs/_build/html,
    served on loopback and opened in Debian's Chromium (``apt-get install
    chromium``) through Playwright; it also installs calhouse from the served
    site's downloads into a fresh venv, and builds copies of the sources with a
    false statement, and figures unfit for colour-blind readers, planted in an
    example. Every page is checked with axe-core (WCAG 2.1 A and AA) in light and
    dark mode, and read on a laptop and a phone.

    pytest's options go in pytest's own ``PYTEST_ADDOPTS`` (``PYTEST_ADDOPTS="-k
    search" nox -s site``), not after ``--``: nox hands the arguments after
    ``--`` to every session it runs, docs included, and they are Sphinx's there.
    """
    if not (ROOT / "docs" / "_build" / "html" / "index.html").is_file():
        session.error("no site in docs/_build/html: build it first (nox -s docs)")
    bin_dir = docs_environment(session)
    python = str(bin_dir / "python")
    env = {
        **docs_env(),
        "VIRTUAL_ENV": str(bin_dir.parent),
        "PATH": os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")]),
    }
    clean = ROOT / "docs" / "_build" / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    shutil.copytree(ROOT, clean / "src", ignore=NOT_SOURCES)
    with session.chdir(clean / "src"):
        session.run(python, "-m", "sphinx", *SPHINX_BUILD[1:], str(clean / "html"), "-q", env=env)
    session.run(python, "site_tests/compare_builds.py", "docs/_build/html", str(clean / "html"))
    session.run(
        python,
        *("-m", "pytest", "site_tests"),
        *SITE_XDIST,
        env={**env, "CALHOUSE_SITE": "docs/_build/html"},
    )


@nox.session
def train(session: nox.Session) -> None:
    """Regenerate a shipped model: ``nox -s train -- --model tutorial --force``."""
    install(session, editable=True)
    session.run("python", "-m", "calhouse", "train", *session.posargs, env=data_env())


@nox.session
def bench(session: nox.Session) -> None:
    """Plain Captum, calhouse's engine and torch's floor on all 20,640 rows (not in the default run).

    Takes minutes, and plain NoiseTunnel peaks at about 13 GB; ``nox -s bench -- --help``
    lists the options: fewer rows or methods, ``--busy`` (again with a background load),
    ``--repeat N``, ``--friedman 20640 1000000`` (the engine on a million rows).
    """
    install(session)
    session.run("python", "benchmarks/dataset_scale.py", *session.posargs, env=data_env())


@nox.session
def mutants(session: nox.Session) -> None:
    """Mutation testing of calhouse/ with mutmut (not in the default run: about an hour).

    Prints the share of non-equivalent mutants the tests kill and lists the
    survivors; fails under 90%. mutation/run.py says what is mutated and which
    tests run; ``nox -s mutants -- --keep NAME ...`` reruns some mutants of the last run.
    """
    # calhouse itself is not installed: the tests import mutmut's mutated copy.
    session.install(
        *CONSTRAINTS,
        *PYPROJECT["project"]["dependencies"],
        *nox.project.dependency_groups(PYPROJECT, "mutants"),
    )
    work = Path(session.create_tmp()) / "mutation"
    session.run("python", "mutation/run.py", "--work", str(work), *session.posargs, env=data_env())


if __name__ == "__main__":
    nox.main()
