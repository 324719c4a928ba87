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


def interrupting(method: str, at_call: int, times: int = 1) -> Callable[..., Any]:
    """A polars DataFrame method that raises KeyboardInterrupt on calls at_call … (times)."""
    original = getattr(pl.DataFrame, method)
    calls = {"n": 0}

    def wrapper(self: pl.DataFrame, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if at_call <= calls["n"] < at_call + times:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    return wrapper


@pytest.mark.parametrize("run_type", ["full_drop", "incremental"])
def test_ctrl_c_inside_a_staged_write_keeps_the_rows_staged_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_type: str
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
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
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
