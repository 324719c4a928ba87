"""Ctrl-C inside a polars call of a worker thread (polars answers the signal wherever it runs):
the chunk still checkpoints at a batch boundary, keeping every row staged before it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.engine import moving
from hygge.engine.plan import Selection, plan_run
from hygge.engine.runner import run_plan
from hygge.engine.steps import ChunkBudget
from tests.support.data import content_hash, orders
from tests.support.workspace import land, read_lake, run, state_of, write_workspace

FLOW = """\
home: {type: parquet, path: landing, batch_size: 7}
store: {type: parquet, path: lake, batch_size: 10}
run_type: %s
entities: [orders]
"""


@pytest.fixture
def batch_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch path's writes (a store that stages batches, e.g. SQL), not the native sink."""
    monkeypatch.setattr(moving, "native_sides", lambda *args: None)


def interrupting(
    method: str, at_call: int, times: int = 1, frame: type[Any] = pl.DataFrame
) -> Callable[..., Any]:
    """A polars `frame` method that raises KeyboardInterrupt on calls at_call … (times)."""
    original = getattr(frame, method)
    calls = {"n": 0}

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if at_call <= calls["n"] < at_call + times:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    return wrapper


@pytest.mark.parametrize("run_type", ["full_drop", "incremental"])
def test_ctrl_c_inside_a_staged_write_keeps_the_rows_staged_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_type: str, batch_path: None
) -> None:
    root = write_workspace(tmp_path, {"shop": FLOW % run_type})
    land(root, "orders", "a", orders(100))
    workspace = load_workspace(root)
    monkeypatch.setattr(pl.DataFrame, "write_parquet", interrupting("write_parquet", at_call=4))
    cancel = threading.Event()

    report = run_plan(
        plan_run(workspace, Selection()),
        state_of(workspace),
        concurrency=1,
        budget=ChunkBudget(max_rows=1_000_000),  # no checkpoint but the one at the cancel
        cancel=cancel,
    )

    assert report.cancelled
    [result] = report.results
    checkpoint = state_of(workspace).load_checkpoint("shop", "orders")
    assert checkpoint is not None
    assert result.rows_kept == checkpoint["rows"] >= 40  # the interrupted 4th file finished
    assert result.message is not None and "read again" not in result.message
    monkeypatch.undo()
    resumed = run(root)
    assert resumed.results[0].resumed == 1
    assert content_hash(read_lake(root, "orders")) == content_hash(orders(100))


def test_ctrl_c_twice_inside_a_write_falls_back_to_the_last_checkpoint_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch_path: None
) -> None:
    root = write_workspace(tmp_path, {"shop": FLOW % "full_drop"})
    land(root, "orders", "a", orders(100))
    workspace = load_workspace(root)
    monkeypatch.setattr(
        pl.DataFrame, "write_parquet", interrupting("write_parquet", at_call=4, times=2)
    )

    report = run_plan(
        plan_run(workspace, Selection()),
        state_of(workspace),
        concurrency=1,
        budget=ChunkBudget(max_rows=1_000_000),
        cancel=threading.Event(),
    )

    [result] = report.results
    assert result.rows_kept == 0
    assert result.message is not None
    assert "read again" in result.message
    monkeypatch.undo()
    run(root)
    assert content_hash(read_lake(root, "orders")) == content_hash(orders(100))


@pytest.mark.parametrize("run_type", ["full_drop", "incremental"])
def test_ctrl_c_inside_a_native_sink_finishes_the_chunk_then_cancels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_type: str
) -> None:
    root = write_workspace(tmp_path, {"shop": FLOW % run_type})
    land(root, "orders", "a", orders(100))
    workspace = load_workspace(root)
    sink = interrupting("sink_parquet", at_call=1, frame=pl.LazyFrame)
    monkeypatch.setattr(pl.LazyFrame, "sink_parquet", sink)
    cancel = threading.Event()

    report = run_plan(
        plan_run(workspace, Selection()),
        state_of(workspace),
        concurrency=1,
        budget=ChunkBudget(max_rows=30),
        cancel=cancel,
    )

    assert report.cancelled and cancel.is_set()
    [result] = report.results
    assert result.rows_kept == 30  # the chunk, sunk again whole
    staged = root / "lake" / "_hygge_staging" / "orders"
    assert not list(staged.rglob("*.tmp"))  # the interrupted sink's files are gone
    monkeypatch.undo()
    run(root)
    assert content_hash(read_lake(root, "orders")) == content_hash(orders(100))


def test_ctrl_c_twice_inside_a_native_sink_falls_back_to_the_last_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_workspace(tmp_path, {"shop": FLOW % "full_drop"})
    land(root, "orders", "a", orders(100))
    workspace = load_workspace(root)
    sink = interrupting("sink_parquet", at_call=2, times=2, frame=pl.LazyFrame)
    monkeypatch.setattr(pl.LazyFrame, "sink_parquet", sink)

    report = run_plan(
        plan_run(workspace, Selection()),
        state_of(workspace),
        concurrency=1,
        budget=ChunkBudget(max_rows=30),
        cancel=threading.Event(),
    )

    [result] = report.results
    assert result.rows_kept == 30  # the first chunk's checkpoint; the second is read again
    assert result.message is not None and "read again" in result.message
    monkeypatch.undo()
    run(root)
    assert content_hash(read_lake(root, "orders")) == content_hash(orders(100))
