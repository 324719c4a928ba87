"""A failed run moved nothing into its store: its staged rows are not counted as moved."""

from __future__ import annotations

import json
import threading

import polars as pl
import pytest
from rich.console import Console

from hygge.cli.render import print_summary
from hygge.config import load_workspace
from hygge.engine.events import EntityProgress, RunEvent
from hygge.engine.plan import Selection, plan_run
from hygge.engine.runner import run_plan
from hygge.engine.steps import ChunkBudget
from tests.support.workspace import land, state_of, write_workspace

FLOW = """\
home: {type: parquet, path: landing, batch_size: 10}
store: {type: parquet, path: lake, batch_size: 10}
entities: [events]
"""


@pytest.fixture
def failing(tmp_path, monkeypatch):
    """An entity whose first file stages 30 rows, then whose second file cannot be converted."""
    project = "name: test\noptions: {checkpoint_rows: 10}\n"  # the 30 rows are checkpointed
    root = write_workspace(tmp_path / "ws", {"feed": FLOW}, project)
    land(root, "events", "a", pl.DataFrame({"id": range(30), "day": ["2024-01-01"] * 30}))
    land(root, "events", "b", pl.DataFrame({"id": ["x"] * 5, "day": [[1]] * 5}))
    monkeypatch.chdir(root)
    return root


def test_a_failed_run_reports_and_journals_zero_rows_moved(failing, invoke, wide):
    result = invoke("go")

    assert result.exit_code == 1, result.output
    [row] = [line for line in result.stdout.splitlines() if line.startswith("│ feed.events")]
    assert row.split("│")[2].strip() == "fail"
    assert row.split("│")[3].strip() == "0"
    assert "Done. 0 succeeded, 0 skipped, 1 failed in " in result.stdout
    assert result.stdout.rstrip().endswith("(0 rows)")
    [journal] = [json.loads(line) for line in invoke("journal", "--json").stdout.splitlines()]
    assert journal["status"] == "fail"
    assert journal["row_count"] == 0


def test_a_cancelled_run_shows_rows_kept_for_resume_apart_from_rows_published(tmp_path):
    root = write_workspace(tmp_path / "ws", {"feed": FLOW})
    land(root, "events", "a", pl.DataFrame({"id": range(200)}))
    workspace = load_workspace(root)
    cancel = threading.Event()

    def on_event(event: RunEvent) -> None:
        if isinstance(event, EntityProgress) and event.rows >= 50:
            cancel.set()

    report = run_plan(
        plan_run(workspace, Selection()),
        state_of(workspace),
        concurrency=1,
        on_event=on_event,
        budget=ChunkBudget(max_rows=10),  # a native chunk is cancelled at its end
        cancel=cancel,
    )

    [result] = report.results
    assert result.rows == 0
    assert result.rows_kept == 50
    [row] = state_of(workspace).read_journal()
    assert (row.status, row.error_type, row.row_count) == ("fail", "Cancelled", 0)
    assert row.message.startswith("50 rows staged and kept; the next `hygge go` resumes")
    console = Console(width=200, record=True)
    print_summary(console, report)
    text = console.export_text()
    assert "(0 rows; 50 rows kept for the next run)" in text
