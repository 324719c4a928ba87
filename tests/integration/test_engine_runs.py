"""The engine end to end over real files and local state: what users rely on every run."""

from __future__ import annotations

import threading
from pathlib import Path

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.engine.events import EntityProgress, RunEvent
from hygge.engine.plan import Selection, plan_run
from hygge.engine.runner import chunk_budget, run_entity, run_plan
from hygge.engine.steps import ChunkBudget, begin, move_chunk
from hygge.errors import EntityLockedError
from hygge.types import RunStatus, RunType
from tests.support.context import LOCAL
from tests.support.data import content_hash, orders
from tests.support.workspace import land, read_lake, read_landing, run, state_of, write_workspace

FLOW = """\
home: {type: parquet, path: landing, batch_size: 7}
store: {type: parquet, path: lake, batch_size: 10}
run_type: %s
entities: [orders]
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "ws"


def test_full_drop_moves_every_row_exactly_once(root: Path) -> None:
    write_workspace(root, {"shop": FLOW % "full_drop"})
    land(root, "orders", "a", orders(25))
    land(root, "orders", "b", orders(13, start=25))

    report = run(root)

    assert report.ok
    assert report.results[0].rows == 38
    assert content_hash(read_lake(root, "orders")) == content_hash(read_landing(root, "orders"))


def test_full_drop_replaces_the_entity_when_the_source_shrinks(root: Path) -> None:
    write_workspace(root, {"shop": FLOW % "full_drop"})
    land(root, "orders", "a", orders(25))
    stale = land(root, "orders", "b", orders(13, start=25))
    run(root)

    stale.unlink()
    run(root)

    assert content_hash(read_lake(root, "orders")) == content_hash(orders(25))


def test_incremental_moves_only_files_that_arrived_since_the_last_run(root: Path) -> None:
    write_workspace(root, {"shop": FLOW % "incremental"})
    land(root, "orders", "a", orders(20))
    first = run(root)
    land(root, "orders", "b", orders(5, start=20))

    second = run(root)

    assert (first.results[0].rows, second.results[0].rows) == (20, 5)
    assert content_hash(read_lake(root, "orders")) == content_hash(orders(25))


def test_a_run_with_nothing_new_is_journaled_as_a_skip_and_changes_nothing(root: Path) -> None:
    write_workspace(root, {"shop": FLOW % "incremental"})
    land(root, "orders", "a", orders(20))
    run(root)
    before = sorted(p.name for p in (root / "lake" / "orders").iterdir())

    report = run(root)

    assert report.results[0].status is RunStatus.SKIP
    assert sorted(p.name for p in (root / "lake" / "orders").iterdir()) == before
    journal = state_of(load_workspace(root)).read_journal()
    assert (journal[0].status, journal[0].message) == ("skip", "no rows")


def test_cli_run_type_override_beats_the_flow(root: Path) -> None:
    write_workspace(root, {"shop": FLOW % "incremental"})
    land(root, "orders", "a", orders(20))
    run(root)

    report = run(root, run_type=RunType.FULL_DROP)

    assert report.results[0].rows == 20
    assert read_lake(root, "orders").height == 20


def test_every_run_writes_a_journal_row_with_the_original_columns(root: Path) -> None:
    write_workspace(root, {"shop": FLOW % "full_drop"})
    land(root, "orders", "a", orders(3))
    run(root)

    journal = pl.read_parquet(root / ".hygge" / "journal" / "**" / "*.parquet")

    assert journal.columns[:18] == [
        "entity_run_id", "coordinator_run_id", "flow_run_id", "coordinator", "flow", "entity",
        "start_time", "finish_time", "status", "run_type", "row_count", "duration",
        "primary_key", "watermark_column", "watermark_type", "watermark", "message",
        "schema_version",
    ]  # fmt: skip
    row = journal.row(0, named=True)
    assert (row["flow"], row["entity"], row["status"], row["row_count"]) == (
        "shop", "orders", "success", 3,
    )  # fmt: skip


def test_a_failing_entity_is_journaled_and_leaves_the_store_and_others_untouched(
    root: Path,
) -> None:
    flows = {
        "good": "home: {type: parquet, path: landing}\nstore: lake\nentities: [orders]\n",
        "bad": "home: {type: local, path: broken, format: csv}\nstore: lake\nentities: [items]\n",
    }
    write_workspace(root, flows)
    land(root, "orders", "a", orders(4))
    (root / "broken" / "items").mkdir(parents=True)
    (root / "broken" / "items" / "x.csv").write_text('id,qty\n1,2\n2,"unterminated\n3,4,5,6\n')

    report = run(root, continue_on_error=True)

    statuses = {r.qualified_name: r.status for r in report.results}
    assert statuses == {"good.orders": RunStatus.SUCCESS, "bad.items": RunStatus.FAIL}
    assert not (root / "lake" / "items").exists()
    assert not list((root / "lake").glob("_hygge_staging/items/*"))
    state = state_of(load_workspace(root))
    assert state.load_checkpoint("bad", "items") is None
    assert state.list_locks() == {}
    failed = [r for r in state.read_journal() if r.status == "fail"]
    assert failed and "x.csv" in (failed[0].message or "")


def test_without_continue_on_error_entities_not_yet_started_are_not_run(root: Path) -> None:
    flows = {
        "a_bad": "home: {type: parquet, path: missing}\nstore: lake\nentities: [nothing]\n",
        "b_good": "home: {type: parquet, path: landing}\nstore: lake\nentities: [orders]\n",
    }
    write_workspace(root, flows)
    land(root, "orders", "a", orders(4))

    report = run(root, concurrency=1, continue_on_error=False)

    assert [r.status for r in report.results] == [RunStatus.FAIL, RunStatus.NOT_RUN]
    assert not report.ok


def test_a_second_writer_of_the_same_entity_fails_fast_naming_the_holder(root: Path) -> None:
    write_workspace(root, {"shop": FLOW % "full_drop"})
    land(root, "orders", "a", orders(30))
    workspace = load_workspace(root)
    state = state_of(workspace)
    [task] = plan_run(workspace, Selection()).tasks
    holder = begin(task, state, context=LOCAL)

    result = run_entity(task, state)

    assert result.status is RunStatus.FAIL
    assert result.error_type == EntityLockedError.__name__
    assert "shop.orders" in (result.message or "")
    # The holder is unaffected and can finish.
    assert state.load_checkpoint("shop", "orders") is not None
    assert holder.attempt_id in str(state.list_locks())


def test_chunks_checkpoint_their_position_and_a_new_process_continues_from_it(
    root: Path,
) -> None:
    write_workspace(root, {"shop": FLOW % "full_drop"})
    land(root, "orders", "a", orders(30))
    workspace = load_workspace(root)
    state = state_of(workspace)
    [task] = plan_run(workspace, Selection()).tasks

    checkpoint = move_chunk(
        task,
        begin(task, state, context=LOCAL),
        state,
        budget=ChunkBudget(max_rows=10),
        context=LOCAL,
    )

    saved = state.load_checkpoint("shop", "orders")
    assert saved is not None and saved["rows"] == checkpoint.rows > 0
    assert not checkpoint.done
    # A fresh run (as after a crash) resumes and finishes without doubling anything.
    state.release_lock("shop", "orders", checkpoint.attempt_id)
    report = run(root)
    assert report.results[0].resumed == 1
    assert content_hash(read_lake(root, "orders")) == content_hash(orders(30))


def test_memory_is_bounded_by_batches_not_by_the_table(root: Path) -> None:
    # One chunk over many small batches: the store sees files of batch_size rows, never the table.
    write_workspace(root, {"shop": FLOW % "full_drop"})
    land(root, "orders", "a", orders(95))

    run(root)

    sizes = [
        pl.read_parquet(f).height for f in sorted((root / "lake" / "orders").glob("*.parquet"))
    ]
    assert max(sizes) <= 10 and sum(sizes) == 95


def test_options_checkpoint_rows_sets_how_often_a_run_checkpoints(root: Path) -> None:
    write_workspace(
        root, {"shop": FLOW % "full_drop"}, project="name: t\noptions: {checkpoint_rows: 10}\n"
    )
    land(root, "orders", "a", orders(45))
    workspace = load_workspace(root)
    plan = plan_run(workspace, Selection())

    run_plan(plan, state_of(workspace), concurrency=1, budget=chunk_budget(workspace))

    [row] = state_of(workspace).read_journal()
    assert row.row_count == 45
    assert row.chunks is not None and row.chunks >= 4


def test_cancelling_stops_at_the_next_batch_keeps_a_checkpoint_and_the_next_run_resumes(
    root: Path,
) -> None:
    write_workspace(root, {"shop": FLOW % "full_drop"})
    land(root, "orders", "a", orders(60))
    workspace = load_workspace(root)
    state = state_of(workspace)
    cancel = threading.Event()

    def cancel_on_first_progress(event: RunEvent) -> None:
        if isinstance(event, EntityProgress):
            cancel.set()  # as Ctrl-C does

    report = run_plan(
        plan_run(workspace, Selection()),
        state,
        concurrency=1,
        on_event=cancel_on_first_progress,
        budget=ChunkBudget(max_rows=10),  # a native chunk is cancelled at its end
        cancel=cancel,
    )

    assert report.cancelled
    [result] = report.results
    assert result.status is RunStatus.FAIL and result.error_type == "Cancelled"
    assert result.rows == 0  # nothing published
    assert 0 < result.rows_kept < 60  # staged and kept for the next run
    assert not (root / "lake" / "orders").exists()
    assert state.load_checkpoint("shop", "orders") is not None
    assert state.list_locks() == {}
    resumed = run(root)
    assert resumed.results[0].resumed == 1
    assert content_hash(read_lake(root, "orders")) == content_hash(orders(60))
    # Each event of the one run is a row: the cancel, the resume finding it interrupted, the end.
    events = sorted((row.status, row.error_type or "") for row in state.read_journal())
    assert events == [("fail", "Cancelled"), ("fail", "Interrupted"), ("success", "")]


def test_entities_not_started_when_the_run_is_cancelled_are_not_run(root: Path) -> None:
    flows = {"shop": "home: {type: parquet, path: landing}\nstore: lake\nentities: [a, b]\n"}
    write_workspace(root, flows)
    land(root, "a", "x", orders(3))
    land(root, "b", "x", orders(3))
    workspace = load_workspace(root)
    cancel = threading.Event()
    cancel.set()

    report = run_plan(
        plan_run(workspace, Selection()), state_of(workspace), concurrency=1, cancel=cancel
    )

    assert [r.status for r in report.results] == [RunStatus.NOT_RUN, RunStatus.NOT_RUN]
