"""LocalStorage keeps the home's listing rules: links followed, never a silent skip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hygge.errors import DataError, StoreOwnershipError
from hygge.storage import LocalStorage, Location, MemoryStorage


def test_listing_follows_a_link_to_a_folder_kept_elsewhere(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "a.parquet").write_bytes(b"1")
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "linked").symlink_to(tmp_path / "elsewhere")

    keys = [info.key for info in LocalStorage(tmp_path / "root").list()]

    assert keys == ["linked/a.parquet"]


def test_a_link_loop_is_a_data_error_naming_the_folder(tmp_path):
    (tmp_path / "root" / "sub").mkdir(parents=True)
    (tmp_path / "root" / "sub" / "back").symlink_to(tmp_path / "root")

    with pytest.raises(DataError, match="again"):
        list(LocalStorage(tmp_path / "root").list())


def test_a_broken_link_is_a_data_error_not_a_skip(tmp_path):
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "gone.csv").symlink_to(tmp_path / "missing.csv")

    with pytest.raises(DataError, match="does not exist"):
        list(LocalStorage(tmp_path / "root").list())


def test_a_named_pipe_is_refused_naming_it(tmp_path):
    (tmp_path / "root").mkdir()
    os.mkfifo(tmp_path / "root" / "pipe.csv")

    with pytest.raises(DataError, match="named pipe"):
        list(LocalStorage(tmp_path / "root").list())
    with pytest.raises(DataError, match="named pipe"):
        LocalStorage(tmp_path / "root").stat("pipe.csv")


def test_a_put_leaves_no_temporary_file_behind(tmp_path):
    storage = LocalStorage(tmp_path)
    storage.put("deep/new/folder/x.bin", b"1")

    assert sorted(p.name for p in (tmp_path / "deep" / "new" / "folder").iterdir()) == ["x.bin"]


def test_a_location_parses_local_paths_file_and_az_uris(tmp_path):
    assert Location.parse(str(tmp_path)).local_path() == tmp_path
    assert Location.parse(tmp_path.as_uri()).local_path() == tmp_path
    blob = Location.parse("az://landing/sales/2026", connection="lake")
    assert (blob.container, blob.prefix, blob.connection) == ("landing", "sales/2026", "lake")
    assert blob.local_path() is None and blob.uri == "az://landing/sales/2026"


def test_a_location_with_an_unknown_scheme_is_a_config_error():
    from hygge.errors import ConfigError

    with pytest.raises(ConfigError, match="s3:"):
        Location.parse("s3://bucket/x")


def test_memory_storage_takes_mtimes_from_its_clock():
    from datetime import UTC, datetime

    moment = datetime(2026, 1, 2, tzinfo=UTC)
    storage = MemoryStorage(clock=lambda: moment)

    assert storage.put("k", b"1").mtime_ns == int(moment.timestamp()) * 1_000_000_000


@pytest.mark.parametrize("delete", ["delete", "delete_prefix"])
def test_a_delete_through_a_link_out_of_the_root_is_refused_and_touches_nothing(tmp_path, delete):
    outside = tmp_path / "someone-elses"
    (outside / "orders").mkdir(parents=True)
    (outside / "orders" / "keep.parquet").write_bytes(b"theirs")
    root = tmp_path / "root"
    root.mkdir()
    (root / "lake").symlink_to(outside, target_is_directory=True)
    storage = LocalStorage(root)

    with pytest.raises(StoreOwnershipError, match="outside the storage root"):
        if delete == "delete":
            storage.delete("lake/orders/keep.parquet")
        else:
            storage.delete_prefix("lake/orders")

    assert (outside / "orders" / "keep.parquet").read_bytes() == b"theirs"


def test_a_file_removed_while_its_folder_is_listed_is_left_out_not_an_error(tmp_path, monkeypatch):
    # A parallel partition renames its temp file away while another partition lists the
    # staging folder (found merging partitions with the store over storage).
    (tmp_path / "stage").mkdir()
    for name in ("a.csv", ".b.csv.0123abcd.tmp"):
        (tmp_path / "stage" / name).write_text("x")
    real_scandir = os.scandir

    def scandir_then_rename(path):
        entries = list(real_scandir(path))
        temp = tmp_path / "stage" / ".b.csv.0123abcd.tmp"
        if temp.exists():
            temp.rename(tmp_path / "stage" / "b.csv~later")  # after the folder was read
        return iter(entries)

    monkeypatch.setattr(os, "scandir", scandir_then_rename)
    keys = [info.key for info in LocalStorage(tmp_path).list("stage")]
    assert keys == ["stage/a.csv"]


def test_a_put_whose_parent_folder_is_removed_meanwhile_makes_it_again(tmp_path, monkeypatch):
    # Entities share the store's `_hygge_staging` folder; one entity's clean-up removes it
    # once empty while another is making its own folder in it (found by the 200-entity
    # bench: FileNotFoundError for lake/_hygge_staging/e075).
    shared = tmp_path / "_hygge_staging"
    shared.mkdir()
    real_is_dir = Path.is_dir
    removed: list[Path] = []

    def is_dir_then_removed(self: Path) -> bool:
        found = real_is_dir(self)
        if self == shared and found and not removed:
            shared.rmdir()  # the other entity's clean-up, just after this check
            removed.append(self)
        return found

    monkeypatch.setattr(Path, "is_dir", is_dir_then_removed)
    LocalStorage(tmp_path).put("_hygge_staging/e075/run/_open", b"x")

    assert removed == [shared]
    assert (shared / "e075" / "run" / "_open").read_bytes() == b"x"


def test_a_root_swapped_for_a_link_after_a_first_delete_is_still_refused(tmp_path):
    """The root's real path is taken once per storage: a link put in its place afterwards
    makes the folders below it resolve elsewhere, and the deletion is refused."""
    root, outside = tmp_path / "lake", tmp_path / "outside"
    (root / "orders").mkdir(parents=True)
    (outside / "orders").mkdir(parents=True)
    (outside / "orders" / "theirs.parquet").write_bytes(b"not hygge's")
    storage = LocalStorage(root)
    storage.delete("orders/none.parquet")  # takes the root's real path
    root.rename(tmp_path / "lake.moved")
    root.symlink_to(outside, target_is_directory=True)

    with pytest.raises(StoreOwnershipError, match="outside the storage root"):
        storage.delete("orders/theirs.parquet")
    with pytest.raises(StoreOwnershipError, match="outside the storage root"):
        storage.delete_prefix("orders")
    assert (outside / "orders" / "theirs.parquet").read_bytes() == b"not hygge's"


def test_paths_of_keys_are_kept_per_storage_and_bad_keys_still_refused(tmp_path):
    storage = LocalStorage(tmp_path)
    assert storage.path("a/b.parquet") is storage.path("a/b.parquet")
    assert storage.path("a/b.parquet") == tmp_path / "a" / "b.parquet"
    assert storage.path("") == tmp_path
    for bad in ("../x", "/etc", "a//b", "a/./b"):
        with pytest.raises(ValueError, match="is not a storage key"):
            storage.path(bad)


def test_an_unsynced_exchange_syncs_only_the_second_folders_parent(tmp_path, monkeypatch):
    import hygge.storage.local

    storage = LocalStorage(tmp_path)
    for folder in ("a/x", "b/y"):
        (tmp_path / folder).mkdir(parents=True)
    if not storage.capabilities.atomic_exchange:
        pytest.skip("this filesystem cannot exchange folders")
    synced: list[Path] = []
    monkeypatch.setattr(hygge.storage.local, "fsync_dir", synced.append)
    storage.exchange("a/x", "b/y", synced=False)
    assert synced == [tmp_path / "b"]
    storage.exchange("a/x", "b/y")
    assert synced == [tmp_path / "b", tmp_path / "b", tmp_path / "a"]
