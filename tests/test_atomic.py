"""Atomic saves, proved: a reader of the old file never sees a mix, a crash leaves it whole.

``calhouse._io.atomic_write_bytes`` (and ``save_model``, which writes through it)
promise that the new bytes go to a temporary file beside the destination and
appear under its name in one step. These tests read the destination *while* the
new bytes are being written (from inside the write: at the moment they are
flushed to disk), hold the old file open across a save, race a reader against a
writer, and make the write fail half-way.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest
import torch

import calhouse
from calhouse import _io
from calhouse.model import metadata_path

# Two contents of different lengths: a reader that sees a mix or a truncation of
# them sees neither whole. A few MiB, so that a write in place takes many syscalls.
OLD = bytes(range(256)) * 8192  # 2 MiB
NEW = b"\x5a" * (3 << 20)  # 3 MiB


def _leftovers(folder: Path, *keep: Path) -> list[str]:
    """Files in ``folder`` other than ``keep``: temporary files left behind."""
    return sorted(p.name for p in folder.iterdir() if p not in keep)


def _intercept_fsync(monkeypatch: pytest.MonkeyPatch, during) -> list[int]:
    """Run ``during(fd)`` each time the new bytes are flushed to disk, before they appear."""
    real = os.fsync
    seen: list[int] = []

    def fsync(fd: int) -> None:
        real(fd)
        seen.append(fd)
        during(fd)

    monkeypatch.setattr(_io.os, "fsync", fsync)
    return seen


def test_the_destination_keeps_the_old_bytes_until_the_new_ones_are_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.pt"
    path.write_bytes(OLD)
    observed: list[bytes] = []
    written_to: list[str] = []

    def during(fd: int) -> None:
        # The bytes written so far are on disk: the destination must still be the old file.
        observed.append(path.read_bytes())
        written_to.append(str(Path(f"/proc/self/fd/{fd}").readlink()))

    seen = _intercept_fsync(monkeypatch, during)
    _io.atomic_write_bytes(path, NEW, overwrite=True)
    assert seen, "the new bytes were never flushed to disk before publication"
    assert observed == [OLD]
    # Written beside the destination (a rename across file systems is not atomic), not into it.
    written = Path(written_to[0])
    assert written.parent == tmp_path
    assert written != path
    # Hidden, and named for its destination: a crash leaves a file that says what it was.
    assert written.name.startswith(".model.pt.")
    assert written.name.endswith(".tmp")
    assert path.read_bytes() == NEW
    assert _leftovers(tmp_path, path) == []


def test_a_reader_holding_the_old_file_reads_it_whole_across_a_save(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    path.write_bytes(OLD)
    with path.open("rb") as reader:
        head = reader.read(1000)
        _io.atomic_write_bytes(path, NEW, overwrite=True)
        rest = reader.read()
    assert head + rest == OLD
    assert path.read_bytes() == NEW


def test_concurrent_readers_see_the_old_or_the_new_bytes_whole(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    path.write_bytes(OLD)
    digests = {hashlib.sha256(OLD).digest(), hashlib.sha256(NEW).digest()}
    bad: list[int] = []
    reads = 0
    done = threading.Event()

    def read_repeatedly() -> None:
        nonlocal reads
        while not done.is_set():
            data = path.read_bytes()
            reads += 1
            if hashlib.sha256(data).digest() not in digests:
                bad.append(len(data))

    reader = threading.Thread(target=read_repeatedly)
    reader.start()
    try:
        for i in range(20):
            _io.atomic_write_bytes(path, NEW if i % 2 == 0 else OLD, overwrite=True)
    finally:
        done.set()
        reader.join()
    assert reads > 0
    assert bad == [], f"{len(bad)} of {reads} reads saw a partial file (lengths {bad[:5]})"
    assert _leftovers(tmp_path, path) == []


@pytest.mark.parametrize("overwrite", [True, False])
@pytest.mark.parametrize("failing", ["fsync", "publish"])
def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str, overwrite: bool
) -> None:
    path = tmp_path / "model.pt"
    if overwrite:
        path.write_bytes(OLD)

    def crash(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    if failing == "fsync":
        monkeypatch.setattr(_io.os, "fsync", crash)
    elif overwrite:
        monkeypatch.setattr(Path, "replace", crash)
    else:
        monkeypatch.setattr(_io.os, "link", crash)
    with pytest.raises(OSError, match="No space left on device"):
        _io.atomic_write_bytes(path, NEW, overwrite=overwrite)
    if overwrite:
        assert path.read_bytes() == OLD
        assert _leftovers(tmp_path, path) == []
    else:
        assert _leftovers(tmp_path) == []


def test_save_model_crashing_mid_write_keeps_the_old_model_loadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    torch.manual_seed(0)
    old_model, new_model = calhouse.CaliforniaModel(), calhouse.CaliforniaModel()
    path = calhouse.save_model(old_model, tmp_path / "m.pt", metadata={"which": "old"})
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def crash(_fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(_io.os, "fsync", crash)
    with pytest.raises(OSError, match="Input/output error"):
        calhouse.save_model(new_model, path, metadata={"which": "new"}, overwrite=True)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    loaded = calhouse.load_model(path)
    assert torch.equal(loaded.lin1.weight, old_model.lin1.weight)


def test_save_model_writes_both_files_through_the_atomic_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m.pt"
    calhouse.save_model(calhouse.CaliforniaModel(), path, metadata={"n": 1})
    old = {p: p.read_bytes() for p in (path, metadata_path(path))}
    observed: list[dict[Path, bytes]] = []
    _intercept_fsync(monkeypatch, lambda _fd: observed.append({p: p.read_bytes() for p in old}))
    calhouse.save_model(calhouse.CaliforniaModel(), path, metadata={"n": 2}, overwrite=True)
    # The weights, then the metadata: each flushed while the destination held its old bytes.
    assert len(observed) == 2
    assert observed[0] == old
    assert observed[1][metadata_path(path)] == old[metadata_path(path)]
    assert calhouse.read_metadata(path)["n"] == 2


def test_a_file_created_while_writing_is_not_clobbered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without overwrite, the check and the publication are one step (a hard link)."""
    path = tmp_path / "model.pt"
    _intercept_fsync(monkeypatch, lambda _fd: path.write_bytes(b"someone else's"))
    with pytest.raises(FileExistsError, match=r"model\.pt already exists; refusing to overwrite"):
        _io.atomic_write_bytes(path, NEW)
    assert path.read_bytes() == b"someone else's"
    assert _leftovers(tmp_path, path) == []


