"""The contract every ObjectStorage passes (local folder, memory, and issue 9's blob).

A subclass provides a `storage` fixture holding an empty storage. Cases that need a
capability (rename, exchange) run only where the storage declares it, and the others check
that an undeclared operation is refused rather than half done.
"""

from __future__ import annotations

import io

import pytest

from hygge.storage import (
    ObjectStorage,
    PreconditionFailedError,
    UnsupportedOperationError,
)


class StorageContract:
    def test_it_is_an_object_storage(self, storage):
        assert isinstance(storage, ObjectStorage)

    def test_a_put_object_is_read_back_whole(self, storage):
        info = storage.put("a/b/one.bin", b"hello world")

        assert info.key == "a/b/one.bin" and info.size == 11
        assert storage.stat("a/b/one.bin") == info
        with storage.open_read("a/b/one.bin") as handle:
            assert handle.read() == b"hello world"

    def test_a_stream_is_put_like_bytes(self, storage):
        storage.put("s.bin", io.BytesIO(b"x" * 3_000_000))

        assert storage.stat("s.bin").size == 3_000_000

    def test_read_range_returns_the_slice_and_less_at_the_end(self, storage):
        storage.put("r.bin", b"0123456789")

        assert storage.read_range("r.bin", 2, 3) == b"234"
        assert storage.read_range("r.bin", 8, 10) == b"89"

    def test_a_missing_object_has_no_stat_and_cannot_be_opened(self, storage):
        assert storage.stat("nope.bin") is None
        with pytest.raises(FileNotFoundError):
            storage.open_read("nope.bin").read()

    def test_list_is_sorted_and_recursive_by_default(self, storage):
        for key in ("p/z.bin", "p/a.bin", "p/sub/m.bin", "q/other.bin"):
            storage.put(key, b"1")

        assert [i.key for i in storage.list("p")] == ["p/a.bin", "p/sub/m.bin", "p/z.bin"]
        assert [i.key for i in storage.list("p", recursive=False)] == ["p/a.bin", "p/z.bin"]
        assert len(list(storage.list())) == 4
        assert list(storage.list("missing")) == []

    def test_a_prefix_is_a_folder_not_a_name_start(self, storage):
        storage.put("pre/x.bin", b"1")
        storage.put("prefix.bin", b"1")

        assert [i.key for i in storage.list("pre")] == ["pre/x.bin"]

    def test_hidden_names_are_skipped_on_request(self, storage):
        for key in ("h/data.bin", "h/.tmp.bin", "h/_staging/x.bin", "h/ok/_meta.bin"):
            storage.put(key, b"1")

        assert [i.key for i in storage.list("h", skip_hidden=True)] == ["h/data.bin"]
        assert len(list(storage.list("h"))) == 4

    def test_the_version_changes_when_content_is_replaced(self, storage):
        first = storage.put("v.bin", b"one")
        second = storage.put("v.bin", b"two!")

        assert first.version != second.version
        assert storage.stat("v.bin").version == second.version

    def test_list_and_stat_give_one_version(self, storage):
        # A file home lists a window and checks each file with stat before reading it: the
        # two must spell a version alike, or every file would read as changed.
        put = storage.put("d/v.bin", b"one")
        (listed,) = list(storage.list("d"))

        assert listed.version == storage.stat("d/v.bin").version == put.version
        assert (listed.size, listed.mtime_ns) == (put.size, storage.stat("d/v.bin").mtime_ns)

    def test_put_if_absent_refuses_an_existing_key_and_keeps_it(self, storage):
        storage.put("m.json", b"first", if_absent=True)

        with pytest.raises(PreconditionFailedError, match="already exists"):
            storage.put("m.json", b"second", if_absent=True)
        assert storage.open_read("m.json").read() == b"first"

    def test_conditional_put_succeeds_on_the_current_version_only(self, storage):
        first = storage.put("c.json", b"1")
        second = storage.put("c.json", b"2", if_match=first.version)

        with pytest.raises(PreconditionFailedError, match="another writer"):
            storage.put("c.json", b"3", if_match=first.version)
        assert storage.stat("c.json").version == second.version
        with pytest.raises(PreconditionFailedError):
            storage.put("gone.json", b"x", if_match=first.version)

    def test_copy_makes_an_independent_object(self, storage):
        storage.put("src.bin", b"data")
        storage.copy("src.bin", "dst/copy.bin")
        storage.put("src.bin", b"changed")

        assert storage.open_read("dst/copy.bin").read() == b"data"

    def test_delete_removes_one_object_and_is_idempotent(self, storage):
        storage.put("d.bin", b"1")
        storage.delete("d.bin")
        storage.delete("d.bin")

        assert storage.stat("d.bin") is None

    def test_delete_prefix_removes_only_that_prefix(self, storage):
        for key in ("own/a.bin", "own/sub/b.bin", "owner.bin", "other/c.bin"):
            storage.put(key, b"1")

        assert storage.delete_prefix("own") == 2
        assert sorted(i.key for i in storage.list()) == ["other/c.bin", "owner.bin"]
        assert storage.delete_prefix("own") == 0

    def test_keys_may_not_escape_the_storage(self, storage):
        for key in ("../x.bin", "/abs.bin", "a//b.bin"):
            with pytest.raises(ValueError, match="not a storage key"):
                storage.put(key, b"1")

    def test_describe_names_the_key(self, storage):
        assert "k.bin" in storage.describe("dir/k.bin")

    def test_rename_moves_a_prefix_in_one_step_where_declared(self, storage):
        storage.put("stage/a.bin", b"1")
        if not storage.capabilities.atomic_rename:
            with pytest.raises(UnsupportedOperationError):
                storage.rename("stage", "live")
            assert storage.stat("stage/a.bin") is not None  # nothing half done
            return
        storage.rename("stage", "live")
        assert [i.key for i in storage.list()] == ["live/a.bin"]
        storage.put("stage/b.bin", b"2")
        with pytest.raises(PreconditionFailedError):
            storage.rename("stage", "live", no_replace=True)

    def test_exchange_swaps_two_prefixes_where_declared(self, storage):
        storage.put("new/n.bin", b"n")
        storage.put("old/o.bin", b"o")
        if not storage.capabilities.atomic_exchange:
            with pytest.raises(UnsupportedOperationError):
                storage.exchange("new", "old")
            return
        storage.exchange("new", "old")
        assert sorted(i.key for i in storage.list()) == ["new/o.bin", "old/n.bin"]
