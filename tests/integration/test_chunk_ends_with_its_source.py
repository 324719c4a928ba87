"""A chunk whose budget is spent on the source's last batch is the run's last: no further chunk
that reads nothing (a statement, a checkpoint) just to learn the source has ended."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygge.config import load_workspace
from hygge.engine.finish import commit
from hygge.engine.models import Checkpoint
from hygge.engine.plan import Selection, plan_run
from hygge.engine.steps import ChunkBudget, begin, move_chunk
from tests.support.context import LOCAL
from tests.support.sql_stores import execute_sqlite
from tests.support.workspace import read_lake, state_of, write_workspace


def _chunks(root: Path, rows: int, budget: int) -> tuple[list[Checkpoint], list[int]]:
    """Every checkpoint the run's chunks returned, and the ids it landed."""
    root.mkdir(parents=True, exist_ok=True)
    values = ", ".join(f"({i}, 'n{i}')" for i in range(1, rows + 1))
    execute_sqlite(root / "shop.sqlite", "CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT)",
                   *([f"INSERT INTO orders VALUES {values}"] if rows else []))  # fmt: skip
    flow = (
        "home: {type: sqlite, path: shop.sqlite, table: orders, batch_size: 5}\n"
        "store: {type: parquet, path: lake}\nentities: [orders]\n"
    )
    workspace = load_workspace(write_workspace(root, {"shop": flow}))
    [task] = plan_run(workspace, Selection()).tasks
    state = state_of(workspace)
    checkpoint = begin(task, state, context=LOCAL)
    seen = []
    while not checkpoint.done:
        checkpoint = move_chunk(
            task, checkpoint, state, budget=ChunkBudget(max_rows=budget), context=LOCAL
        )
        seen.append(checkpoint)
    assert commit(task, checkpoint, state, context=LOCAL).rows == rows
    return seen, sorted(read_lake(root, "orders")["id"].to_list()) if rows else []


@pytest.mark.parametrize(
    ("rows", "budget", "chunks"),
    [
        pytest.param(20, 10, 2, id="exactly-two-budgets"),
        pytest.param(20, 20, 1, id="exactly-one-budget"),
        pytest.param(21, 10, 3, id="one-row-past"),
        pytest.param(19, 10, 2, id="one-row-short"),
    ],
)
def test_a_chunk_spending_its_budget_on_the_last_batch_ends_the_run(
    tmp_path: Path, rows: int, budget: int, chunks: int
):
    seen, ids = _chunks(tmp_path / "ws", rows, budget)

    assert len(seen) == chunks
    assert [c.rows for c in seen][-1] == rows
    assert ids == list(range(1, rows + 1))
