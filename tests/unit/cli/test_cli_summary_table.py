"""The run summary draws many entities as one row of multi-line cells when every cell fits
its line: the lines must be exactly those of one Rich row per entity."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.table import Table
from rich.text import Text

from hygge.cli.render import status_text, summary_table
from hygge.types import RunStatus

Row = tuple[str, RunStatus, str, str, str, str]


def _row_per_entity(rows: list[Row], *, timing: bool = True) -> Table:
    """One Rich row per entity, every cell folding; without seconds and rows/s if not `timing`."""
    table = Table(title="Run summary", title_justify="left")
    table.add_column("Entity", overflow="fold")
    table.add_column("Status", overflow="fold")
    for name in ("Rows", "Seconds", "Rows/s") if timing else ("Rows",):
        table.add_column(name, justify="right", overflow="fold")
    table.add_column("Message", overflow="fold")
    for entity, status, rows_text, seconds, rate, message in rows:
        times = (seconds, rate) if timing else ()
        table.add_row(entity, status_text(status), rows_text, *times, Text(message))
    return table


def _drawn(table: Table, width: int, *, terminal: bool) -> str:
    colour = "truecolor" if terminal else None
    console = Console(file=io.StringIO(), width=width, force_terminal=terminal, color_system=colour)
    console.print(table)
    out = console.file
    assert isinstance(out, io.StringIO)
    return out.getvalue()


ROWS: list[Row] = [
    ("small.e000", RunStatus.SUCCESS, "1", "0.1", "9", ""),
    ("small.e001", RunStatus.SKIP, "0", "0.0", "0", "no rows"),
    ("small.orders_eu", RunStatus.FAIL, "1,234,567", "12.5", "98,765", "DataError: bad [x]"),
    ("small.e003", RunStatus.NOT_RUN, "0", "0.0", "0", "résumé 漢字"),
]


@pytest.mark.parametrize("width", [40, 60, 80, 120, 200])
@pytest.mark.parametrize("terminal", [True, False])
def test_the_summary_draws_the_lines_of_one_rich_row_per_entity(width, terminal):
    # below 60 columns these rows do not fit: seconds and rows/s make way for the rest
    assert _drawn(summary_table(ROWS, width), width, terminal=terminal) == _drawn(
        _row_per_entity(ROWS, timing=width >= 60), width, terminal=terminal
    )


def test_a_long_message_in_a_narrow_console_still_wraps_in_its_own_row():
    rows = [*ROWS, ("small.e004", RunStatus.SUCCESS, "1", "0.1", "9", "y" * 60)]

    drawn = _drawn(summary_table(rows, 80), 80, terminal=False)

    assert drawn == _drawn(_row_per_entity(rows), 80, terminal=False)
    assert "yyyy" in drawn.splitlines()[-3]  # the message's second line, under the first


def test_a_cell_with_a_line_break_is_drawn_as_its_own_row():
    rows = [*ROWS, ("small.e005", RunStatus.SUCCESS, "1", "0.1", "9", "two\nlines")]

    assert _drawn(summary_table(rows, 200), 200, terminal=True) == _drawn(
        _row_per_entity(rows), 200, terminal=True
    )


def test_two_hundred_entities_are_each_on_their_line():
    rows = [(f"small.e{i:03d}", RunStatus.SUCCESS, "1", "0.1", "9", "") for i in range(200)]

    lines = _drawn(summary_table(rows, 120), 120, terminal=False).splitlines()

    assert [line.split()[1] for line in lines[4:-1]] == [f"small.e{i:03d}" for i in range(200)]
