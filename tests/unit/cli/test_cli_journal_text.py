"""How journal rows read in the table: compact windows and a layout that fits the console."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from rich.console import Console

from hygge.cli.journal import print_journal, status_cell, window_text
from hygge.engine.preview import compact
from hygge.state.journal import JournalRow


def _row(**fields: object) -> JournalRow:
    base: dict[str, object] = {
        "entity_run_id": "r1",
        "coordinator_run_id": "c1",
        "flow_run_id": "f1",
        "coordinator": "shop",
        "flow": "sales",
        "entity": "orders",
        "start_time": datetime(2024, 5, 1, 6, 30, tzinfo=UTC),
        "status": "success",
        "run_type": "incremental",
        "row_count": 1200,
        "duration": 2.5,
    }
    return JournalRow.model_validate(base | fields)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param("2024-01-02T09:20:18.000000", "2024-01-02 09:20:18", id="zero-fraction"),
        pytest.param("2024-01-02T09:20:18.250000+00:00", "2024-01-02 09:20:18.25+00:00", id="tz"),
        pytest.param("12345", "12345", id="integer"),
        pytest.param(None, "", id="none"),
    ],
)
def test_compact_shortens_iso_timestamps_and_leaves_other_values(value, shown):
    assert compact(value) == shown


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        pytest.param({"files": 3}, "3 files", id="files-only"),
        pytest.param(
            {"watermark_column": "updated_at", "watermark": "2024-01-02T00:00:00"},
            "updated_at: start → 2024-01-02 00:00:00",
            id="first-window",
        ),
        pytest.param(
            {
                "files": 1,
                "watermark_column": "id",
                "window_from": "10",
                "window_to": "20",
                "watermark": "20",
            },
            "1 file; id: 10 → 20",
            id="later-window",
        ),
        pytest.param(
            {"watermark_column": "id", "window_from": "20", "watermark": "20"},
            "id: 20 (unchanged)",
            id="nothing-new",
        ),
        pytest.param(
            {"files": 2, "window_from": "2024-01-01T00:00:00.000000", "status": "fail"},
            "2 files; after 2024-01-01 00:00:00",
            id="failed-run",
        ),
        pytest.param({}, "", id="nothing-known"),
    ],
)
def test_window_text_says_what_the_run_read_and_the_watermark_it_reached(fields, text):
    assert window_text(_row(**fields)) == text


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        pytest.param({}, "success", id="success"),
        pytest.param({"resumed": 1}, "success\nresumed once", id="resumed-once"),
        pytest.param({"resumed": 3}, "success\nresumed 3 times", id="resumed-thrice"),
        pytest.param({"status": "fail", "message": "DataError: bad row"}, "fail", id="fail"),
        pytest.param(
            {
                "status": "fail",
                "message": "OSError: disk full — interrupted while publishing; the next "
                "`hygge go` finishes the publish from the checkpoint",
            },
            "interrupted",
            id="interrupted",
        ),
    ],
)
def test_status_cell_marks_resumed_and_interrupted_runs(fields, shown):
    assert status_cell(_row(**fields)).plain == shown


def test_an_interrupted_run_reads_as_interrupted_in_the_table():
    row = _row(status="fail", message="OSError: boom — interrupted while publishing", resumed=0)

    text = _render(140, [row])

    line = next(line for line in text.splitlines() if "sales.orders" in line)
    assert "interrupted" in line
    assert "│ fail" not in line


def _render(width: int, rows: list[JournalRow]) -> str:
    buffer = io.StringIO()
    print_journal(Console(file=buffer, width=width, color_system=None), rows)
    return buffer.getvalue()


def test_a_wide_console_shows_every_journal_column():
    text = _render(140, [_row(files=2, message="no rows")])

    for column in ("Finished (UTC)", "Run type", "Seconds", "Window → watermark", "Message"):
        assert column in text
    assert "2024-05-01 06:30" in text
    assert "1,200" in text


def test_a_narrow_console_drops_the_detail_columns_and_says_where_to_find_them():
    text = _render(80, [_row(files=2, message="no rows")])

    header = next(line for line in text.splitlines() if "Finished" in line)
    assert "Run type" not in header
    assert "Window" not in header
    assert "sales.orders" in text
    assert "--json" in text
    assert all(len(line) <= 80 for line in text.splitlines())
