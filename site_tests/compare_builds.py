"""Compare two builds of the site file by file, and say precisely where they differ.

Usage: ``python site_tests/compare_builds.py FIRST SECOND`` (``nox -s site`` runs it
on docs/_build/html and a clean build of the same sources). Every file counts
(pages, downloads, images, search index) except Sphinx's records for incremental
builds, which are not part of the site and name absolute paths: its cache of
parsed documents (``.doctrees``) and the hash of its configuration
(``.buildinfo``, ``.buildinfo.bak``: the configuration names the directories of
the installed theme and sphinx-gallery, so it differs from one virtualenv to
another). Exits 1 on any difference.
"""

from __future__ import annotations

import difflib
import io
import sys
import zipfile
from pathlib import Path

#: Parts of a build that are not the site.
IGNORED = (".doctrees", ".buildinfo", ".buildinfo.bak")

# Lines of diff shown for each differing text file.
_DIFF_LINES = 12


def site_files(root: Path) -> set[str]:
    """Every file of a build, relative to its root, but the ignored ones."""
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.relative_to(root).parts[0] not in IGNORED
    }


def _text_difference(name: str, a: bytes, b: bytes) -> str:
    first, second = a.decode().splitlines(), b.decode().splitlines()
    line = next(
        (i for i, (x, y) in enumerate(zip(first, second, strict=False)) if x != y),
        min(len(first), len(second)),
    )
    diff = list(difflib.unified_diff(first, second, "first", "second", n=1, lineterm=""))
    shown = "\n".join(f"    {d[:160]}" for d in diff[:_DIFF_LINES])
    more = f"\n    ... {len(diff) - _DIFF_LINES} more diff lines" if len(diff) > _DIFF_LINES else ""
    return f"{name}: differs from line {line + 1}\n{shown}{more}"


def _zip_difference(name: str, a: bytes, b: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(a)) as za, zipfile.ZipFile(io.BytesIO(b)) as zb:
        entries_a = {i.filename: i for i in za.infolist()}
        entries_b = {i.filename: i for i in zb.infolist()}
        lines = []
        if list(entries_a) != list(entries_b):
            lines.append(f"entries {list(entries_a)} vs {list(entries_b)}")
        for entry in entries_a.keys() & entries_b.keys():
            ia, ib = entries_a[entry], entries_b[entry]
            for attr in ("date_time", "external_attr", "create_system", "compress_type"):
                if getattr(ia, attr) != getattr(ib, attr):
                    lines.append(f"{entry}: {attr} {getattr(ia, attr)} vs {getattr(ib, attr)}")
            if za.read(entry) != zb.read(entry):
                lines.append(f"{entry}: content differs")
    detail = "; ".join(sorted(lines)) or "same entries, other bytes differ"
    return f"{name}: zip differs: {detail}"


def _binary_difference(name: str, a: bytes, b: bytes) -> str:
    offset = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), None)
    where = f"first at byte {offset}" if offset is not None else "one is a prefix of the other"
    return f"{name}: bytes differ ({len(a):,} vs {len(b):,} bytes, {where})"


def describe_difference(name: str, a: bytes, b: bytes) -> str:
    """How two versions of a file differ, in one message (a short diff for text)."""
    if name.endswith(".zip"):
        return _zip_difference(name, a, b)
    try:
        return _text_difference(name, a, b)
    except UnicodeDecodeError:
        return _binary_difference(name, a, b)


def compare(first: Path, second: Path) -> tuple[list[str], int]:
    """The differences between two builds, and the number of files that are identical."""
    files_a, files_b = site_files(first), site_files(second)
    problems = [f"{n}: only in {first}" for n in sorted(files_a - files_b)]
    problems += [f"{n}: only in {second}" for n in sorted(files_b - files_a)]
    same = 0
    for name in sorted(files_a & files_b):
        a, b = (first / name).read_bytes(), (second / name).read_bytes()
        if a == b:
            same += 1
        else:
            problems.append(describe_difference(name, a, b))
    return problems, same


def main(argv: list[str]) -> int:
    """Compare the builds named on the command line; print the result."""
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    first, second = map(Path, argv)
    for root in (first, second):
        if not (root / "index.html").is_file():
            print(f"{root}: not a built site (no index.html)", file=sys.stderr)
            return 2
    problems, same = compare(first, second)
    examples = sorted(first.glob("auto_examples/plot_*.html"))
    if not examples:
        problems.append(f"{first}: no example pages (auto_examples/plot_*.html) to compare")
    if problems:
        print(f"The two builds differ in {len(problems)} file(s):", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        print(
            "(An incremental build can be out of date: remove docs/_build, docs/auto_examples "
            "and docs/generated, then build again.)",
            file=sys.stderr,
        )
        return 1
    print(
        f"The two builds are byte-identical: {same} files, among them "
        f"{len(examples)} example pages and their downloads and images."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
