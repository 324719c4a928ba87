"""Dry runs: what each planned entity would read and write, without moving data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hygge.engine.after_reset import PREVIEW_NOTE, publish_run_type
from hygge.engine.identity import check_resume_targets, check_watermark_store
from hygge.engine.models import Checkpoint, EntityTask
from hygge.engine.plan import RunPlan
from hygge.engine.steps import saved_checkpoint
from hygge.engine.windows import open_run_window
from hygge.errors import ConfigError, HyggeError, StateError
from hygge.homes import Window
from hygge.state.base import StateBackend
from hygge.types import JsonScalar, RunType
from hygge.wording import counted

_ISO = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}:\d{2})(?P<fraction>\.\d+)?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?"
)


@dataclass(frozen=True)
class EntityPreview:
    qualified_name: str
    home: str
    store: str
    run_type: str
    window: str
    problems: list[str] = field(default_factory=list)
    interrupted: str | None = None  # what the run does with an interrupted run of the entity


def preview_plan(plan: RunPlan, state: StateBackend) -> list[EntityPreview]:
    """List windows (files, watermark range) and problems; reads metadata only, writes nothing."""
    return [_preview(task, state) for task in plan.tasks]


def _preview(task: EntityTask, state: StateBackend) -> EntityPreview:
    home = task.home.open(task.place)
    store = task.store.open(task.place)
    problems = [*home.check(), *store.check()]
    window_text, interrupted = "?", None
    if not problems:
        try:
            window, interrupted, notes = _window_and_interrupted(task, state)
            window_text = "; ".join([describe_window(window, task), *notes])
        except HyggeError as error:
            problems.append(str(error))
    return EntityPreview(
        qualified_name=task.qualified_name,
        home=home.describe(),
        store=store.describe(),
        run_type=task.run_type.value,
        window=window_text,
        problems=problems,
        interrupted=interrupted,
    )


def _window_and_interrupted(
    task: EntityTask, state: StateBackend
) -> tuple[Window, str | None, list[str]]:
    """The window the run would read, what it does with an interrupted run, and its notes
    (e.g. a loaded file that grew or changed)."""
    saved = saved_checkpoint(task, state)
    if saved is None or saved.phase == "journaled":
        opened = open_run_window(task, state)
        last = state.get_watermark(task.flow, task.entity)
        after_reset = publish_run_type(task, state, last) is not task.run_type
        return opened.window, None, [*opened.notes, *([PREVIEW_NOTE] if after_reset else [])]
    run = f"interrupted run {saved.entity_run_id[:8]}"
    _check_continuation(task, saved)
    if saved.phase != "moving":
        return saved.window, f"will finish publishing {run} ({counted(saved.rows, 'row')})", []
    if _resumes(task, saved):
        return saved.window, f"will resume {run} at {counted(saved.rows, 'row')}", []
    why = (
        "on_interrupted: restart"
        if task.on_interrupted == "restart"
        else f"it was {saved.run_type.value}, this run is {task.run_type.value}"
    )
    opened = open_run_window(task, state)
    return (
        opened.window,
        f"will restart: discards {run} ({counted(saved.rows, 'row')} staged; {why})",
        opened.notes,
    )


def state_problems(task: EntityTask, state: StateBackend) -> list[str]:
    """What the next run of `task` would refuse in its stored state: an interrupted run or an
    incremental watermark made with another store or home ([] if none; for `hygge debug`).

    Unreadable state files are not reported here: the state checks list them.
    """
    problems: list[str] = []
    try:
        saved = saved_checkpoint(task, state)
        if saved is not None and saved.phase != "journaled":
            _check_continuation(task, saved)
    except ConfigError as error:
        problems.append(str(error))
    except StateError:
        pass
    try:
        last = state.get_watermark(task.flow, task.entity)
        if last is not None and last.store_identity and task.run_type is not RunType.FULL_DROP:
            check_watermark_store(task, last, task.store.open(task.place).identity())
    except ConfigError as error:
        problems.append(str(error))
    except StateError:
        pass
    return problems


def _resumes(task: EntityTask, saved: Checkpoint) -> bool:
    return task.on_interrupted == "resume" and saved.run_type == task.run_type


def _check_continuation(task: EntityTask, saved: Checkpoint) -> None:
    """ConfigError when the interrupted run would go on (resume, finish) in another place."""
    if _resumes(task, saved) or saved.phase != "moving":
        home, store = task.home.open(task.place), task.store.open(task.place)
        check_resume_targets(task, saved, home.identity(), store.identity())


def describe_window(window: Window, task: EntityTask) -> str:
    """Human text: `3 new files; 1,000 rows; updated_at: 2024-01-01 00:00:00 → 2024-02-01`."""
    incremental = task.run_type is not RunType.FULL_DROP
    parts: list[str] = []
    if window.files is not None:
        count = len(window.files)
        noun = "new file" if incremental else "file"
        parts.append(counted(count, noun) if count else f"no {noun}s")
    if window.rows_hint is not None:
        parts.append(counted(window.rows_hint, "row"))
    if task.watermark is not None and (incremental or window.upper is not None):
        parts.append(f"{task.watermark.column}: {watermark_range(window.lower, window.upper)}")
    return "; ".join(parts) or "everything"


def watermark_range(lower: JsonScalar, upper: JsonScalar) -> str:
    """`A → B`, `after A`, `start → B` or `from the start`: a window's watermark bounds."""
    if lower is None:
        return f"start → {compact(str(upper))}" if upper is not None else "from the start"
    if upper is None:
        return f"after {compact(str(lower))}"
    return f"{compact(str(lower))} → {compact(str(upper))}"


def compact(value: str | None) -> str:
    """An ISO timestamp as `2024-01-01 09:20:18` (zero fractions dropped); others unchanged."""
    if value is None:
        return ""
    match = _ISO.fullmatch(value)
    if not match:
        return value
    fraction = match["fraction"].rstrip("0").rstrip(".") if match["fraction"] else ""
    return f"{match['date']} {match['time']}{fraction}{match['zone'] or ''}"
