"""A window's file records at begin: the digests of large windows are taken on several threads,
and come out exactly as one thread takes them, in window order; a failure still fails begin."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from hygge.engine import file_changes
from hygge.engine.file_changes import record_of, select_files
from hygge.errors import DataError
from hygge.homes.base import FileEntry
from hygge.io.digest import byte_at, part_digest


class FolderParts:
    """A file home's `FileParts` over a local folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def part_digest(self, path: str, size: int) -> tuple[str, bool]:
        return part_digest(self.root / path, size)

    def byte_at(self, path: str, offset: int) -> bytes:
        return byte_at(self.root / path, offset)


def landed(root: Path, count: int) -> list[FileEntry]:
    entries = []
    for index in range(count):
        path = root / f"{index}.csv"
        path.write_text("id\n" + "".join(f"{index * 1000 + row}\n" for row in range(500)))
        stat = path.stat()
        entries.append(FileEntry(path=path.name, size=stat.st_size, mtime_ns=stat.st_mtime_ns))
    return entries


TASK = SimpleNamespace(home=SimpleNamespace(format="csv", changed_files="fail"))


@pytest.fixture
def parallel(monkeypatch):
    monkeypatch.setattr(file_changes, "PARALLEL_DIGEST_BYTES", 0)


def test_parallel_digests_are_the_records_one_thread_takes_in_window_order(tmp_path, parallel):
    files = landed(tmp_path, 6)
    parts = FolderParts(tmp_path)

    selection = select_files(TASK, parts, files, {})  # type: ignore[arg-type]

    assert selection.files == files
    assert selection.records == [record_of(parts, entry) for entry in files]
    assert all(r.digest and r.digest.startswith("sha256:") for r in selection.records)


def test_a_file_gone_before_its_digest_fails_the_selection_naming_it(tmp_path, parallel):
    files = landed(tmp_path, 4)
    (tmp_path / "2.csv").unlink()

    with pytest.raises(DataError, match=r"2\.csv"):
        select_files(TASK, FolderParts(tmp_path), files, {})  # type: ignore[arg-type]


def test_a_touched_file_keeps_its_record_among_the_new_ones_in_window_order(tmp_path, parallel):
    files = landed(tmp_path, 3)
    parts = FolderParts(tmp_path)
    known = record_of(parts, files[1])
    touched = files[1].model_copy(update={"mtime_ns": files[1].mtime_ns + 1})

    selection = select_files(  # type: ignore[arg-type]
        TASK, parts, [files[0], touched, files[2]], {known.path: known}
    )

    assert [r.path for r in selection.records] == ["0.csv", "1.csv", "2.csv"]
    assert selection.records[1] == known.model_copy(update={"mtime_ns": touched.mtime_ns})
    assert selection.files == [files[0], files[2]]
