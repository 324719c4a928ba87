"""A blob's mtime is whole seconds: a same-size rewrite within one second changes only its
version tag (ETag). A loaded file is unchanged only when its version is too; a record or a
listing without a version (an older hygge's) is known by size and mtime; a local
file's version is its ctime."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest

from hygge.engine.file_changes import record_of, select_files
from hygge.errors import DataError
from hygge.homes.base import FilePosition, ReadSpec
from hygge.homes.file_home import FileHome
from hygge.homes.files import LocalHomeConfig
from hygge.records import FileRecord
from hygge.storage import MemoryStorage
from hygge.types import Place
from tests.unit.engine.test_file_digests import FolderParts


def _csv(ids: list[int]) -> bytes:
    buffer = io.BytesIO()
    pl.DataFrame({"id": ids}).write_csv(buffer)
    return buffer.getvalue()


def _same_second_storage() -> MemoryStorage:
    from datetime import UTC, datetime

    moment = datetime(2026, 12, 7, 8, 0, 0, tzinfo=UTC)
    return MemoryStorage("landing", clock=lambda: moment)


def _home(storage: MemoryStorage) -> FileHome:
    config = LocalHomeConfig(path="landing", format="csv", batch_size=10)
    return FileHome(config, Place(Path("/unused"), "sales", "orders"), storage=storage)


def test_a_listing_on_object_storage_carries_each_files_version():
    storage = _same_second_storage()
    put = storage.put("landing/a.csv", _csv([1, 2]))

    (entry,) = _home(storage).open_window(ReadSpec()).files or []

    assert entry.version == put.version


def test_a_local_listing_carries_each_files_ctime_as_its_version(tmp_path):
    (tmp_path / "landing").mkdir()
    (tmp_path / "landing" / "a.csv").write_bytes(_csv([1]))
    config = LocalHomeConfig(path="landing", format="csv", batch_size=10)

    window = FileHome(config, Place(tmp_path, "sales", "orders")).open_window(ReadSpec())

    ctime = (tmp_path / "landing" / "a.csv").stat().st_ctime_ns
    assert [f.version for f in window.files or []] == [f"ctime-{ctime:x}"]


def test_a_copied_local_folder_is_digested_once_and_read_as_touched_not_changed(tmp_path):
    """A copy (cp -a) keeps size and mtime, not the ctime: each file is digested, its bytes
    are the loaded ones, so it is not read again and its record takes the new tag."""
    import shutil

    parts, record = _loaded(tmp_path, [1, 2], "ctime-1")
    shutil.copy2(tmp_path / "a.csv", tmp_path / "copy.csv")
    (tmp_path / "copy.csv").replace(tmp_path / "a.csv")

    selection = select_files(TASK, parts, [_entry(tmp_path, "ctime-2")], {"a.csv": record})  # type: ignore[arg-type]

    assert selection.files == []
    assert [r.version for r in selection.records] == ["ctime-2"]


def test_a_same_size_rewrite_in_the_same_second_fails_the_run_reading_it():
    storage = _same_second_storage()
    storage.put("landing/a.csv", _csv([1, 2]))
    home = _home(storage)
    window = home.open_window(ReadSpec())
    storage.put("landing/a.csv", _csv([3, 4]))  # same size, same mtime, new version
    (entry,) = window.files or []
    assert storage.stat("landing/a.csv").mtime_ns == entry.mtime_ns  # type: ignore[union-attr]

    with pytest.raises(DataError, match=r"a\.csv changed during the run"):
        list(home.read(window, FilePosition()))


TASK = SimpleNamespace(
    home=SimpleNamespace(format="csv", changed_files="fail"), qualified_name="sales.orders"
)


def _loaded(tmp_path: Path, ids: list[int], version: str | None) -> tuple[FolderParts, FileRecord]:
    (tmp_path / "a.csv").write_bytes(_csv(ids))
    parts = FolderParts(tmp_path)
    entry = _entry(tmp_path, version)
    return parts, record_of(parts, entry)


def _entry(tmp_path: Path, version: str | None):  # type: ignore[no-untyped-def]
    from hygge.homes.base import FileEntry

    size = (tmp_path / "a.csv").stat().st_size
    return FileEntry(path="a.csv", size=size, mtime_ns=1_000_000_000, version=version)


def test_a_loaded_file_with_a_new_version_but_same_size_and_mtime_is_compared_again(tmp_path):
    parts, record = _loaded(tmp_path, [1, 2], '"v1"')
    (tmp_path / "a.csv").write_bytes(_csv([3, 4]))  # the same size: only the version tells

    same_size = r"a\.csv changed since it was loaded \(rewritten with other content of the same"
    with pytest.raises(DataError, match=same_size):
        select_files(TASK, parts, [_entry(tmp_path, '"v2"')], {"a.csv": record})  # type: ignore[arg-type]


def test_a_new_version_of_the_same_bytes_is_a_touch_and_its_record_takes_the_version(tmp_path):
    parts, record = _loaded(tmp_path, [1, 2], '"v1"')

    selection = select_files(TASK, parts, [_entry(tmp_path, '"v2"')], {"a.csv": record})  # type: ignore[arg-type]

    assert selection.files == []
    assert [r.version for r in selection.records] == ['"v2"']
    assert "touched" in " ".join(selection.notes)


@pytest.mark.parametrize(
    ("recorded", "listed"), [(None, '"v2"'), ('"v1"', None), ('"v1"', '"v1"'), (None, None)]
)
def test_a_record_or_listing_without_a_version_is_known_by_size_and_mtime(
    tmp_path, recorded, listed
):
    parts, record = _loaded(tmp_path, [1, 2], recorded)

    selection = select_files(TASK, parts, [_entry(tmp_path, listed)], {"a.csv": record})  # type: ignore[arg-type]

    assert selection.files == [] and selection.records == [] and selection.notes == []


def test_a_local_record_of_an_older_hygge_is_digested_once_and_quietly_takes_the_ctime(tmp_path):
    parts, record = _loaded(tmp_path, [1, 2], None)

    selection = select_files(TASK, parts, [_entry(tmp_path, "ctime-9")], {"a.csv": record})  # type: ignore[arg-type]

    assert selection.files == [] and selection.notes == []
    assert [r.version for r in selection.records] == ["ctime-9"]


def test_a_record_written_by_an_older_hygge_loads_without_a_version():
    old = {"path": "a.csv", "size": 3, "mtime_ns": 1, "rows": 1, "digest": None,
           "whole_lines": True}  # fmt: skip

    assert FileRecord.model_validate(old).version is None
