"""The fault matrix for the transactional test store (SQLite, tests/support/sqlite_store.py).

Every named fault point x full_drop and incremental, through the local runner in this process
(`raise`: the step fails like any error; the SQLite store is not a workspace store type, so it
is put into the planned tasks). After the fault a plain run finishes or restarts the job, and
the store equals the source: row count and an order-insensitive content hash.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hygge.config import load_workspace
from hygge.engine.plan import Selection, plan_run
from hygge.engine.runner import RunReport, run_plan
from hygge.faults import FAULT_POINTS, reset_faults
from tests.support.data import content_hash, orders
from tests.support.sqlite_store import SqliteStoreConfig, read_entity
from tests.support.workspace import land, state_of, write_workspace

FLOW = """\
home: {type: parquet, path: landing, batch_size: 4}
store: lake
run_type: %s
watermark: {column: updated_at}
entities: [orders]
"""


def _run(root: Path) -> RunReport:
    workspace = load_workspace(root)
    plan = plan_run(workspace, Selection())
    tasks = [task.model_copy(update={"store": SqliteStoreConfig()}) for task in plan.tasks]
    return run_plan(plan.model_copy(update={"tasks": tasks}), state_of(workspace), concurrency=1)


@pytest.mark.parametrize("run_type", ["full_drop", "incremental"])
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_an_error_at_any_step_then_a_rerun_leaves_the_transactional_store_equal_to_the_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, point: str, run_type: str
) -> None:
    write_workspace(tmp_path, {"shop": FLOW % run_type})
    land(tmp_path, "orders", "a", orders(12))
    assert _run(tmp_path).ok
    land(tmp_path, "orders", "b", orders(11, start=12))
    monkeypatch.setenv("HYGGE_FAULT", f"{point}:raise")
    reset_faults()

    _run(tmp_path)
    monkeypatch.delenv("HYGGE_FAULT")
    rerun = _run(tmp_path)

    assert rerun.ok, rerun.results
    published = read_entity(tmp_path / "lake.sqlite", "shop.orders")
    assert published is not None
    source = orders(23)
    assert published.height == source.height
    assert content_hash(published.select(source.columns)) == content_hash(source)
    state = state_of(load_workspace(tmp_path))
    assert state.load_checkpoint("shop", "orders") is None
    assert state.list_locks() == {}
    watermark = state.get_watermark("shop", "orders")
    assert watermark is not None
    assert watermark.value == source["updated_at"].max().isoformat()  # type: ignore[union-attr]