def test_without_overwrite_an_existing_file_is_refused_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    path.write_bytes(OLD)
    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        _io.atomic_write_bytes(path, NEW)
    assert path.read_bytes() == OLD
    assert _leftovers(tmp_path, path) == []


def test_a_new_file_is_readable_by_all_in_new_folders(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "model.pt"
    assert _io.atomic_write_bytes(path, NEW) == path
    assert path.read_bytes() == NEW
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    assert _leftovers(path.parent, path) == []


def test_sha256_file_hashes_every_block(tmp_path: Path) -> None:
    path = tmp_path / "big"
    data = os.urandom(1) + OLD + NEW  # more than one 1 MiB block, not a multiple of it
    path.write_bytes(data)
    assert _io.sha256_file(path) == hashlib.sha256(data).hexdigest()
    path.write_bytes(b"")
    assert _io.sha256_file(path) == hashlib.sha256(b"").hexdigest()


# --- checked before any long work: where a file can be written


def test_check_writable_accepts_a_new_file_under_missing_folders(tmp_path: Path) -> None:
    path = tmp_path / "x" / "y" / "m.pt"
    assert _io.check_writable(path) == path
    assert not (tmp_path / "x").exists()  # it checks, it makes nothing


def test_check_writable_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    existing = tmp_path / "m.pt"
    existing.write_bytes(b"keep")
    with pytest.raises(
        FileExistsError,
        match=r"m\.pt already exists; refusing to overwrite it \(pass overwrite=True, "
        r"or --force on the command line, to replace it\)",
    ):
        _io.check_writable(existing)
    assert _io.check_writable(existing, overwrite=True) == existing
    with pytest.raises(IsADirectoryError, match="is a directory; expected the path of a file"):
        _io.check_writable(tmp_path, overwrite=True)
    with pytest.raises(NotADirectoryError, match=r"m\.pt is a file, not a directory"):
        _io.check_writable(existing / "sub" / "new.pt")
    assert existing.read_bytes() == b"keep"
    # As root every folder is writable; the check asks os.access, as it would for a user.
    asked: list[tuple[Path, int]] = []

    def no_access(where: Path, mode: int) -> bool:
        asked.append((Path(where), mode))
        return False

    monkeypatch.setattr(_io.os, "access", no_access)
    with pytest.raises(PermissionError, match=r"cannot write .*new\.pt: .* is not writable"):
        _io.check_writable(tmp_path / "deeper" / "new.pt")
    assert asked == [(tmp_path, os.W_OK | os.X_OK)]


def test_metadata_is_sorted_indented_json_with_the_weights_digest(tmp_path: Path) -> None:
    model = torch.nn.Linear(2, 1)
    path = calhouse.save_model(model, tmp_path / "m.pt", metadata={"zeta": 1, "alpha": [1, 2]})
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert metadata_path(path).read_text(encoding="utf-8") == (
        '{\n  "alpha": [\n    1,\n    2\n  ],\n  "weights_sha256": "'
        + digest
        + '",\n  "zeta": 1\n}\n'
    )


def test_without_metadata_a_json_file_beside_is_none_of_its_business(tmp_path: Path) -> None:
    notes = tmp_path / "m.json"
    notes.write_text("my own notes")
    calhouse.save_model(torch.nn.Linear(2, 1), tmp_path / "m.pt")
    assert notes.read_text() == "my own notes"
    with pytest.raises(FileExistsError) as refused:
        calhouse.save_model(torch.nn.Linear(2, 1), tmp_path / "m.pt")
    assert str(refused.value) == (
        f"{tmp_path / 'm.pt'} already exists; refusing to overwrite it "
        "(pass overwrite=True, or --force on the command line)"
    )
