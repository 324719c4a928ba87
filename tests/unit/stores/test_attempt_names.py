"""Staged artefacts carry the attempt: two attempts of one run never write the same name."""

from __future__ import annotations

import polars as pl
import pytest

from hygge.errors import InjectedFault
from hygge.homes.base import FilePosition, ReadSpec
from hygge.homes.file_home import FileHome
from hygge.homes.files import LocalHomeConfig
from hygge.storage import LocalStorage, MemoryStorage
from hygge.stores.base import Staging, Store
from hygge.stores.file_store import open_file_store
from hygge.stores.files import LocalStoreConfig
from hygge.types import Place, RunType
from tests.support.data import orders

ATTEMPT_A, ATTEMPT_B = "a" * 32, "b" * 32


@pytest.fixture(params=["local", "object"])
def opened(request, tmp_path):
    """(the store, a reader of what it published)."""
    config, place = LocalStoreConfig(path="lake/orders"), Place(tmp_path, "sales", "orders")
    home_config = LocalHomeConfig(path="lake/orders")
    if request.param == "local":
        storage = None
        store: Store = open_file_store(config, place)
    else:
        storage = MemoryStorage("lake")
        store = open_file_store(config, place, storage)

    def read() -> pl.DataFrame:
        home = FileHome(home_config, place, storage)
        return pl.concat([b for b, _ in home.read(home.open_window(ReadSpec()), FilePosition())])

    return store, read


def _as(staging: Staging, attempt: str) -> Staging:
    return staging.model_copy(update={"attempt_id": attempt})


def test_two_attempts_of_one_run_stage_the_same_sequence_under_different_names(opened):
    store, _ = opened
    staging = store.prepare("run-1", RunType.FULL_DROP)
    first = store.write(_as(staging, ATTEMPT_A), orders(2))
    second = store.write(_as(staging, ATTEMPT_B), orders(3))
    assert first.artefacts != second.artefacts
    assert first.artefacts[0].endswith("~" + ATTEMPT_A[:8])
    assert second.artefacts[0].endswith("~" + ATTEMPT_B[:8])


@pytest.mark.parametrize("run_type", [RunType.FULL_DROP, RunType.INCREMENTAL])
def test_a_stale_attempts_artefact_is_dropped_and_the_live_attempts_rows_publish_once(
    opened, run_type
):
    store, read = opened
    staging = store.prepare("run-1", run_type)
    live = store.write(_as(staging, ATTEMPT_B), orders(3))
    store.write(_as(staging, ATTEMPT_A), orders(5))  # a lingering attempt, after the takeover
    store.discard_unlisted(live)  # the start of the live attempt's next chunk
    store.publish(live)
    assert read().height == 3


def test_published_names_are_the_patterns_names_without_the_attempt(tmp_path):
    store = open_file_store(
        LocalStoreConfig(path="lake/orders"), Place(tmp_path, "sales", "orders")
    )
    staging = store.write(_as(store.prepare("run-1", RunType.FULL_DROP), ATTEMPT_A), orders(2))
    store.publish(staging)
    data = [p.name for p in (tmp_path / "lake" / "orders").iterdir() if p.suffix == ".parquet"]
    assert data == ["00000000000000000000.parquet"]


def test_a_full_drop_publish_that_died_renaming_staged_files_finishes_when_run_again(
    tmp_path, monkeypatch
):
    store = open_file_store(
        LocalStoreConfig(path="lake/orders"), Place(tmp_path, "sales", "orders")
    )
    staging = _as(store.prepare("run-1", RunType.FULL_DROP), ATTEMPT_A)
    for rows in (2, 3, 4):
        staging = store.write(staging, orders(rows))
    real, calls = LocalStorage.rename, []

    def dies_on_the_second(self, src, dst, *, no_replace=True, synced=True):
        calls.append(src)
        if len(calls) == 2:
            raise InjectedFault("crash while renaming staged files")
        real(self, src, dst, no_replace=no_replace, synced=synced)

    with monkeypatch.context() as patch:
        patch.setattr(LocalStorage, "rename", dies_on_the_second)
        with pytest.raises(InjectedFault):
            store.publish(staging)
    store.publish(staging)
    published = sorted((tmp_path / "lake" / "orders").glob("*.parquet"))
    assert [p.name[-10:] for p in published] == ["00.parquet", "01.parquet", "02.parquet"]
    assert pl.concat([pl.read_parquet(p) for p in published]).height == 9
