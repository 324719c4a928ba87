"""The file store on object storage: strategy chosen from capabilities; the live marker."""

from __future__ import annotations

import json

import polars as pl
import pytest

from hygge.errors import InjectedFault
from hygge.homes.base import FilePosition, ReadSpec
from hygge.homes.file_home import FileHome
from hygge.homes.files import LocalHomeConfig
from hygge.storage import LIVE_MARKER as LIVE
from hygge.storage import LocalStorage, MemoryStorage
from hygge.stores.file_publish import CopyPublish, RenamePublish
from hygge.stores.file_store import open_file_store
from hygge.stores.files import LocalStoreConfig
from hygge.types import Place, RunType
from tests.support.data import orders


def _store(tmp_path, storage):
    config = LocalStoreConfig(path="lake/orders")
    return open_file_store(config, Place(tmp_path, "sales", "orders"), storage)


def test_the_store_exchanges_folders_on_a_local_disk_and_copies_on_object_storage(tmp_path):
    assert type(_store(tmp_path, None).publishing) is RenamePublish
    assert type(_store(tmp_path, LocalStorage(tmp_path)).publishing) is RenamePublish
    assert type(_store(tmp_path, MemoryStorage()).publishing) is CopyPublish


def _live(storage):
    return json.loads(storage.open_read(f"lake/orders/{LIVE}").read())


def test_a_crash_after_the_switch_leaves_the_marker_naming_the_new_set(tmp_path, monkeypatch):
    storage = MemoryStorage()
    store = _store(tmp_path, storage)
    store.publish(store.write(store.prepare("run-1", RunType.FULL_DROP), orders(3)))
    staging = store.write(store.prepare("run-2", RunType.FULL_DROP), orders(2))
    real_delete = storage.delete

    def die(key):
        raise InjectedFault(f"crash deleting {key}")

    monkeypatch.setattr(storage, "delete", die)
    with pytest.raises(InjectedFault):
        store.publish(staging)

    assert _live(storage)["run_id"] == "run-2"  # readers following it see only the new set
    monkeypatch.setattr(storage, "delete", real_delete)
    store.publish(staging)
    sets = {info.key.split("/")[2] for info in storage.list("lake/orders", skip_hidden=True)}
    assert sets == {_live(storage)["set"]}
    assert list(storage.list("lake/_hygge_staging")) == []


def test_publishing_a_finished_run_again_changes_nothing(tmp_path):
    storage = MemoryStorage()
    store = _store(tmp_path, storage)
    staging = store.write(store.prepare("run-1", RunType.FULL_DROP), orders(3))
    store.publish(staging)
    before = [info.model_dump() for info in storage.list()]

    store.publish(staging)

    assert [info.model_dump() for info in storage.list()] == before


def test_a_home_reading_the_store_mid_publish_sees_only_the_live_set(tmp_path, monkeypatch):
    storage = MemoryStorage()
    store = _store(tmp_path, storage)
    store.publish(store.write(store.prepare("run-1", RunType.FULL_DROP), orders(3)))
    staging = store.write(store.prepare("run-2", RunType.FULL_DROP), orders(2, start=10))

    def die(key):
        raise InjectedFault(f"crash deleting {key}")

    monkeypatch.setattr(storage, "delete", die)  # both sets are under lake/orders now
    with pytest.raises(InjectedFault):
        store.publish(staging)
    config = LocalHomeConfig(path="lake/orders")
    home = FileHome(config, Place(tmp_path, "sales", "orders"), storage=storage)
    rows = pl.concat(
        [batch for batch, _ in home.read(home.open_window(ReadSpec()), FilePosition())]
    )

    assert sorted(rows["id"].to_list()) == [10, 11]


def test_a_full_drop_prepare_never_lists_the_published_files(tmp_path, monkeypatch):
    storage = MemoryStorage()
    store = _store(tmp_path, storage)
    store.publish(store.write(store.prepare("run-1", RunType.FULL_DROP), orders(3)))
    listed: list[str] = []
    real_list = storage.list
    monkeypatch.setattr(
        storage, "list", lambda prefix="", **kw: listed.append(prefix) or real_list(prefix, **kw)
    )
    store.prepare("run-2", RunType.FULL_DROP)
    assert not [prefix for prefix in listed if prefix.startswith("lake/orders")]
