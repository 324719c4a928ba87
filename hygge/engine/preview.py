"""Dry runs: what each planned entity would read and write, without moving data."""

from __future__ import annotations

from dataclasses import dataclass, field

from hygge.engine.models import EntityTask
from hygge.engine.plan import RunPlan
from hygge.engine.windows import open_run_window
from hygge.errors import HyggeError
from hygge.homes import Window
from hygge.state.base import StateBackend


@dataclass(frozen=True)
class EntityPreview:
    qualified_name: str
    home: str
    store: str
    run_type: str
    window: str
    problems: list[str] = field(default_factory=list)


def preview_plan(plan: RunPlan, state: StateBackend) -> list[EntityPreview]:
    """List windows (files, watermark range) and problems; reads metadata only, writes nothing."""
    return [_preview(task, state) for task in plan.tasks]


def _preview(task: EntityTask, state: StateBackend) -> EntityPreview:
    home = task.home.open(task.place)
    store = task.store.open(task.place)
    problems = [*home.check(), *store.check()]
    window_text = "?"
    if not problems:
        try:
            window, _ = open_run_window(task, state)
            window_text = describe_window(window, task)
        except HyggeError as error:
            problems.append(str(error))
    return EntityPreview(
        qualified_name=task.qualified_name,
        home=home.describe(),
        store=store.describe(),
        run_type=task.run_type.value,
        window=window_text,
        problems=problems,
    )


def describe_window(window: Window, task: EntityTask) -> str:
    """Human text: `3 files, 1,000,000 rows; updated_at > 2024-01-01`."""
    parts: list[str] = []
    if window.files is not None:
        noun = "file" if len(window.files) == 1 else "files"
        text = f"{len(window.files)} {noun}"
        if not window.files:
            text = "no new files" if task.run_type.value != "full_drop" else "no files"
        parts.append(text)
    if window.rows_hint is not None:
        parts.append(f"{window.rows_hint:,} rows")
    if task.watermark is not None:
        column = task.watermark.column
        lower = "start" if window.lower is None else str(window.lower)
        upper = "" if window.upper is None else f" ≤ {window.upper}"
        parts.append(
            f"{column} > {lower}{upper}" if window.lower is not None else f"{column}: all{upper}"
        )
    return "; ".join(parts) or "everything"
