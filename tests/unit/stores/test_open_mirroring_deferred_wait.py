"""A full_drop's `folder_deletion_wait_seconds` left to the caller (`deferred_deletion_wait`,
the Functions driver's Durable timer): the publish clears the folder, records when, and raises
`DeletionWaitPending`; publishing again before the time is up clears nothing twice, after it
lands the files — sequence from the start again, no gap, nothing doubled. Locally, a publish
resumed after a crash sleeps only what is left of the wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hygge import slots
from hygge.stores.open_mirroring import publish
from hygge.stores.open_mirroring.publish import DeletionWaitPending, deferred_deletion_wait
from hygge.types import RunType
from tests.support.data import orders
from tests.support.open_mirroring_checker import assert_valid, replay
from tests.unit.stores.test_open_mirroring_store import _names, _run, _storage, _store


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    made = Clock()
    monkeypatch.setattr(publish, "_now", made)
    return made


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    seen: list[float] = []
    monkeypatch.setattr(slots.time, "sleep", seen.append)
    return seen


def _second_full_drop(tmp_path: Path):
    _run(_store(tmp_path, folder_deletion_wait_seconds=0), [orders(4)], RunType.FULL_DROP, "r1")
    store = _store(tmp_path, folder_deletion_wait_seconds=60)
    staging = store.prepare("r2", RunType.FULL_DROP)
    staging = store.write(staging, orders(2))
    staging = store.write(staging, orders(3, start=2))
    return store, staging


def test_a_deferred_wait_clears_then_asks_and_lands_once_the_time_passed(
    tmp_path: Path, clock: Clock, slept: list[float]
) -> None:
    store, staging = _second_full_drop(tmp_path)
    with deferred_deletion_wait(), pytest.raises(DeletionWaitPending) as asked:
        store.publish(staging)
    assert asked.value.seconds == 60
    assert not (tmp_path / "onelake" / "LandingZone" / "orders").exists()  # cleared, empty

    clock.at += timedelta(seconds=20)  # a redelivery before the time is up: the rest only
    with deferred_deletion_wait(), pytest.raises(DeletionWaitPending) as again:
        store.publish(staging)
    assert again.value.seconds == pytest.approx(40)

    clock.at += timedelta(seconds=40)
    with deferred_deletion_wait():
        store.publish(staging)
    assert slept == []  # never held the worker
    assert _names(tmp_path) == [f"{n:020d}.parquet" for n in (1, 2)]  # a new table, no gap
    table = replay(_storage(tmp_path), "LandingZone/orders")
    assert table is not None and sorted(table["id"].to_list()) == [0, 1, 2, 3, 4]
    assert_valid(_storage(tmp_path), "LandingZone")

    store.publish(staging)  # published again (a redelivered commit): nothing changes
    assert _names(tmp_path) == [f"{n:020d}.parquet" for n in (1, 2)]


def test_a_local_publish_resumed_after_a_crash_in_its_wait_sleeps_only_the_rest(
    tmp_path: Path, clock: Clock, slept: list[float]
) -> None:
    store, staging = _second_full_drop(tmp_path)
    with deferred_deletion_wait(), pytest.raises(DeletionWaitPending):
        store.publish(staging)  # stands for a process killed while it waited
    clock.at += timedelta(seconds=45)

    store.publish(staging)  # `hygge go` resumes the publish

    assert slept == [pytest.approx(15)]
    assert _names(tmp_path) == [f"{n:020d}.parquet" for n in (1, 2)]


def test_a_clock_gone_backwards_waits_no_longer_than_the_setting(
    tmp_path: Path, clock: Clock, slept: list[float]
) -> None:
    store, staging = _second_full_drop(tmp_path)
    with deferred_deletion_wait(), pytest.raises(DeletionWaitPending):
        store.publish(staging)
    clock.at -= timedelta(hours=3)

    store.publish(staging)

    assert slept == [60]


def test_the_rest_of_a_second_or_less_is_slept_not_deferred(
    tmp_path: Path, clock: Clock, slept: list[float]
) -> None:
    store, staging = _second_full_drop(tmp_path)
    with deferred_deletion_wait(), pytest.raises(DeletionWaitPending):
        store.publish(staging)
    clock.at += timedelta(seconds=59.5)

    with deferred_deletion_wait():
        store.publish(staging)

    assert slept == [pytest.approx(0.5)]


def test_a_first_full_drop_of_a_new_table_waits_for_nothing(
    tmp_path: Path, clock: Clock, slept: list[float]
) -> None:
    store = _store(tmp_path, folder_deletion_wait_seconds=60)
    staging = store.write(store.prepare("r1", RunType.FULL_DROP), orders(2))
    with deferred_deletion_wait():
        store.publish(staging)
    assert slept == [] and _names(tmp_path) == [f"{1:020d}.parquet"]
