"""Stores own the commit: the watermark travels in the commit record, and a watermark the state
loses after a publish is recovered from the store's completion marker (`engine.recovery`).

Both a file store and the transactional test store (SQLite, tests/support/sqlite_store.py) are
driven through the engine's steps in this process: a fault raised at `after_publish` stands for
a crash between the publish and the state's watermark write (the dead process's lock is then
released by hand, as a takeover of a dead holder would), and "the state lost it" means its
checkpoint (and watermark write) are gone, as after restoring the state folder from a copy.
"""

from __future__ import annotations

import logging
from pathlib import Path

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.engine.finish import commit
from hygge.engine.models import Checkpoint, EntityResult, EntityTask
from hygge.engine.plan import Selection, plan_run
from hygge.engine.steps import begin, move_chunk
from hygge.errors import InjectedFault
from hygge.faults import reset_faults
from hygge.state.local import LocalStateBackend
from hygge.stores.base import CommitRecord
from hygge.types import RunStatus
from tests.support.context import LOCAL
from tests.support.data import content_hash, orders
from tests.support.sqlite_store import SqliteStoreConfig, read_entity
from tests.support.workspace import land, read_lake, state_of, write_workspace

FLOW = """\
home: {type: parquet, path: landing, batch_size: 4}
store: {type: parquet, path: lake, batch_size: 5}
run_type: incremental
watermark: {column: updated_at}
entities: [orders]
"""
STORES = [pytest.param("file", id="file_store"), pytest.param("sqlite", id="transactional")]


def _entity(root: Path, store: str) -> tuple[EntityTask, LocalStateBackend]:
    workspace = load_workspace(root)
    [task] = plan_run(workspace, Selection()).tasks
    if store == "sqlite":
        # Not a workspace store type: the engine's steps take it in a task all the same.
        task = task.model_copy(update={"store": SqliteStoreConfig()})
    return task, state_of(workspace)


def _moved(task: EntityTask, state: LocalStateBackend) -> Checkpoint:
    checkpoint = begin(task, state, context=LOCAL)
    while not checkpoint.done:
        checkpoint = move_chunk(task, checkpoint, state, context=LOCAL)
    return checkpoint


def _run(task: EntityTask, state: LocalStateBackend) -> EntityResult:
    return commit(task, _moved(task, state), state, context=LOCAL)


def _published(root: Path, store: str) -> pl.DataFrame:
    if store == "sqlite":
        found = read_entity(root / "lake.sqlite", "shop.orders")
        return pl.DataFrame() if found is None else found
    return read_lake(root, "orders")


def _marker(task: EntityTask) -> CommitRecord:
    found = task.store.open(task.place).last_commit()
    assert found is not None
    return found


