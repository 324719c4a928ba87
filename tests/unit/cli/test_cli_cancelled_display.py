"""How a cancelled run reads: in the live display, in the summary and in `hygge journal`."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from hygge.cli.journal import status_cell
from hygge.cli.progress import LiveProgress
from hygge.engine.events import EntityFinished
from hygge.engine.models import EntityResult
from hygge.state.journal import JournalRow
from hygge.types import RunStatus, RunType


def _cancelled() -> EntityResult:
    return EntityResult(
        flow="sales",
        entity="orders",
        status=RunStatus.FAIL,
        run_type=RunType.FULL_DROP,
        rows=0,
        rows_kept=1_200,
        error_type="Cancelled",
        message="1,200 rows staged and kept; the next `hygge go` resumes from the checkpoint",
    )


def test_live_progress_shows_a_cancelled_run_with_the_rows_it_kept():
    buffer = io.StringIO()
    terminal = Console(file=buffer, width=160, force_terminal=True, color_system=None)
    live = LiveProgress(terminal, ["sales.orders"])

    with live:
        live.handle(EntityFinished(_cancelled()))
        live.progress.refresh()

    assert "sales.orders cancelled (1,200 rows kept for the next run)" in buffer.getvalue()


def test_the_journal_shows_a_cancelled_run_as_cancelled():
    row = JournalRow(
        entity_run_id="r1",
        coordinator_run_id="c1",
        flow_run_id="f1",
        coordinator="shop",
        flow="sales",
        entity="orders",
        start_time=datetime(2024, 5, 1, tzinfo=UTC),
        status="fail",
        run_type="full_drop",
        row_count=0,
        error_type="Cancelled",
        message="1,200 rows staged and kept; the next `hygge go` resumes from the checkpoint",
    )

    assert status_cell(row).plain == "cancelled"
