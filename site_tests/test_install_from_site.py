"""A reader installs calhouse from the site alone and runs a downloaded example.

The built site is served on 127.0.0.1. From its install page the test takes the
links to calhouse's wheel and to the tested pins, downloads both, installs them
into a fresh virtual environment (``python -m venv``, then ``pip install -c``;
pip reaches only the package indexes this machine is configured with, where
torch 2.13.0 is a local CPU wheel), and runs scripts downloaded from example
pages in another directory, with nothing of this repository on the path.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

# One fresh venv (a minute of pip) serves every test here: they run on one worker. The
# fixture is session-scoped: that worker runs other modules' tests in between, and a
# module-scoped fixture would be torn down at each switch and the venv made again.
pytestmark = pytest.mark.xdist_group("reader_venv")


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:  # the site on loopback
        assert response.status == 200, url
        return response.read()


def _link(page_html: str, pattern: str) -> str:
    """The one href of a page that matches ``pattern``."""
    hrefs = sorted(set(re.findall(rf'href="({pattern})"', page_html)))
    assert len(hrefs) == 1, f"expected one link matching {pattern!r}, got {hrefs}"
    return hrefs[0]


# What this environment has that a reader's does not: paths into the repository or a
# venv, and this machine's PYTHONDONTWRITEBYTECODE (the venv is installed without
# byte-compiling, a minute of pip's time; Python compiles what the examples import, once).
NOT_THE_READERS = {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE"}


def _reader_env(**extra: str) -> dict[str, str]:
    """This environment without what a reader's does not have (:data:`NOT_THE_READERS`)."""
    env = {k: v for k, v in os.environ.items() if k not in NOT_THE_READERS}
    return {**env, "MPLBACKEND": "Agg", **extra}


@pytest.fixture(scope="session")
def reader(base_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with calhouse installed from the site's downloads; its python."""
    home = tmp_path_factory.mktemp("reader")
    install = _get(base_url + "install.html").decode("utf-8")
    wheel_href = _link(install, r"downloads/calhouse-[^\"/]+-py3-none-any\.whl")
    pins_href = _link(install, r"downloads/constraints\.txt")
    wheel = home / Path(wheel_href).name
    wheel.write_bytes(_get(base_url + wheel_href))
    pins = home / "constraints.txt"
    pins.write_bytes(_get(base_url + pins_href))

    venv = home / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    result = subprocess.run(
        # The install page's command, without byte-compiling every installed module.
        [str(python), "-m", "pip", "install", "-q", "--no-compile", "-c", str(pins), str(wheel)],
        cwd=home,
        env=_reader_env(),
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return python


def test_calhouse_comes_from_the_wheel_with_the_tested_versions(reader: Path) -> None:
    code = (
        "import calhouse, torch, captum, sklearn; "
        "print(calhouse.__file__); print(torch.__version__, captum.__version__, sklearn.__version__)"
    )
    result = subprocess.run(
        [str(reader), "-c", code],
        cwd=reader.parent,
        env=_reader_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    where, versions = result.stdout.splitlines()
    assert Path(where).is_relative_to(reader.parent.parent / "lib")
    torch_version, captum_version, sklearn_version = versions.split()
    pins = (reader.parent.parent.parent / "constraints.txt").read_text()
    assert f"torch=={torch_version.split('+')[0]}\n" in pins
    assert f"captum=={captum_version}\n" in pins
    assert f"scikit-learn=={sklearn_version}\n" in pins


def test_the_calhouse_command_is_installed(reader: Path) -> None:
    result = subprocess.run(
        [str(reader.parent / "calhouse"), "--help"],
        env=_reader_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "train" in result.stdout
    assert "check" in result.stdout


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        # Its statements are checked by hidden code that its download leaves out.
        ("plot_01_data", "20,640 districts, 8 features"),
        # It loads the shipped model, which travels in the wheel.
        ("plot_02_model_training", "model err: 0.65797"),
    ],
)
def test_a_downloaded_example_runs_from_another_directory(
    reader: Path, base_url: str, tmp_path: Path, example: str, expected: str
) -> None:
    page = _get(f"{base_url}auto_examples/{example}.html").decode("utf-8")
    href = _link(page, rf"\.\./_downloads/[0-9a-f]+/{example}\.py")
    script = tmp_path / f"{example}.py"
    script.write_bytes(_get(f"{base_url}auto_examples/{href}"))
    result = subprocess.run(
        [str(reader), script.name],
        cwd=tmp_path,
        env=_reader_env(),  # CALHOUSE_DATA passed on: the data file, on a machine offline
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert expected in result.stdout
    assert "Traceback" not in result.stderr
    # It read the shipped model and the data; it wrote nothing where it ran.
    assert sorted(p.name for p in tmp_path.iterdir()) == [script.name]
