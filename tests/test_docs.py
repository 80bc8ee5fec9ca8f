"""The documentation's promises: downloaded examples run anywhere, the build is offline.

These tests do not build the site (``nox -s docs`` does); they check what the
build and its readers rely on and what a build alone would not catch.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import pkgutil
import re
import runpy
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

import calhouse

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"
INVENTORIES = DOCS / "_inventories"
EXAMPLE_FILES = sorted(EXAMPLES.glob("plot_*.py"))

sys.path.insert(0, str(DOCS))
import build_checks


def _example_env(raw_file: Path) -> dict[str, str]:
    """The environment of a script run from another directory, its hidden checks included.

    Only the data file and ``docs/`` (for ``page_checks``, which the build
    provides) are passed on. calhouse must come from the installed package (the
    nox session installs it as a wheel); when the tests run against a source
    tree instead, its directory is put on the path explicitly, never the
    current directory. (The site's downloads, without the hidden checks, are
    run from a fresh install in site_tests/test_install_from_site.py.)
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(MPLBACKEND="Agg", CALHOUSE_DATA=str(raw_file))
    paths = [str(DOCS)]
    if Path(calhouse.__file__).resolve().parent.parent == ROOT:
        paths.append(str(ROOT))
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        ("plot_01_data.py", "20,640 districts, 8 features"),
        ("plot_02_model_training.py", "model err: 0.65797"),
    ],
)
def test_an_example_runs_as_a_script_from_any_directory(
    example: str, expected: str, raw_file: Path, tmp_path: Path
) -> None:
    script = tmp_path / example
    script.write_bytes((EXAMPLES / example).read_bytes())
    result = subprocess.run(
        [sys.executable, script.name],
        cwd=tmp_path,
        env=_example_env(raw_file),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert expected in result.stdout
    assert "Traceback" not in result.stderr
    # It read the shipped model and the data; it wrote nothing where it ran.
    assert sorted(p.name for p in tmp_path.iterdir()) == [example]


# -- the gallery's conventions ---------------------------------------------------


def test_examples_exist_in_reading_order() -> None:
    names = [p.name for p in EXAMPLE_FILES]
    assert names[:4] == [
        "plot_01_data.py",
        "plot_02_model_training.py",
        "plot_03_input_attributions.py",
        "plot_04_conductance.py",
    ]
    numbers = [int(re.match(r"plot_(\d\d)_[a-z0-9_]+\.py$", n).group(1)) for n in names]
    assert len(set(numbers)) == len(numbers), f"two examples share a number: {names}"
    assert (EXAMPLES / "GALLERY_HEADER.rst").is_file()


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_example_opens_with_a_title_and_checks_its_claims(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    docstring = ast.get_docstring(ast.parse(source), clean=False)
    assert docstring, f"{path.name} must open with a docstring"
    title, underline, blank, *intro = docstring.strip("\n").splitlines()
    assert title.strip(), f"{path.name}: the docstring's first line is the page title"
    assert set(underline) == {"="}, f"{path.name}: the title is underlined with '='"
    assert len(underline) >= len(title), f"{path.name}: the title's underline is too short"
    assert not blank.strip()
    assert sum(len(line) for line in intro) > 200, f"{path.name}: say what the reader learns"
    assert source.count("\n# %%\n") >= 3, f"{path.name}: split the example into cells"
    # With docs/page_checks.py, out of the reader's sight (the next test).
    assert _calls(source, "check"), f"{path.name}: check the statements its text makes"


_START, _END = "# sphinx_gallery_start_ignore", "# sphinx_gallery_end_ignore"


def _calls(source: str, name: str) -> list[int]:
    """The lines where a function of that name is called."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == name
    ]


def _hidden_lines(source: str) -> set[int]:
    """The line numbers inside sphinx-gallery's ignore blocks (flags included)."""
    hidden, inside = set(), False
    for number, line in enumerate(source.splitlines(), 1):
        if line.strip() == _START:
            assert not inside, f"line {number}: a hidden block starts inside another"
            inside = True
        if inside:
            hidden.add(number)
        if line.strip() == _END:
            assert inside, f"line {number}: a hidden block ends that never started"
            inside = False
    assert not inside, "a hidden block is never closed"
    return hidden


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_an_example_checks_its_statements_out_of_the_readers_sight(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    hidden = _hidden_lines(source)
    tree = ast.parse(source)
    imports = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        and "page_checks" in ast.get_source_segment(source, node)
    ]
    checks = _calls(source, "check")
    assert bool(imports) == bool(checks), f"{path.name}: import check from page_checks"
    visible = sorted(set(imports + checks) - hidden)
    assert not visible, f"{path.name}: checks outside sphinx_gallery_*_ignore blocks: {visible}"
    in_text = _flags_in_text_blocks(source)
    assert not in_text, (
        f"{path.name}, lines {in_text}: a hidden block's flag continues the comment lines of a "
        "cell's text, so sphinx-gallery reads it as text; put a blank line before it"
    )


def _flags_in_text_blocks(source: str) -> list[int]:
    """Lines of ignore flags that sphinx-gallery would read as part of a cell's text.

    A cell's text is its ``# %%`` line (or a line of 20 or more ``#``) and the
    comment lines that follow it without a break.
    """
    lines = source.splitlines()
    found = []
    for number, line in enumerate(lines, 1):
        if line.strip() not in {_START, _END}:
            continue
        above = number - 2
        while above >= 0 and lines[above].lstrip().startswith("#"):
            if lines[above].startswith("# %%") or re.fullmatch(r"#{20,}", lines[above].strip()):
                found.append(number)
                break
            above -= 1
    return found


# -- offline links to other projects' docs -------------------------------------


def _load_inventory_script():
    spec = importlib.util.spec_from_file_location(
        "make_inventories", INVENTORIES / "make_inventories.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_inventories_are_what_the_script_writes(tmp_path: Path) -> None:
    written = _load_inventory_script().main(tmp_path)
    assert written
    for path in written:
        committed = INVENTORIES / path.name
        assert committed.is_file(), f"run docs/_inventories/make_inventories.py ({path.name})"
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed.name} is stale: run python docs/_inventories/make_inventories.py"
        )


# A line of a Sphinx v2 inventory: name, domain:role, priority, uri, display name.
_INVENTORY_LINE = re.compile(r"(.+?)\s+(\S+:\S+)\s+(-?\d+)\s+(\S+)\s+(.*)")


@pytest.mark.parametrize("key", sorted(_load_inventory_script().INVENTORIES))
def test_inventory_entries_point_at_their_anchor(key: str) -> None:
    header, _, body = (
        (INVENTORIES / f"{key}.inv")
        .read_bytes()
        .partition(b"# The remainder of this file is compressed using zlib.\n")
    )
    assert header.startswith(b"# Sphinx inventory version 2\n# Project: ")
    lines = zlib.decompress(body).decode().splitlines()
    assert lines
    for line in lines:
        match = _INVENTORY_LINE.fullmatch(line)
        assert match, line
        name, role, _, uri, _ = match.groups()
        page, _, anchor = uri.partition("#")
        assert page.endswith(".html"), line
        assert not page.startswith(("http", "/")), f"{line}: pages are relative to the root"
        if role.startswith("py:") and role != "py:module":
            assert anchor == name, f"{line}: a Python object's anchor is its full name"


def test_the_docs_build_reads_only_local_inventories() -> None:
    mapping = _conf_assignments()["intersphinx_mapping"]
    assert mapping
    for key, (url, inventory) in mapping.items():
        assert url.startswith("https://"), key
        assert url.endswith("/"), key
        assert (DOCS / inventory).is_file(), f"{key}: {inventory} is missing"


def _conf_assignments() -> dict[str, object]:
    """The literal top-level settings of docs/conf.py, read without importing Sphinx."""
    tree = ast.parse((DOCS / "conf.py").read_text(encoding="utf-8"))
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            try:
                found[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return found


def test_pages_carry_no_timings_and_a_failing_example_fails_the_build() -> None:
    conf = _conf_assignments()
    gallery = conf["sphinx_gallery_conf"]
    assert conf["abort_on_example_error"] is True
    assert conf["nitpicky"] is True
    assert gallery["write_computation_times"] is False
    assert gallery["show_memory"] is False
    assert gallery["min_reported_time"] >= 10**6
    assert gallery["within_subsection_order"] == "FileNameSortKey"
    assert gallery["doc_module"] == ("calhouse",)


# -- the API reference ------------------------------------------------------------


def test_api_reference_lists_every_public_name() -> None:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    listed = re.findall(r"^   ([A-Za-z_][A-Za-z0-9_]*)$", text, flags=re.MULTILINE)
    public = set(calhouse.__all__) - {"__version__"}
    assert sorted(set(listed) - public) == [], "api.md lists names calhouse does not export"
    assert sorted(public - set(listed)) == [], "add these to docs/api.md"
    assert len(listed) == len(set(listed)), "a name is listed twice in api.md"


@pytest.mark.parametrize(
    "module",
    [m.name for m in pkgutil.iter_modules(calhouse.__path__) if not m.name.startswith("_")],
)
def test_submodules_public_names_are_exported_by_the_package(module: str) -> None:
    names = getattr(importlib.import_module(f"calhouse.{module}"), "__all__", [])
    assert sorted(set(names) - set(calhouse.__all__)) == []


# -- the pinned versions ---------------------------------------------------------


def test_docs_tools_are_pinned_in_constraints() -> None:
    groups = build_checks.pyproject()["dependency-groups"]
    docs = {canonicalize_name(re.split(r"[<>=!~ ]", req)[0]) for req in groups["docs"]}
    tools = {"sphinx", "sphinx-gallery", "pydata-sphinx-theme", "myst-parser", "numpydoc"}
    assert tools | {"hatchling"} <= docs
    assert sorted(docs - set(build_checks.pins())) == []
    assert {"include-group": "docs"} in groups["dev"]


def test_install_instructions_name_the_pinned_torch() -> None:
    pins = build_checks.pins()
    pages = [*DOCS.glob("*.md"), ROOT / "README.md"]
    named = {
        (page.name, version)
        for page in pages
        for version in re.findall(r"torch==([\w.+]+)", page.read_text(encoding="utf-8"))
    }
    assert named, "the installation instructions name the torch version to install"
    assert {version for _, version in named} == {pins["torch"]}, named


# -- publishing: the site's address and the CI workflow ---------------------------


def test_the_site_address_comes_from_the_repository_setting() -> None:
    conf = runpy.run_path(str(DOCS / "conf.py"))
    assert conf["html_baseurl"] == build_checks.pages_url(conf["calhouse_repository"])
    assert conf["ogp_site_url"] == conf["html_baseurl"]
    assert conf["html_baseurl"] == "https://calhouse.github.io/calhouse/"


WORKFLOW = ROOT / ".github" / "workflows" / "site.yml"


def _commands(lines: list[str]) -> list[str]:
    """Shell lines as commands: comments and blank lines dropped, ``python3 -m`` taken off."""
    commands = [line.split("#", 1)[0].strip() for line in lines]
    return [c.removeprefix("python3 -m ").strip() for c in commands if c]


def _workflow_commands(text: str) -> list[str]:
    """The commands of a workflow's ``run:`` steps, in order (``run: cmd`` or ``run: |`` blocks)."""
    lines = text.splitlines()
    found = []
    for number, line in enumerate(lines):
        match = re.match(r"(\s*)(?:- )?run:\s*(.*)$", line)
        if not match:
            continue
        if match.group(2) not in {"|", ">"}:
            found.append(match.group(2))
            continue
        indent = len(match.group(1))
        for body in lines[number + 1 :]:
            if body.strip() and len(body) - len(body.lstrip()) <= indent:
                break
            found.append(body)
    return _commands(found)


def _readme_commands() -> list[str]:
    """The README's quick-start commands."""
    text = (ROOT / "README.md").read_text(encoding="utf-8").split("## Quick start", 1)[1]
    return _commands(re.search(r"```bash\n(.*?)```", text, re.DOTALL).group(1).splitlines())


def test_the_ci_workflow_runs_the_readme_commands_as_ci_run_does() -> None:
    workflow = WORKFLOW.read_text(encoding="utf-8")
    run = _workflow_commands(workflow)
    ci = _commands((ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines())
    readme = _readme_commands()
    assert readme == ["nox -s docs", "nox -j auto"]
    nox_runs = [c for c in run if c == "nox" or c.startswith("nox ")]
    assert nox_runs == readme
    assert {c for c in ci if c == "nox" or c.startswith("nox ")} <= set(nox_runs)
    # The same nox, installed the same way, and Chromium from the same place.
    (pin,) = re.findall(r'"nox==[^"]+"', "\n".join(ci))
    assert any(c.startswith("pip install") and pin in c for c in run)
    assert any("apt-get install" in c and c.endswith(" chromium") for c in ci)
    assert any("apt-get install" in c and c.endswith(" chromium") for c in run)
    # What it publishes is what nox -s docs builds and the README points to.
    assert re.search(r"path: docs/_build/html\n", workflow)
    assert "docs/_build/html" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert '"docs" / "_build" / "html"' in (ROOT / "noxfile.py").read_text(encoding="utf-8")
    assert "uses: actions/deploy-pages@" in workflow
    assert "if: github.event_name == 'push' && github.ref == 'refs/heads/main'" in workflow


def test_the_workflow_reader_finds_single_and_block_commands() -> None:
    text = "steps:\n  - run: python3 -m nox -s docs\n  - name: x\n    run: |\n      a  # why\n\n      b\n  - uses: y\n"
    assert _workflow_commands(text) == ["nox -s docs", "a", "b"]
