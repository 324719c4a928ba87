"""The in-memory fakes pass the same contracts, so engine tests written on them hold for real."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import pytest

from hygge.errors import InjectedFault
from hygge.homes.base import FilePosition, Home, HomeCapabilities, ReadSpec
from hygge.stores.base import Store
from hygge.types import Place, RunType
from tests.contract.home_contract import HomeContract, HomeSource
from tests.contract.store_contract import OpenStore, ReadPublished, StoreContract
from tests.support.data import all_types, orders
from tests.support.memory import (
    FailingStore,
    MemoryHome,
    MemoryHomeConfig,
    MemoryStore,
    MemoryStoreConfig,
)


class FrameSource:
    def __init__(self, *, partitioned: bool = False) -> None:
        self.frames: list[pl.DataFrame] = []
        self.partitioned = partitioned

    def add(self, frame: pl.DataFrame) -> None:
        self.frames.append(frame)

    def open(self, batch_size: int) -> Home:
        return MemoryHome(self.frames, batch_size=batch_size, partitioned=self.partitioned)


class TestMemoryHome(HomeContract):
    round_trip_columns = tuple(all_types().columns)

    @pytest.fixture
    def source(self) -> HomeSource:
        return FrameSource()


class TestPartitionedMemoryHome(HomeContract):
    capabilities = HomeCapabilities(partitions=True)
    round_trip_columns = tuple(all_types().columns)

    @pytest.fixture
    def source(self) -> HomeSource:
        return FrameSource(partitioned=True)


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def lake(self) -> MemoryStore:
        return MemoryStore("orders")

    @pytest.fixture
    def open_store(self, lake: MemoryStore) -> OpenStore:
        def open_() -> Store:
            return lake.for_entity("orders")

        return open_

    @pytest.fixture
    def read_published(self, lake: MemoryStore) -> ReadPublished:
        return lambda schema: lake.published.get("orders")

    @pytest.fixture
    def fill_foreign(self, lake: MemoryStore) -> Callable[[], None]:
        def fill() -> None:
            lake.published["orders"] = orders(2)
            lake.foreign.add("orders")

        return fill


def test_failing_store_fails_the_chosen_call_then_recovers():
    store = FailingStore("write", at_call=2)
    staging = store.write(store.prepare("run-1", RunType.FULL_DROP), orders(1))
    with pytest.raises(InjectedFault, match="before write"):
        store.write(staging, orders(1))
    store.publish(store.write(staging, orders(2)))
    assert store.published["entity"].height == 3


def test_failing_store_after_publish_has_published_before_raising():
    store = FailingStore("publish", after=True)
    staging = store.write(store.prepare("run-1", RunType.FULL_DROP), orders(2))
    with pytest.raises(InjectedFault, match="after publish"):
        store.publish(staging)
    assert store.published["entity"].height == 2
    store.publish(staging)  # the retry is idempotent
    assert store.published["entity"].height == 2


def test_memory_home_can_fail_mid_read_and_resume_from_the_last_position():
    home = MemoryHome([orders(5)], batch_size=2, fail_after_batches=1)
    window = home.open_window(ReadSpec())
    reader = home.read(window, FilePosition())
    _, position = next(reader)
    with pytest.raises(InjectedFault):
        next(reader)
    rest = [b for b, _ in MemoryHome([orders(5)], batch_size=2).read(window, position)]
    assert pl.concat(rest)["id"].to_list() == [2, 3, 4]


def test_memory_configs_open_their_fakes_for_each_entity(tmp_path):
    lake = MemoryStore()
    store = MemoryStoreConfig.of(lake).open(Place(tmp_path, "sales", "orders"))
    store.publish(store.write(store.prepare("run-1", RunType.FULL_DROP), orders(1)))
    home = MemoryHome([orders(1)])
    assert MemoryHomeConfig.of(home).open(Place(tmp_path, "sales", "orders")) is home
    assert list(lake.published) == ["orders"]
    assert lake.calls == ["prepare", "write", "publish"]
