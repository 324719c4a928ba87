"""Session 27: the run summary at the widths a new user's terminal has (COLUMNS=40, a split
pane) and with very long entity names. Every entity's name and row count must be readable
whole in the table; before, cells were cut (`sa…`, `4,…`) so no row could be told apart."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hygge.cli.app import app
from tests.support.data import orders
from tests.support.workspace import land, write_workspace

FLOW = """\
home: {type: parquet, path: landing}
store: {type: parquet, path: lake}
entities: [%s]
"""


def _workspace(tmp_path: Path, names: dict[str, int]) -> Path:
    ws = write_workspace(tmp_path / "ws", {"sales": FLOW % ", ".join(names)})
    for name, rows in names.items():
        land(ws, name, "x", orders(rows))
    return ws


def _summary_cells(output: str) -> list[list[str]]:
    """The body of the summary table, one list of cell texts per drawn line."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("┡"))
    end = next(i for i, line in enumerate(lines) if line.startswith("└"))
    return [[cell.strip() for cell in line.split("│")[1:-1]] for line in lines[start + 1 : end]]


def _column(output: str, index: int) -> str:
    """One column of the summary, its folded pieces joined in order (names run together)."""
    return "".join(cells[index] for cells in _summary_cells(output))


@pytest.mark.parametrize("width", [40, 50, 80])
def test_a_narrow_terminal_shows_every_entity_name_and_row_count_whole(tmp_path, width):
    names = {"customers": 400, "order_lines": 4_972, "orders": 12_345}
    ws = _workspace(tmp_path, names)

    done = CliRunner(env={"COLUMNS": str(width)}).invoke(app, ["go", "-w", str(ws)])

    assert done.exit_code == 0, done.output
    table = [line for line in done.output.splitlines() if line[:1] in "┏┃┡│└"]
    assert all(len(line) <= width for line in table), done.output  # logs lines stay whole
    ordered = sorted(names)
    assert _column(done.output, 0) == "".join(f"sales.{name}" for name in ordered), done.output
    assert _column(done.output, 2) == "".join(f"{names[name]:,}" for name in ordered), done.output


def test_a_narrow_summary_says_where_its_seconds_went(tmp_path):
    ws = _workspace(tmp_path, {"orders": 10})

    done = CliRunner(env={"COLUMNS": "40"}).invoke(app, ["go", "-w", str(ws)])

    said = " ".join(done.output.split())
    assert "Seconds" not in _summary_cells(done.output)[0], done.output
    assert "Seconds and rows/s show on wider terminals" in said, said


def test_a_very_long_entity_name_is_shown_whole_beside_its_row_count(tmp_path):
    long_name = "orders_" + "x" * 93  # 100 bytes, the longest allowed
    ws = _workspace(tmp_path, {long_name: 7, "short": 3})

    done = CliRunner(env={"COLUMNS": "100"}).invoke(app, ["go", "-w", str(ws)])

    assert done.exit_code == 0, done.output
    assert _column(done.output, 0) == f"sales.{long_name}sales.short", done.output
    assert _column(done.output, 2) == "73", done.output
    assert "Seconds" in done.output  # wide enough to keep every column
