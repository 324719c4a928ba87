"""Rich tables and lines for run summaries, dry runs and workspace listings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.console import Console, JustifyMethod
from rich.table import Table
from rich.text import Text

from hygge.types import RunStatus, RunType
from hygge.wording import counted, with_article

if TYPE_CHECKING:
    from hygge.config import ResolvedEntity, Workspace
    from hygge.engine import EntityResult, RunReport
    from hygge.engine.preview import EntityPreview

STATUS_STYLES = {
    RunStatus.SUCCESS: "green",
    RunStatus.SKIP: "yellow",
    RunStatus.FAIL: "bold red",
    RunStatus.NOT_RUN: "dim",
}
MESSAGE_WIDTH = 60


def rows_text(rows: int) -> str:
    return f"{rows:,}"


def rate_text(rows_per_second: float) -> str:
    return f"{round(rows_per_second):,}"


def shorten(text: str | None, width: int = MESSAGE_WIDTH) -> str:
    """The first line of a message, cut to `width` characters with an ellipsis."""
    if not text:
        return ""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= width else first[: width - 1] + "…"


def error_text(result: EntityResult) -> str:
    """`DataError: message`; the type is not repeated when the message already starts with it."""
    message = result.message or "no message"
    kind = result.error_type
    if not kind or message.startswith(f"{kind}:"):
        return message
    return f"{kind}: {message}"


def summary_message(result: EntityResult) -> str:
    """The message of a summary row; a resumed run says so (`resumed once, from a checkpoint`)."""
    if result.status is RunStatus.FAIL:
        return error_text(result)
    if not result.resumed:
        return result.message or ""
    resumed = f"{resumed_text(result.resumed)}, from a checkpoint"
    return f"{resumed}; {result.message}" if result.message else resumed


def resumed_text(count: int) -> str:
    """`resumed once`, `resumed twice`, `resumed 3 times`."""
    times = {1: "once", 2: "twice"}.get(count, f"{count} times")
    return f"resumed {times}"


def status_text(status: RunStatus) -> Text:
    return Text(status.value, style=STATUS_STYLES.get(status, ""))


def print_warnings(console: Console, workspace: Workspace) -> None:
    """Workspace warnings (legacy keys and the like), once, before anything else."""
    for warning in workspace.warnings:
        console.print(Text(f"warning: {warning}", style="yellow"))


def home_and_store(entity: ResolvedEntity) -> str:
    return f"{entity.home.type} {entity.home.path} → {entity.store.type} {entity.store.path}"


SUMMARY_COLUMNS = ("Entity", "Status", "Rows", "Seconds", "Rows/s", "Message")
NARROW_SUMMARY = 60
"""Below this many columns a summary that does not fit drops its seconds and rows/s, so the
entity, its status and its rows are read whole (every cell folds rather than being cut)."""
_TIMING = ("Seconds", "Rows/s")
NARROW_NOTE = "Seconds and rows/s show on wider terminals; `hygge journal --json` has durations."


def print_summary(console: Console, report: RunReport) -> None:
    """The per-entity table, full error messages under it, and the `Done.` line."""
    rows = [
        (
            result.qualified_name,
            result.status,
            rows_text(result.rows),
            f"{result.seconds:.1f}",
            rate_text(result.rows_per_second),
            shorten(summary_message(result)),
        )
        for result in report.results
    ]
    if rows:
        console.print(summary_table(rows, console.width))
        if _natural_widths(rows, console.width) is None and console.width < NARROW_SUMMARY:
            console.print(Text(NARROW_NOTE), soft_wrap=not console.is_terminal)
    _print_errors(console, report.failed)
    console.print(done_line(report))


def summary_table(rows: Sequence[tuple[str, RunStatus, str, str, str, str]], width: int) -> Table:
    """The run summary's table. When every cell fits on its line at `width` (as Rich lays the
    table out, each column as wide as its widest cell), the rows go in as one row of
    multi-line cells: the same lines, drawn at a fraction of the CPU of a Rich row per entity
    (about 1 ms each). Otherwise one Rich row per entity, whose long cells fold (a name or a
    row count is never cut short), without seconds and rows/s below `NARROW_SUMMARY`."""
    table = Table(title="Run summary", title_justify="left")
    widths = _natural_widths(rows, width)
    shown = [
        name
        for name in SUMMARY_COLUMNS
        if widths is not None or width >= NARROW_SUMMARY or name not in _TIMING
    ]
    for name in shown:
        right = name in ("Rows", "Seconds", "Rows/s")
        justify: JustifyMethod = "right" if right else "left"
        table.add_column(name, justify=justify, overflow="fold")
    if widths is None:
        for entity, status, *cells, message in rows:
            line: list[str | Text] = [entity, status_text(status), *cells, Text(message)]
            pairs = zip(SUMMARY_COLUMNS, line, strict=True)
            table.add_row(*(cell for name, cell in pairs if name in shown))
        return table
    columns = [Text() for _ in SUMMARY_COLUMNS]
    status_width = widths[1]
    for index, (entity, status, *cells, message) in enumerate(rows):
        # The status styled across its column's width, as Rich styles a one-line cell.
        padded = status.value + " " * (status_width - cell_len(status.value))
        cut = [entity, padded, *cells, message]
        for column, (text, cell) in enumerate(zip(columns, cut, strict=True)):
            if index:
                text.append("\n")
            text.append(cell, style=STATUS_STYLES.get(status, "") if column == 1 else "")
    table.add_row(*columns)
    return table


def _natural_widths(
    rows: Sequence[tuple[str, RunStatus, str, str, str, str]], width: int
) -> list[int] | None:
    """Each column's natural width (its widest cell or heading) when the table drawn at them
    (plus a padding of one on each side and the borders) fits in `width` and no cell holds a
    line break of its own; else None."""
    widths = [cell_len(name) for name in SUMMARY_COLUMNS]
    for entity, status, *cells, message in rows:
        for column, cell in enumerate((entity, status.value, *cells, message)):
            if "\n" in cell:
                return None
            widths[column] = max(widths[column], cell_len(cell))
    fits = sum(widths) + 2 * len(widths) + len(widths) + 1 <= width
    return widths if fits else None


def done_line(report: RunReport) -> Text:
    """`Done. 3 succeeded, 1 skipped, 0 failed in 4.2 s (1,234,567 rows)`: rows published.

    Rows that cancelled or interrupted runs staged and kept for the next run are said apart:
    `(0 rows; 50,000 rows kept for the next run)`.
    """
    counts = Counter(result.status for result in report.results)
    parts = [
        f"{counts[RunStatus.SUCCESS]} succeeded",
        f"{counts[RunStatus.SKIP]} skipped",
        f"{counts[RunStatus.FAIL]} failed",
    ]
    if counts[RunStatus.NOT_RUN]:
        parts.append(f"{counts[RunStatus.NOT_RUN]} not run")
    rows = counted(report.rows, "row")
    if report.rows_kept:
        rows += f"; {counted(report.rows_kept, 'row')} kept for the next run"
    line = f"Done. {', '.join(parts)} in {report.seconds:.1f} s ({rows})"
    return Text(line, style="bold red" if not report.ok else "bold green")


def _print_errors(console: Console, failed: Sequence[EntityResult]) -> None:
    for result in failed:
        how = "cancelled" if result.error_type == "Cancelled" else "failed"
        console.print(Text(f"{result.qualified_name} {how}", style="bold red"))
        # Logs keep a message on one line (greppable); a terminal wraps it at words.
        console.print(Text(f"  {error_text(result)}"), soft_wrap=not console.is_terminal)


def print_previews(console: Console, previews: Sequence[EntityPreview]) -> None:
    """The dry-run table: what each entity would read and write; problems listed under it."""
    table = Table(title="Dry run: nothing is read or written", title_justify="left")
    table.add_column("Entity")
    table.add_column("Home → store", overflow="fold")
    table.add_column("Run type")
    table.add_column("Window", overflow="fold")
    table.add_column("Ready")
    for preview in previews:
        ready = Text("✗", style="red") if preview.problems else Text("✓", style="green")
        table.add_row(
            preview.qualified_name,
            f"{preview.home} → {preview.store}",
            preview.run_type,
            preview.window,
            ready,
        )
    console.print(table)
    for preview in previews:
        if preview.interrupted:
            line = Text(f"{preview.qualified_name}: {preview.interrupted}")
            console.print(line, style="cyan", soft_wrap=not console.is_terminal)
    for preview in previews:
        for problem in preview.problems:
            named = problem.startswith(f"{preview.qualified_name}:")
            line = Text(problem if named else f"{preview.qualified_name}: {problem}", style="red")
            console.print(line, soft_wrap=not console.is_terminal)


def print_entities(console: Console, workspace: Workspace) -> None:
    """`hygge list`: every flow's entities with home → store, run type and watermark."""
    with_watermark = any(entity.watermark is not None for entity in workspace.entities)
    table = Table(
        title=f"Workspace {workspace.name} ({workspace.location or workspace.root})",
        title_justify="left",
    )
    table.add_column("Flow")
    table.add_column("Entity")
    table.add_column("Home → store", overflow="fold")
    table.add_column("Run type")
    if with_watermark:
        table.add_column("Watermark")
    for entity in workspace.entities:
        cells = [entity.flow, entity.name, home_and_store(entity), entity.run_type.value]
        if with_watermark:
            cells.append(entity.watermark.column if entity.watermark else "")
        table.add_row(*cells)
    console.print(table)
    for note in visibility_notes(workspace):
        console.print(Text(note, style="yellow"), soft_wrap=not console.is_terminal)
    flows = len(workspace.flows)
    console.print(
        f"{counted(flows, 'flow')}, {counted(len(workspace.entities), 'entity')}. "
        "Run them with `hygge go`, or one with `hygge go --entity flow.entity`."
    )


def visibility_notes(workspace: Workspace) -> list[str]:
    """One line per store type and run type whose publish readers may see part of
    (the run types missing from the store's `atomic_visibility`)."""
    partial: dict[tuple[str, RunType], list[ResolvedEntity]] = {}
    for entity in workspace.entities:
        if entity.run_type not in type(entity.store).capabilities.atomic_visibility:
            partial.setdefault((entity.store.type, entity.run_type), []).append(entity)
    notes = []
    for (store, run_type), entities in partial.items():
        config = type(entities[0].store)
        how = ": its files are moved in one by one" if config.entity_subfolder else ""
        whole = ", ".join(sorted(r.value for r in config.capabilities.atomic_visibility))
        names = ", ".join(entity.qualified_name for entity in entities)
        kind = with_article(run_type.value)
        notes.append(
            f"{names}: a reader of the {store} store can see part of {kind} publish while it "
            f"runs{how} (published whole: {whole or 'none'})"
        )
    return notes
