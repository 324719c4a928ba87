"""Attempts are fenced and idempotent (DESIGN.md §3): a repeated step returns the same result,
and an attempt that lost the entity's lock changes nothing visible."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hygge.config import load_workspace
from hygge.engine.failures import describe_failure
from hygge.engine.finish import abort, cancelled, commit
from hygge.engine.models import Checkpoint, EntityTask
from hygge.engine.plan import Selection, plan_run
from hygge.engine.steps import ChunkBudget, begin, move_chunk
from hygge.engine.watermarks import pending_margin
from hygge.errors import EntityLockedError, HyggeError
from hygge.state.base import JournalRow
from hygge.state.local import LocalStateBackend
from hygge.stores.base import Staging
from hygge.stores.file_store import FileStore
from hygge.types import RunStatus
from tests.support.context import LOCAL
from tests.support.data import content_hash, orders
from tests.support.workspace import land, read_lake, state_of, write_workspace

FLOW = """\
home: {type: parquet, path: landing, batch_size: 7}
store: {type: parquet, path: lake, batch_size: 10}
run_type: full_drop
entities: [orders]
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "ws"


def _entity(root: Path, rows: int = 30) -> tuple[EntityTask, LocalStateBackend]:
    write_workspace(root, {"shop": FLOW})
    land(root, "orders", "a", orders(rows))
    workspace = load_workspace(root)
    [task] = plan_run(workspace, Selection()).tasks
    return task, state_of(workspace)


def _take_over(task: EntityTask, state: LocalStateBackend, old: Checkpoint) -> Checkpoint:
    """A second attempt takes the entity over (as after the first one's heartbeat went stale)."""
    state.release_lock(task.flow, task.entity, old.attempt_id)
    return begin(task, state, attempt_id="second-attempt", context=LOCAL)


def test_a_retried_begin_with_the_same_attempt_id_returns_the_same_checkpoint(root: Path) -> None:
    task, state = _entity(root)

    first = begin(task, state, attempt_id="attempt-1", context=LOCAL)
    again = begin(task, state, attempt_id="attempt-1", context=LOCAL)

    assert again == first
    assert again.attempt_id == "attempt-1"


def test_a_checkpoint_of_an_older_hygge_with_lock_owner_still_loads(root: Path) -> None:
    task, state = _entity(root)
    saved = begin(task, state, context=LOCAL).model_dump(mode="json")
    saved["lock_owner"] = saved.pop("attempt_id")
    del saved["generation"]

    checkpoint = Checkpoint.model_validate(saved)

    assert checkpoint.attempt_id == saved["lock_owner"]
    assert checkpoint.generation == 0


def test_every_save_moves_the_checkpoint_generation_on(root: Path) -> None:
    task, state = _entity(root)
    first = begin(task, state, context=LOCAL)

    moved = move_chunk(task, first, state, budget=ChunkBudget(max_rows=10), context=LOCAL)

    assert moved.generation > first.generation
    assert state.load_checkpoint("shop", "orders")["generation"] == moved.generation  # type: ignore[index]


def test_a_stale_checkpoint_of_the_same_attempt_returns_the_stored_one(root: Path) -> None:
    task, state = _entity(root)
    first = begin(task, state, context=LOCAL)
    moved = move_chunk(task, first, state, budget=ChunkBudget(max_rows=10), context=LOCAL)

    # A redelivered activity hands the first checkpoint in again.
    again = move_chunk(task, first, state, budget=ChunkBudget(max_rows=10), context=LOCAL)

    assert again == moved  # that chunk was moved already: nothing staged twice
    while not again.done:
        again = move_chunk(task, again, state, context=LOCAL)
    commit(task, again, state, context=LOCAL)
    assert content_hash(read_lake(root, "orders")) == content_hash(orders(30))


def test_a_stale_checkpoint_of_another_attempt_is_refused_naming_the_holder(root: Path) -> None:
    task, state = _entity(root)
    old = begin(task, state, context=LOCAL)
    old = move_chunk(task, old, state, budget=ChunkBudget(max_rows=10), context=LOCAL)
    _take_over(task, state, old)

    with pytest.raises(EntityLockedError, match="second-"):
        move_chunk(task, old, state, budget=ChunkBudget(max_rows=10), context=LOCAL)


