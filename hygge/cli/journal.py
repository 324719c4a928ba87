"""`hygge journal`: recent entity runs from the journal, as a table or as JSON lines."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console, JustifyMethod
from rich.table import Table
from rich.text import Text

from hygge.cli.console import VerboseOption, make_console, running_command
from hygge.cli.render import STATUS_STYLES, resumed_text, shorten
from hygge.cli.workspace_option import WorkspaceOption, load_chosen_workspace
from hygge.cli.workspace_state import open_workspace_state
from hygge.config import Workspace
from hygge.config.suggest import did_you_mean
from hygge.engine import Selection
from hygge.engine.preview import compact, watermark_range
from hygge.errors import ConfigError
from hygge.state.base import StateBackend
from hygge.state.journal import JournalRead, JournalRow, newest_first
from hygge.types import RunStatus
from hygge.wording import counted

WIDE_TABLE = 110  # columns needed to show every journal column readably
_COLUMNS: list[tuple[str, JustifyMethod, bool]] = [  # name, justify, shown on narrow consoles
    ("Finished (UTC)", "left", True),
    ("Entity", "left", True),
    ("Status", "left", True),
    ("Run type", "left", False),
    ("Rows", "right", True),
    ("Seconds", "right", False),
    ("Window → watermark", "left", False),
    ("Message", "left", True),
]


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
    workspace_at: WorkspaceOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Show recent entity runs, newest first: status, rows, duration, window and message."""
    out, err = make_console(), make_console(stderr=True)
    with running_command(err, verbose=verbose):
        workspace = load_chosen_workspace(workspace_at)
        selection = Selection.from_cli(flow or [], entity or [], None)
        state = open_workspace_state(workspace)
        check_journal_names(workspace, state, selection)
        read = read_runs(state, selection.flows, selection.entities, limit)
        warn_skipped(err, read.skipped, state.journal_location())
        rows = read.rows
        if as_json:
            for row in rows:
                typer.echo(row.model_dump_json())
            return
        print_journal(out, rows)
        out.print(
            Text(
                f"Journal: {journal_glob(workspace.root, state.journal_location())} "
                "(one parquet file per entity run; query it with polars or DuckDB)",
                style="dim",
            )
        )


def read_runs(
    state: StateBackend, flows: list[str], entities: list[str], limit: int
) -> JournalRead:
    """Runs of the given flows or entities (either matches, as for `hygge go`), newest first."""
    if not (flows and entities):
        return state.read_readable_journal(flows, entities, limit)
    by_flow = state.read_readable_journal(flows=flows, limit=limit)
    by_entity = state.read_readable_journal(entities=entities, limit=limit)
    both = by_flow.rows + by_entity.rows
    unique = {(r.entity_run_id, r.status, r.start_time, r.finish_time): r for r in both}
    newest = sorted(unique.values(), key=newest_first, reverse=True)
    skipped = dict(by_flow.skipped + by_entity.skipped)
    return JournalRead(newest[:limit], sorted(skipped.items()))


def check_journal_names(workspace: Workspace, state: StateBackend, selection: Selection) -> None:
    """ConfigError for a flow or entity neither the workspace nor its journal knows."""
    dotted = {e.qualified_name for e in workspace.entities} | set(state.journal_names())
    flows = set(workspace.flows) | {name.split(".", 1)[0] for name in dotted}
    for flow in selection.flows:
        if flow not in flows:
            raise ConfigError(
                f"unknown flow '{flow}'{did_you_mean(flow, flows)}",
                hint=f"flows in this workspace: {', '.join(sorted(flows)) or 'none'}",
            )
    bare = {name.split(".", 1)[1] for name in dotted}
    for name in selection.entities:
        known = dotted if "." in name else bare
        if name not in known:
            raise ConfigError(
                f"unknown entity '{name}'{did_you_mean(name, known)}",
                hint=f"entities in this workspace: {', '.join(sorted(dotted)) or 'none'}",
            )


def warn_skipped(err: Console, skipped: list[tuple[str, str]], journal_dir: str) -> None:
    """One warning line per journal file that could not be read (the other rows are shown)."""
    for path, why in skipped:
        err.print(
            Text(
                f"warning: skipped journal file {path}: it cannot be read as a journal row "
                f"({why}). It may be from an interrupted copy or edited by hand: move it out "
                f"of {journal_dir}.",
                style="yellow",
            ),
            soft_wrap=True,
        )


def journal_glob(root: Path, journal_location: str) -> str:
    """`.hygge/journal/**/*.parquet`, relative to the workspace root when inside it."""
    folder = Path(journal_location)
    if folder.is_absolute() and folder.is_relative_to(root):
        return f"{folder.relative_to(root).as_posix()}/**/*.parquet"
    return f"{journal_location.rstrip('/')}/**/*.parquet"


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
            "Finished (UTC)": finished_text(row),
            "Entity": f"{row.flow}.{row.entity}",
            "Status": status_cell(row),
            "Run type": row.run_type,
            "Rows": "" if row.row_count is None else f"{row.row_count:,}",
            "Seconds": "" if row.duration is None else f"{row.duration:.1f}",
            "Window → watermark": window_text(row),
            "Message": Text(shorten(row.message, 50)),
        }
        table.add_row(*(cells[name] for name, _, in_narrow in _COLUMNS if wide or in_narrow))
    console.print(table)
    if not wide:
        console.print(
            Text("Run type, seconds and windows are shown on wider terminals, and with --json.")
        )


def finished_text(row: JournalRow) -> str:
    """When the row's event happened (what the table is ordered by), to the minute."""
    return (row.finish_time or row.start_time).astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def window_text(row: JournalRow) -> str:
    """What the run read and the watermark it reached: `2 files; updated_at: A → B`."""
    parts = []
    if row.files is not None:
        parts.append(counted(row.files, "file"))
    reached = row.watermark or row.window_to
    if row.window_from is not None or reached is not None:
        prefix = f"{row.watermark_column}: " if row.watermark_column else ""
        if reached is None:
            parts.append(f"{prefix}after {compact(row.window_from)}")
        elif reached == row.window_from:
            parts.append(f"{prefix}{compact(reached)} (unchanged)")
        else:
            parts.append(prefix + watermark_range(row.window_from, reached))
    return "; ".join(parts)


def is_interrupted(row: JournalRow) -> bool:
    """A failure that left its checkpoint for the next run to finish (not a final failure)."""
    return row.status == RunStatus.FAIL.value and "interrupted" in (row.message or "")


def status_cell(row: JournalRow) -> Text:
    """`success`, `fail`, `interrupted`, `cancelled` (Ctrl-C; its checkpoint is kept); a run
    resumed from a checkpoint adds `resumed once`."""
    if is_interrupted(row):
        text = Text("interrupted", style="yellow")
    elif row.error_type == "Cancelled":
        text = Text("cancelled", style="yellow")
    else:
        style = next((s for known, s in STATUS_STYLES.items() if known.value == row.status), "")
        text = Text(row.status, style=style)
    if row.resumed:
        text.append(f"\n{resumed_text(row.resumed)}", style="cyan")
    return text
