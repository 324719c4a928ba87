"""Steps stamp the driver's clock and host: journal rows, checkpoints and watermarks carry them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hygge.config import load_workspace
from hygge.engine import RunContext
from hygge.engine.finish import not_run
from hygge.engine.plan import Selection, plan_run
from hygge.engine.runner import run_plan
from hygge.engine.steps import ChunkBudget, begin, move_chunk
from tests.support.data import orders
from tests.support.workspace import land, state_of, write_workspace

FLOW = """\
home: {type: parquet, path: landing, batch_size: 5}
store: {type: parquet, path: lake}
run_type: incremental
watermark: {column: id}
entities: [orders]
"""
T = datetime(2031, 5, 4, 3, 2, 1, tzinfo=UTC)


class StepClock:
    """A clock that moves one second each time a step reads it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def _workspace(root: Path):
    write_workspace(root, {"shop": FLOW})
    land(root, "orders", "a", orders(12))
    workspace = load_workspace(root)
    return workspace, state_of(workspace)


def test_journal_rows_and_the_watermark_carry_the_drivers_host_and_time(tmp_path: Path) -> None:
    workspace, state = _workspace(tmp_path / "ws")
    clock = StepClock(T)
    context = RunContext(clock=clock, host="activity-host-7")

    report = run_plan(plan_run(workspace, Selection()), state, concurrency=1, context=context)

    assert report.ok
    [row] = state.read_journal()
    assert row.host == "activity-host-7"
    assert T < row.start_time < row.finish_time <= clock.now
    watermark = state.get_watermark("shop", "orders")
    assert watermark is not None
    assert T < watermark.updated_at <= clock.now


def test_a_resumed_run_journals_its_interruption_with_the_resuming_drivers_host(
    tmp_path: Path,
) -> None:
    workspace, state = _workspace(tmp_path / "ws")
    [task] = plan_run(workspace, Selection()).tasks
    first = RunContext(clock=StepClock(T), host="host-that-died")
    stopped = move_chunk(
        task,
        begin(task, state, context=first),
        state,
        budget=ChunkBudget(max_rows=5),
        context=first,
    )
    assert stopped.saved_at is not None and stopped.saved_at > T
    state.release_lock(task.flow, task.entity, stopped.attempt_id)  # as a takeover would

    later = RunContext(clock=StepClock(T + timedelta(days=1)), host="host-that-resumed")
    begin(task, state, context=later)

    [interrupted] = state.read_journal()
    assert interrupted.error_type == "Interrupted"
    assert interrupted.host == "host-that-resumed"
    assert interrupted.finish_time == stopped.saved_at  # when the stopped run last checkpointed


def test_an_entity_never_started_is_journaled_at_the_drivers_time_and_host(tmp_path: Path) -> None:
    workspace, state = _workspace(tmp_path / "ws")
    [task] = plan_run(workspace, Selection()).tasks

    not_run(task, "not started: the run was cancelled", state, context=RunContext(lambda: T, "h1"))

    [row] = state.read_journal()
    assert (row.status, row.host, row.finish_time) == ("not_run", "h1", T)