def _first_run_then_a_crash_after_publish(
    root: Path, store: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[EntityTask, LocalStateBackend, Checkpoint]:
    """One completed run (file a), file b landed, then a run dies after publishing b."""
    write_workspace(root, {"shop": FLOW})
    land(root, "orders", "a", orders(12))
    task, state = _entity(root, store)
    assert _run(task, state).status is RunStatus.SUCCESS
    land(root, "orders", "b", orders(11, start=12))
    checkpoint = _moved(task, state)
    monkeypatch.setenv("HYGGE_FAULT", "after_publish:raise")
    reset_faults()
    with pytest.raises(InjectedFault):
        commit(task, checkpoint, state, context=LOCAL)
    monkeypatch.delenv("HYGGE_FAULT")
    state.release_lock(task.flow, task.entity, checkpoint.attempt_id)  # the holder is dead
    return task, state, checkpoint


def _assert_store_equals_the_source(
    root: Path, store: str, source: pl.DataFrame | None = None
) -> None:
    """Nothing lost, nothing doubled: the row count and content hash of the source (a + b)."""
    published, source = _published(root, store), orders(23) if source is None else source
    assert published.height == source.height
    assert content_hash(published.select(source.columns)) == content_hash(source)


@pytest.mark.parametrize("store", STORES)
def test_the_store_keeps_the_watermark_the_commit_advances_in_its_marker(
    tmp_path: Path, store: str
) -> None:
    write_workspace(tmp_path, {"shop": FLOW})
    land(tmp_path, "orders", "a", orders(12))
    task, state = _entity(tmp_path, store)

    result = _run(task, state)

    marker = _marker(task)
    assert marker.run_id == result.entity_run_id
    assert marker.watermark == state.get_watermark(task.flow, task.entity)
    assert marker.watermark is not None and marker.watermark.value == "2024-01-01T00:11:00"
    assert marker.committed_at == marker.watermark.updated_at


@pytest.mark.parametrize("store", STORES)
def test_a_crash_between_publish_and_the_watermark_then_a_rerun_loses_and_doubles_nothing(
    tmp_path: Path, store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    task, state, _ = _first_run_then_a_crash_after_publish(tmp_path, store, monkeypatch)

    rerun = _run(task, state)  # finishes the publish from the checkpoint

    assert rerun.status in {RunStatus.SUCCESS, RunStatus.SKIP}
    _assert_store_equals_the_source(tmp_path, store)


@pytest.mark.parametrize("store", STORES)
def test_a_watermark_the_state_lost_after_publish_is_recovered_from_the_store(
    tmp_path: Path, store: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    task, state, crashed = _first_run_then_a_crash_after_publish(tmp_path, store, monkeypatch)
    state.clear_checkpoint(task.flow, task.entity)  # the state lost the run's checkpoint too

    with caplog.at_level(logging.WARNING, logger="hygge.engine"):
        rerun = _run(task, state)

    assert rerun.status is RunStatus.SKIP  # b is in the store already: nothing new to load
    _assert_store_equals_the_source(tmp_path, store)
    warnings = [r.getMessage() for r in caplog.records if "lost that run's watermark" in r.message]
    assert len(warnings) == 1 and crashed.entity_run_id[:8] in warnings[0]
    watermark = state.get_watermark(task.flow, task.entity)
    assert watermark is not None and watermark.value == "2024-01-01T00:22:00"


def test_a_transactional_stores_watermark_wins_even_when_the_state_has_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    task, state, _ = _first_run_then_a_crash_after_publish(tmp_path, "sqlite", monkeypatch)
    state.clear_checkpoint(task.flow, task.entity)
    state.clear_watermark(task.flow, task.entity)  # a new, empty state

    assert _run(task, state).status is RunStatus.SKIP
    _assert_store_equals_the_source(tmp_path, "sqlite")


def test_a_file_store_marker_does_not_undo_a_reset_of_the_state(tmp_path: Path) -> None:
    write_workspace(tmp_path, {"shop": FLOW})
    land(tmp_path, "orders", "a", orders(12))
    task, state = _entity(tmp_path, "file")
    _run(task, state)
    state.clear_watermark(task.flow, task.entity)  # what `hygge reset` forgets

    again = _run(task, state)

    assert again.rows == 12  # reloaded, as `hygge reset` says its next run does


@pytest.mark.parametrize("store", STORES)
def test_a_run_with_nothing_new_keeps_naming_the_run_in_the_stores_marker(
    tmp_path: Path, store: str, caplog: pytest.LogCaptureFixture
) -> None:
    write_workspace(tmp_path, {"shop": FLOW})
    land(tmp_path, "orders", "a", orders(12))
    task, state = _entity(tmp_path, store)
    first = _run(task, state)

    with caplog.at_level(logging.WARNING, logger="hygge.engine"):
        assert _run(task, state).status is RunStatus.SKIP
        assert _run(task, state).status is RunStatus.SKIP

    watermark = state.get_watermark(task.flow, task.entity)
    assert watermark is not None and watermark.entity_run_id == first.entity_run_id
    assert not [r for r in caplog.records if "lost that run's watermark" in r.message]
    _assert_store_equals_the_source(tmp_path, store, orders(12))


def test_the_transactional_store_writes_batches_of_its_preferred_size(tmp_path: Path) -> None:
    write_workspace(tmp_path, {"shop": FLOW})
    land(tmp_path, "orders", "a", orders(10))
    task, state = _entity(tmp_path, "sqlite")  # its config sets no batch_size

    checkpoint = _moved(task, state)

    assert SqliteStoreConfig.capabilities.preferred_batch_size == 4
    assert len(checkpoint.staging.artefacts) == 3  # 4 + 4 + 2 rows
