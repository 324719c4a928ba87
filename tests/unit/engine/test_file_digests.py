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
from hygge.io.digest import DIGEST, byte_at, part_digest
from hygge.state.base import FileRecord


class FolderParts:
    """A file home's `FileParts` over a local folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def part_digest(self, path: str, size: int, algorithm: str = DIGEST) -> tuple[str, bool]:
        return part_digest(self.root / path, size, algorithm)

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
    assert all(r.digest and r.digest.startswith("xxh3_128:") for r in selection.records)


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


def older(record: FileRecord, parts: FolderParts, algorithm: str) -> FileRecord:
    """`record` as a hygge digesting with `algorithm` recorded it."""
    digest = parts.part_digest(record.path, record.size, algorithm)[0]
    return record.model_copy(update={"digest": digest})


def test_a_record_digested_with_sha256_is_compared_by_sha256_so_a_touch_is_still_a_touch(
    tmp_path,
):
    [entry] = landed(tmp_path, 1)
    parts = FolderParts(tmp_path)
    known = older(record_of(parts, entry), parts, "sha256")
    assert known.digest is not None and known.digest.startswith("sha256:")
    touched = entry.model_copy(update={"mtime_ns": entry.mtime_ns + 1})

    selection = select_files(TASK, parts, [touched], {known.path: known})  # type: ignore[arg-type]

    assert selection.files == []
    assert selection.records == [known.model_copy(update={"mtime_ns": touched.mtime_ns})]


def test_a_file_appended_after_a_sha256_record_loads_only_its_new_rows(tmp_path):
    [entry] = landed(tmp_path, 1)
    parts = FolderParts(tmp_path)
    known = older(record_of(parts, entry), parts, "sha256").model_copy(update={"rows": 500})
    with (tmp_path / entry.path).open("a") as file:
        file.write("999999\n")
    stat = (tmp_path / entry.path).stat()
    grown = entry.model_copy(update={"size": stat.st_size, "mtime_ns": stat.st_mtime_ns + 1})

    selection = select_files(TASK, parts, [grown], {known.path: known})  # type: ignore[arg-type]

    [appended] = selection.files
    assert (appended.start_row, appended.start_byte) == (500, entry.size)
    assert selection.records[0].digest.startswith("xxh3_128:")  # the new record: xxh3_128


def test_a_digest_of_an_unknown_algorithm_never_matches_so_the_file_counts_as_changed(
    tmp_path,
):
    [entry] = landed(tmp_path, 1)
    parts = FolderParts(tmp_path)
    known = record_of(parts, entry).model_copy(update={"digest": "sha3_512:00"})
    touched = entry.model_copy(update={"mtime_ns": entry.mtime_ns + 1})

    task = SimpleNamespace(home=TASK.home, qualified_name="flow.entity")
    with pytest.raises(DataError, match=r"home file 0\.csv changed since it was loaded"):
        select_files(task, parts, [touched], {known.path: known})  # type: ignore[arg-type]
