"""`hygge journal`: recent entity runs from the journal, as a table or as JSON lines."""

from __future__ import annotations

import re
from datetime import UTC
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console, JustifyMethod
from rich.table import Table
from rich.text import Text

from hygge.cli.console import VerboseOption, make_console, running_command
from hygge.cli.render import STATUS_STYLES, shorten
from hygge.config import load_workspace
from hygge.engine.plan import Selection
from hygge.state.journal import JournalRow
from hygge.state.local import LocalStateBackend

WIDE_TABLE = 110  # columns needed to show every journal column readably
_COLUMNS: list[tuple[str, JustifyMethod, bool]] = [  # name, justify, shown on narrow consoles
    ("Started (UTC)", "left", True),
    ("Entity", "left", True),
    ("Status", "left", True),
    ("Run type", "left", False),
    ("Rows", "right", True),
    ("Seconds", "right", False),
    ("Window / watermark", "left", False),
    ("Message", "left", True),
]
_ISO = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}:\d{2})(?P<fraction>\.\d+)?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?"
)


def journal_command(
    *,
    flow: Annotated[
        list[str] | None,
        typer.Option(
            "--flow",
            "-f",
            metavar="FLOW",
            help="Only runs of this flow (repeat, or comma-separate).",
            show_default=False,
        ),
    ] = None,
    entity: Annotated[
        list[str] | None,
        typer.Option(
            "--entity",
            "-e",
            metavar="FLOW.ENTITY",
            help="Only runs of this entity (repeat, or comma-separate).",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="Show at most this many runs.")
    ] = 20,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per line (for scripts).")
    ] = False,
    verbose: VerboseOption = False,
) -> None:
    """Show recent entity runs, newest first: status, rows, duration, window and message."""
    out, err = make_console(), make_console(stderr=True)
    with running_command(err, verbose=verbose):
        workspace = load_workspace()
        selection = Selection.from_cli(flow or [], entity or [], None)
        state = LocalStateBackend(workspace.state_dir, workspace.journal_dir)
        rows = read_runs(state, selection.flows, selection.entities, limit)
        if as_json:
            for row in rows:
                typer.echo(row.model_dump_json())
            return
        print_journal(out, rows)
        out.print(
            Text(
                f"Journal: {journal_glob(workspace.root, workspace.journal_dir)} "
                "(one parquet file per entity run; query it with polars or DuckDB)",
                style="dim",
            )
        )


def read_runs(
    state: LocalStateBackend, flows: list[str], entities: list[str], limit: int
) -> list[JournalRow]:
    """Runs of the given flows or entities (either matches, as for `hygge go`), newest first."""
    if not (flows and entities):
        return state.read_journal(flows, entities, limit)
    both = [*state.read_journal(flows=flows, limit=limit)]
    both += state.read_journal(entities=entities, limit=limit)
    unique = {(r.entity_run_id, r.status, r.start_time, r.finish_time): r for r in both}
    newest = sorted(
        unique.values(), key=lambda r: (r.start_time, r.finish_time or r.start_time), reverse=True
    )
    return newest[:limit]


def journal_glob(root: Path, journal_dir: Path) -> str:
    """`.hygge/journal/**/*.parquet`, relative to the workspace root when inside it."""
    folder = journal_dir.relative_to(root) if journal_dir.is_relative_to(root) else journal_dir
    return f"{folder.as_posix()}/**/*.parquet"


def print_journal(console: Console, rows: list[JournalRow]) -> None:
    """The journal table; below WIDE_TABLE columns, only the columns that fit readably."""
    if not rows:
        console.print("No runs in the journal yet. Run `hygge go` first.")
        return
    wide = console.width >= WIDE_TABLE
    table = Table(title="Recent runs, newest first", title_justify="left")
    for name, justify, in_narrow in _COLUMNS:
        if wide or in_narrow:
            table.add_column(name, justify=justify, overflow="fold")
    for row in rows:
        cells: dict[str, str | Text] = {
            "Started (UTC)": row.start_time.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
            "Entity": f"{row.flow}.{row.entity}",
            "Status": _status(row.status),
            "Run type": row.run_type,
            "Rows": "" if row.row_count is None else f"{row.row_count:,}",
            "Seconds": "" if row.duration is None else f"{row.duration:.1f}",
            "Window / watermark": window_text(row),
            "Message": Text(shorten(row.message, 50)),
        }
        table.add_row(*(cells[name] for name, _, in_narrow in _COLUMNS if wide or in_narrow))
    console.print(table)
    if not wide:
        console.print(
            Text("Run type, seconds and windows are shown on wider terminals, and with --json.")
        )


def window_text(row: JournalRow) -> str:
    """`3 files; updated_at > 2024-01-01 00:00:00 → 2024-02-01 00:00:00`: what is known."""
    parts = []
    if row.files is not None:
        parts.append(f"{row.files} file{'s' if row.files != 1 else ''}")
    column = row.watermark_column or "watermark"
    if row.window_from is not None or row.watermark is not None:
        lower = f"{column} > {compact(row.window_from)}" if row.window_from else f"{column}: all"
        upper = row.watermark or row.window_to
        moved = upper is not None and upper != row.window_from
        parts.append(f"{lower} → {compact(upper)}" if moved else lower)
    return "; ".join(parts)


def compact(value: str | None) -> str:
    """An ISO timestamp as `2024-01-01 09:20:18` (zero fractions dropped); others unchanged."""
    if value is None:
        return ""
    match = _ISO.fullmatch(value)
    if not match:
        return value
    fraction = match["fraction"].rstrip("0").rstrip(".") if match["fraction"] else ""
    return f"{match['date']} {match['time']}{fraction}{match['zone'] or ''}"


def _status(status: str) -> Text:
    style = next((s for known, s in STATUS_STYLES.items() if known.value == status), "")
    return Text(status, style=style)
