#!/usr/bin/env python3
"""Sessions for calhouse: ``nox`` runs every check, ``nox -s docs`` builds the site.

Run ``nox -l`` for the list. Every session installs the project with the pinned
versions of ``constraints.txt`` into a pip-based virtualenv.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "venv"
# Keep each session's environment between runs; pip still brings it up to date
# with constraints.txt on every run, so a change of pins is never missed.
nox.options.reuse_venv = "yes"
nox.options.sessions = ["lint", "tests", "docs"]

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


def install(session: nox.Session, *groups: str, editable: bool = False) -> None:
    """Install calhouse (and the given dependency groups) with the pinned versions."""
    project = ("-e", ".") if editable else (".",)
    session.install(*CONSTRAINTS, *project, *nox.project.dependency_groups(PYPROJECT, *groups))


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff: lint and format check."""
    session.install(*CONSTRAINTS, *nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite, against calhouse installed as a user installs it."""
    install(session, "test")
    session.run("pytest", *session.posargs, env=data_env())


def install_editable_once(session: nox.Session, *groups: str) -> None:
    """Install calhouse in editable mode with the groups, unless the venv already has them.

    An editable install follows the code as it changes, so it needs redoing only
    when the dependencies or the pins change: the venv is stamped with a hash of
    pyproject.toml, constraints.txt and the groups, and pip (several seconds per
    run) is skipped while the stamp matches.
    """
    digest = hashlib.sha256(f"{ROOT}|{' '.join(groups)}".encode())
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update((ROOT / name).read_bytes())
    stamp = Path(session.virtualenv.location) / "calhouse-install.sha256"
    if stamp.is_file() and stamp.read_text() == digest.hexdigest():
        session.log("calhouse (editable) and its tools are installed and current")
        return
    install(session, *groups, editable=True)
    stamp.write_text(digest.hexdigest())


# Nitpicky, every warning an error, all problems reported in one run.
SPHINX_BUILD = ("sphinx-build", "-n", "-W", "--keep-going", "-T", "-b", "html", "docs")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the site into docs/_build/html, running every example."""
    install_editable_once(session, "docs")
    session.run(*SPHINX_BUILD, "docs/_build/html", *session.posargs, env=data_env())


@nox.session(name="docs_fast")
def docs_fast(session: nox.Session) -> None:
    """Build the site into docs/_build/html-fast without running the examples."""
    install_editable_once(session, "docs")
    session.run(
        *SPHINX_BUILD,
        "docs/_build/html-fast",
        "-D",
        "plot_gallery=0",
        *session.posargs,
        env=data_env(),
    )


@nox.session
def train(session: nox.Session) -> None:
    """Regenerate a shipped model: ``nox -s train -- --model tutorial --force``."""
    install(session, editable=True)
    session.run("python", "-m", "calhouse", "train", *session.posargs, env=data_env())


@nox.session
def bench(session: nox.Session) -> None:
    """Plain Captum against calhouse.attribute_dataset on all 20,640 rows (not in the default run).

    Takes minutes, and plain NoiseTunnel peaks at about 13 GB; ``nox -s bench -- --help``
    lists the options (fewer rows or methods).
    """
    install(session)
    session.run("python", "benchmarks/dataset_scale.py", *session.posargs, env=data_env())


if __name__ == "__main__":
    nox.main()
