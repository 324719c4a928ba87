"""A chunk that takes longer than the lock's stale timeout keeps its lock: the runner heartbeats."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from hygge.engine import parallel, runner
from hygge.engine.models import Checkpoint, EntityTask
from hygge.state import lock
from hygge.state.base import StateBackend
from hygge.types import RunStatus
from tests.support.data import orders
from tests.support.workspace import land, run, write_workspace

FLOW = """\
home: {type: parquet, path: landing}
store: {type: parquet, path: lake}
entities: [orders]
"""


def test_the_lock_heartbeat_moves_on_while_a_chunk_is_still_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_workspace(tmp_path / "ws", {"sales": FLOW})
    land(root, "orders", "part-0.parquet", orders(20))
    real_move_chunk = parallel.move_chunk
    seen: list[bool] = []

    def slow_move_chunk(
        task: EntityTask, checkpoint: Checkpoint, state: StateBackend, **kwargs: object
    ) -> Checkpoint:
        # The "slow first batch": wait (bounded) until the lock's heartbeat has moved on
        # while this step has not returned yet.
        first = state.get_lock(task.flow, task.entity)
        assert first is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = state.get_lock(task.flow, task.entity)
            if now is not None and now.heartbeat_at > first.heartbeat_at:
                seen.append(True)
                break
            time.sleep(0.01)
        return real_move_chunk(task, checkpoint, state, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "HEARTBEAT", timedelta(milliseconds=20))
    # A refresh within stale_after / FRESH_SHARE of the last one writes nothing (the lock is
    # fresh anyway); make that "moments" shorter than this test's 20 ms heartbeat.
    monkeypatch.setattr(lock, "FRESH_SHARE", 10**9)
    monkeypatch.setattr(parallel, "move_chunk", slow_move_chunk)

    report = run(root)

    assert [r.status for r in report.results] == [RunStatus.SUCCESS]
    assert seen == [True]
