"""Live progress of a run: a Rich display on a terminal, plain log lines everywhere else.

Both take the runner's events from its worker threads, so each guards its state with a lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from hygge.cli.render import STATUS_STYLES, error_text, rate_text, rows_text, shorten
from hygge.engine import EntityResult
from hygge.engine.events import EntityFinished, EntityProgress, EntityStarted, RunEvent
from hygge.types import RunStatus
from hygge.wording import counted

if TYPE_CHECKING:
    from rich.progress import TaskID

PLAIN_PROGRESS_EVERY = 5.0  # seconds between two progress lines of one entity


class PlainProgress:
    """One line when an entity starts, one when it ends, progress at most every few seconds."""

    def __init__(
        self,
        console: Console,
        names: Sequence[str] = (),
        *,
        every: float = PLAIN_PROGRESS_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.console = console
        self.width = max((len(name) for name in names), default=0)  # aligns the columns
        self.every = every
        self.clock = clock
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        return None

    def handle(self, event: RunEvent) -> None:
        with self._lock:
            line = self._line(event)
            if line is not None:
                # Plain text: no markup, highlighting or emoji codes to look for in each line
                # (a name with `:x:` in it prints as written).
                self.console.print(line, markup=False, highlight=False, emoji=False, soft_wrap=True)

    def _line(self, event: RunEvent) -> str | None:
        if isinstance(event, EntityStarted):
            task = event.task
            self._last[task.qualified_name] = self.clock()
            name = self._name(task.qualified_name)
            if event.resumed:
                return f"{'resume':<8}{name}  {resumed_from(event)}  {task.run_type.value}"
            return f"{'start':<8}{name}  {task.run_type.value}{_scope(event)}"
        if isinstance(event, EntityProgress):
            name, now = event.task.qualified_name, self.clock()
            if now - self._last.get(name, float("-inf")) < self.every:
                return None
            self._last[name] = now
            rate = event.rows / event.seconds if event.seconds > 0 else 0.0
            progress = f"{counted(event.rows, 'row')}  ({rate_text(rate)} rows/s)"
            return f"{'moving':<8}{self._name(name)}  {progress}"
        result = event.result
        return f"{result.status.value:<8}{self._name(result.qualified_name)}  {_outcome(result)}"

    def _name(self, name: str) -> str:
        return name.ljust(self.width)


class LiveProgress:
    """A Rich progress display: one line per entity with rows, rows/s and elapsed time."""

    def __init__(self, console: Console, names: Sequence[str] = ()) -> None:
        # Imported here: a run whose output is no terminal (a scheduler's) never draws one.
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            SpinnerColumn(finished_text="•"),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[rows]:>12} rows"),
            TextColumn("{task.fields[rate]:>10} rows/s"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._tasks: dict[str, TaskID] = {}
        self._lock = threading.Lock()
        for name in names:  # queued entities show up at once, their clocks still stopped
            self._task(name)

    def __enter__(self) -> LiveProgress:
        self.progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def handle(self, event: RunEvent) -> None:
        with self._lock:
            if isinstance(event, EntityStarted):
                self._started(event)
            elif isinstance(event, EntityProgress):
                rate = event.rows / event.seconds if event.seconds > 0 else 0.0
                self.progress.update(
                    self._task(event.task.qualified_name),
                    completed=event.rows,
                    rows=rows_text(event.rows),
                    rate=rate_text(rate),
                )
            else:
                self._finished(event)

    def _started(self, event: EntityStarted) -> None:
        name = event.task.qualified_name
        task_id = self._task(name)
        if event.resumed:
            # Printed above the live display, so it stays on screen after the display ends.
            self.progress.console.print(Text(f"resume {name} {resumed_from(event)}", style="cyan"))
            self.progress.update(
                task_id,
                description=f"{name} (resumed)",
                completed=event.rows_moved,
                rows=rows_text(event.rows_moved),
            )
        self.progress.update(task_id, total=event.rows_hint)
        self.progress.start_task(task_id)

    def _finished(self, event: EntityFinished) -> None:
        result = event.result
        task_id = self._task(result.qualified_name)
        mark = Text(f"{result.qualified_name} {finished_status(result)}")
        mark.stylize(STATUS_STYLES.get(result.status, ""))
        self.progress.update(
            task_id,
            description=mark.markup,
            total=max(result.rows, 1),
            completed=max(result.rows, 1),
            rows=rows_text(result.rows),
            rate=rate_text(result.rows_per_second),
        )
        self.progress.stop_task(task_id)

    def _task(self, name: str) -> TaskID:
        if name not in self._tasks:
            self._tasks[name] = self.progress.add_task(
                name, start=False, total=None, rows="0", rate="0"
            )
        return self._tasks[name]


def finished_status(result: EntityResult) -> str:
    """`success`, `fail`, …; a run that stopped with staged rows says how many it kept."""
    word = "cancelled" if result.error_type == "Cancelled" else result.status.value
    if result.rows_kept:
        return f"{word} ({rows_text(result.rows_kept)} rows kept for the next run)"
    return word


def resumed_from(event: EntityStarted) -> str:
    """`from its checkpoint (1,200 rows staged before it stopped, run 1a2b3c4d)`.

    Staged, not moved: a checkpoint's rows reach the store only when the run publishes.
    """
    run = f", run {event.entity_run_id[:8]}" if event.entity_run_id else ""
    staged = counted(event.rows_moved, "row")
    return f"from its checkpoint ({staged} staged before it stopped{run})"


def _scope(event: EntityStarted) -> str:
    parts = []
    if event.files is not None:
        parts.append(counted(event.files, "file"))
    if event.rows_hint is not None:
        parts.append(counted(event.rows_hint, "row"))
    return f"  ({', '.join(parts)})" if parts else ""


def _outcome(result: EntityResult) -> str:
    if result.status is RunStatus.FAIL:
        return shorten(error_text(result), 200)
    if result.status is RunStatus.NOT_RUN:
        return shorten(result.message, 200)
    if result.status is RunStatus.SKIP:
        return shorten(result.message, 200) or "nothing new to move"
    timing = (
        f"{counted(result.rows, 'row')} in {result.seconds:.1f} s "
        f"({rate_text(result.rows_per_second)} rows/s)"
    )
    return f"{timing}; {shorten(result.message, 200)}" if result.message else timing