def test_a_taken_over_run_cannot_abort_the_new_holders_staging_or_checkpoint(root: Path) -> None:
    task, state = _entity(root)
    old = move_chunk(
        task,
        begin(task, state, context=LOCAL),
        state,
        budget=ChunkBudget(max_rows=10),
        context=LOCAL,
    )
    new = _take_over(task, state, old)

    with pytest.raises(EntityLockedError):
        abort(
            task,
            old,
            describe_failure(RuntimeError("the old attempt's late failure")),
            state,
            context=LOCAL,
        )

    stored = state.load_checkpoint("shop", "orders")
    assert stored is not None and stored["attempt_id"] == new.attempt_id
    while not new.done:
        new = move_chunk(task, new, state, context=LOCAL)
    commit(task, new, state, context=LOCAL)
    assert content_hash(read_lake(root, "orders")) == content_hash(orders(30))


def test_two_interleaved_publishers_of_one_full_drop_publish_once(root: Path) -> None:
    task, state = _entity(root)
    old = begin(task, state, context=LOCAL)
    while not old.done:
        old = move_chunk(task, old, state, context=LOCAL)
    new = _take_over(task, state, old)  # resumes the same staging
    while not new.done:
        new = move_chunk(task, new, state, context=LOCAL)

    with pytest.raises(EntityLockedError):
        commit(
            task, old, state, context=LOCAL
        )  # the old publisher comes first: it publishes nothing
    commit(task, new, state, context=LOCAL)
    journal_rows = len(state.read_journal())
    with pytest.raises(HyggeError):
        commit(task, old, state, context=LOCAL)  # and after the new one: it changes nothing either

    assert content_hash(read_lake(root, "orders")) == content_hash(orders(30))
    assert len(state.read_journal()) == journal_rows


def test_a_publisher_taken_over_mid_commit_publishes_nothing_and_leaves_the_watermark(
    root: Path,
) -> None:
    task, state = _entity(root)
    old = begin(task, state, context=LOCAL)
    while not old.done:
        old = move_chunk(task, old, state, context=LOCAL)
    save = state.save_checkpoint

    def take_over_once_publishing(
        flow: str, entity: str, raw: dict[str, object], **options: Any
    ) -> None:
        save(flow, entity, raw, **options)
        if raw["phase"] == "publishing" and raw["attempt_id"] == old.attempt_id:
            state.save_checkpoint = save  # type: ignore[method-assign]
            new = _take_over(task, state, old)
            while not new.done:
                new = move_chunk(task, new, state, context=LOCAL)
            commit(task, new, state, context=LOCAL)

    state.save_checkpoint = take_over_once_publishing  # type: ignore[method-assign]
    with pytest.raises(HyggeError):
        commit(task, old, state, context=LOCAL)

    assert content_hash(read_lake(root, "orders")) == content_hash(orders(30))
    assert [row.status for row in state.read_journal()].count(RunStatus.SUCCESS) == 1


def test_a_cancelled_then_interrupted_run_appends_two_distinct_journal_rows(root: Path) -> None:
    task, state = _entity(root)
    appended: list[JournalRow] = []
    append = state.append_journal

    def record(row: JournalRow) -> None:
        appended.append(row)
        append(row)

    state.append_journal = record  # type: ignore[method-assign]
    stopped = move_chunk(
        task,
        begin(task, state, context=LOCAL),
        state,
        budget=ChunkBudget(max_rows=10),
        context=LOCAL,
    )
    cancelled(task, stopped, state, context=LOCAL)

    begin(task, state, context=LOCAL)  # resumes it, journaling the interruption

    assert [row.error_type for row in appended] == ["Cancelled", "Interrupted"]
    assert appended[0].message != appended[1].message


LOOKBACK_FLOW = """\
home: {type: parquet, path: landing, batch_size: 7}
store: {type: parquet, path: lake, batch_size: 10}
run_type: incremental
watermark: {column: updated_at, key_columns: [id], lookback: 30m}
entities: [orders]
"""


def test_a_run_that_lost_its_lock_mid_chunk_does_not_write_its_lookback_margin(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_workspace(root, {"shop": LOOKBACK_FLOW})
    land(root, "orders", "a", orders(30))
    workspace = load_workspace(root)
    [task] = plan_run(workspace, Selection()).tasks
    state = state_of(workspace)
    first = begin(task, state, attempt_id="first-attempt", context=LOCAL)

    def taken_over_while_staging(self: FileStore, staging: Staging) -> None:
        # Mid-chunk, after the batches are staged: another attempt takes the entity over.
        state.release_lock(task.flow, task.entity, first.attempt_id)
        state.acquire_lock(task.flow, task.entity, "second-attempt")

    monkeypatch.setattr(FileStore, "sync", taken_over_while_staging)
    with pytest.raises(EntityLockedError):
        move_chunk(task, first, state, budget=ChunkBudget(max_rows=10), context=LOCAL)

    assert state.load_margin(task.flow, task.entity, pending_margin(first, 1)) is None
