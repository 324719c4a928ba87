"""The local driver: entity runs in threads, each looping begin → move_chunk… → commit."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from hygge.config import Workspace
from hygge.engine.context import RunContext
from hygge.engine.events import EntityFinished, EntityProgress, EntityStarted, RunEvent
from hygge.engine.failures import RunError, describe_failure
from hygge.engine.fencing import fenced_out
from hygge.engine.finish import abort, cancelled, commit, ending_failed, interrupt, not_run
from hygge.engine.journaling import active_seconds
from hygge.engine.machine import (
    Abort,
    Begin,
    Cancel,
    Commit,
    Done,
    Interrupt,
    MoveChunk,
    Retry,
    Standing,
    Step,
    next_step,
)
from hygge.engine.models import Checkpoint, EntityResult, EntityTask
from hygge.engine.parallel import ChunkOptions, move_partitions
from hygge.engine.plan import RunPlan
from hygge.engine.steps import ChunkBudget, begin, saved_checkpoint
from hygge.errors import EntityLockedError, HyggeError
from hygge.slots import Slots
from hygge.state.base import StateBackend
from hygge.state.clock import utc_now
from hygge.state.heartbeat import Heartbeat, heartbeat_interval
from hygge.state.lock_rules import DEFAULT_STALE_AFTER
from hygge.types import RunStatus

log = logging.getLogger("hygge.engine")

# A chunk ends (and checkpoints) after this many rows or seconds, whichever comes first: a crash
# loses at most this much work, and it costs one small JSON write per chunk. A workspace sets
# its own with options.checkpoint_rows / checkpoint_seconds (see chunk_budget).
LOCAL_CHUNK = ChunkBudget(max_rows=1_000_000, max_seconds=30.0)
# How often a running step refreshes its entity's lock: well inside the stale timeout after
# which another host may take the lock over.
HEARTBEAT = DEFAULT_STALE_AFTER / 4


@dataclass
class RunReport:
    """How a whole run ended."""

    results: list[EntityResult] = field(default_factory=list)
    seconds: float = 0.0
    cancelled: bool = False  # stopped by Ctrl-C: interrupted entities resume on the next run

    @property
    def failed(self) -> list[EntityResult]:
        return [r for r in self.results if r.status is RunStatus.FAIL]

    @property
    def ok(self) -> bool:
        return not self.failed and all(r.status is not RunStatus.NOT_RUN for r in self.results)

    @property
    def rows(self) -> int:
        """Rows published into the stores."""
        return sum(r.rows for r in self.results)

    @property
    def rows_kept(self) -> int:
        """Staged rows kept by cancelled or interrupted runs for the next run to publish."""
        return sum(r.rows_kept for r in self.results)


def chunk_budget(workspace: Workspace) -> ChunkBudget:
    """How often entity runs checkpoint: `options.checkpoint_rows` / `checkpoint_seconds`."""
    options = workspace.project.options
    return ChunkBudget(max_rows=options.checkpoint_rows, max_seconds=options.checkpoint_seconds)


def local_context() -> RunContext:
    """This machine's clock and name: what the local driver passes its steps."""
    return RunContext(clock=utc_now, host=socket.gethostname())


IDLE_WAITERS = 16
"""Entities that may sit in an idle wait (their slot given to others) before a further one
holds its slot through the wait."""


def default_concurrency() -> int:
    """Entities moved at once when neither --concurrency nor options.concurrency says."""
    return min(8, (os.cpu_count() or 2) + 2)


def run_plan(
    plan: RunPlan,
    state: StateBackend,
    *,
    concurrency: int,
    continue_on_error: bool = False,
    on_event: Callable[[RunEvent], None] | None = None,
    budget: ChunkBudget = LOCAL_CHUNK,
    cancel: threading.Event | None = None,
    context: RunContext | None = None,
) -> RunReport:
    """Run every task of the plan; a failing entity never stops the others already running.

    With `continue_on_error` false, entities not yet started when one fails are not started.
    Ctrl-C (or setting `cancel`) stops running entities at their next batch, each keeping a
    checkpoint the next run resumes from; entities not yet started are not started.
    `context`: the clock and host the steps stamp (default: this machine's).
    """
    context = context or local_context()
    started = time.monotonic()
    emit = on_event or (lambda event: None)
    cancel = cancel or threading.Event()
    stop = threading.Event()

    slots = Slots(concurrency)

    def one(ticket: int, task: EntityTask) -> EntityResult:
        with slots.held(ticket):  # started in plan order, `concurrency` at a time
            return move(task)

    def move(task: EntityTask) -> EntityResult:
        if cancel.is_set():
            result = not_run(task, "not started: the run was cancelled", state, context=context)
        elif stop.is_set() and not continue_on_error:
            result = not_run(task, _STOPPED, state, context=context)
        else:
            result = run_entity(
                task, state, emit=emit, budget=budget, cancel=cancel, context=context
            )
        if result.status is RunStatus.FAIL:
            stop.set()
        emit(EntityFinished(result))
        return result

    # Threads beyond `concurrency` wait for a slot: one in an idle wait (hygge.slots) gives
    # its slot to the next entity, which then needs a thread of its own.
    workers = min(max(1, len(plan.tasks)), max(1, concurrency) + IDLE_WAITERS)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hygge")
    futures = [pool.submit(one, ticket, task) for ticket, task in enumerate(plan.tasks)]
    try:
        results = _gather(futures)
    except KeyboardInterrupt:
        log.warning("cancelling: running entities stop at their next batch and keep a checkpoint")
        cancel.set()
        results = [future.result() for future in futures]
    finally:
        pool.shutdown(wait=True)
    report = RunReport(results=results, seconds=time.monotonic() - started)
    report.cancelled = cancel.is_set()
    return report


def _gather(futures: list[Future[EntityResult]]) -> list[EntityResult]:
    """Results in order. Waits in short slices: a SIGINT that lands on another thread only
    reaches the main thread's Python code when it runs, never while it sleeps in one long wait.
    """
    pending = set(futures)
    while pending:
        _, pending = wait(pending, timeout=0.2)
    return [future.result() for future in futures]


def run_entity(
    task: EntityTask,
    state: StateBackend,
    *,
    emit: Callable[[RunEvent], None] = lambda event: None,
    budget: ChunkBudget = LOCAL_CHUNK,
    cancel: threading.Event | None = None,
    context: RunContext | None = None,
) -> EntityResult:
    """One entity run with the local driver; never raises for the entity's own failures.

    A run of another run type that a crash left half-published is finished first (leaving it
    would leave the store half-updated); then the run asked for runs.
    """
    context = context or local_context()
    result = _run_once(task, state, emit, budget, cancel, context=context)
    finished_other = result.status in {RunStatus.SUCCESS, RunStatus.SKIP}
    if finished_other and result.run_type is not task.run_type:
        log.warning(
            "%s: finished the interrupted %s run %s; now the %s run asked for",
            task.qualified_name,
            result.run_type,
            (result.entity_run_id or "")[:8],
            task.run_type,
        )
        result = _run_once(task, state, emit, budget, cancel, context=context)
    return result


def _run_once(
    task: EntityTask,
    state: StateBackend,
    emit: Callable[[RunEvent], None],
    budget: ChunkBudget,
    cancel: threading.Event | None,
    *,
    context: RunContext,
) -> EntityResult:
    """Loop the run state machine (`hygge.engine.machine`); this driver only runs its steps.

    What is local here: threads, Ctrl-C (polars raises it in whichever thread runs), sleeping
    through a retry's pause, and the progress events.
    """
    stopping = cancel.is_set if cancel is not None else (lambda: False)
    clock = _Stopwatch(emit, task, context)
    # One attempt id for the whole attempt: a retried begin gets back what it began.
    attempt = _Attempt(task, state, uuid.uuid4().hex, budget, cancel, clock, context)
    standing = Standing()
    while True:
        step = next_step(standing.model_copy(update={"stop_requested": stopping()}))
        if isinstance(step, Done):
            return step.result
        try:
            standing = _take(attempt, step, standing)
        except KeyboardInterrupt:
            if cancel is not None:
                cancel.set()
            return _cancel_saved(task, state, context)
        except Exception as error:
            log.debug("%s failed", task.qualified_name, exc_info=True)
            if isinstance(step, Interrupt | Abort):  # asked again, it would fail alike
                owner = standing.checkpoint.attempt_id if standing.checkpoint else None
                return ending_failed(task, state, step.error, error, owner or attempt.attempt_id)
            failure = fenced_out(task, standing.checkpoint, state, error) or error
            saved = _readable_checkpoint(task, state, failure=str(failure))
            standing = standing.model_copy(
                update={
                    "error": describe_failure(failure, where=step.kind),
                    "tries": standing.tries + 1,
                    "saved_phase": saved.phase if saved is not None else None,
                }
            )


@dataclass(frozen=True)
class _Attempt:
    task: EntityTask
    state: StateBackend
    attempt_id: str
    budget: ChunkBudget
    cancel: threading.Event | None
    clock: _Stopwatch
    context: RunContext


def _take(attempt: _Attempt, step: Step, standing: Standing) -> Standing:
    """Run one step of the machine; the standing it leaves (errors propagate to the loop)."""
    task, state, cancel, clock = attempt.task, attempt.state, attempt.cancel, attempt.clock
    checkpoint = standing.checkpoint
    if isinstance(step, Retry):
        assert standing.error is not None
        log.warning(
            "%s: %s; retrying in %ss", task.qualified_name, standing.error.text, step.after_seconds
        )
        time.sleep(step.after_seconds)
        return standing.model_copy(update={"error": None})
    if isinstance(step, Begin):
        checkpoint = begin(task, state, attempt_id=attempt.attempt_id, context=attempt.context)
        clock.restart(checkpoint)
        clock.emit(_started(task, checkpoint))
    elif isinstance(step, MoveChunk):
        assert checkpoint is not None
        # A batch may take longer than the lock's stale timeout (a slow query): keep it alive.
        with _heartbeat(attempt) as beat:
            checkpoint = move_partitions(
                task,
                checkpoint,
                state,
                step.partitions,
                ChunkOptions(attempt.budget, clock.progress, cancel, commit_next=True),
                context=attempt.context,
            )
        beat.raise_if_lost()
    elif isinstance(step, Commit | Cancel | Abort | Interrupt):
        with _heartbeat(attempt):  # a publish of many files takes a while too
            result = finish_step(task, state, step, checkpoint, attempt.context)
        return standing.model_copy(update={"result": result})
    return Standing(checkpoint=checkpoint)


def _heartbeat(attempt: _Attempt) -> Heartbeat:
    task = attempt.task
    every = heartbeat_interval(attempt.state, HEARTBEAT)
    return Heartbeat(attempt.state, task.flow, task.entity, attempt.attempt_id, every)


def finish_step(
    task: EntityTask,
    state: StateBackend,
    step: Commit | Cancel | Abort | Interrupt,
    checkpoint: Checkpoint | None,
    context: RunContext,
) -> EntityResult:
    """The step that ends the run: commit, cancel, abort or interrupt (every driver's)."""
    if isinstance(step, Commit):
        assert checkpoint is not None
        return commit(task, checkpoint, state, context=context)
    if isinstance(step, Cancel):
        assert checkpoint is not None
        return cancelled(task, checkpoint, state, context=context)
    saved = _readable_checkpoint(task, state, failure=step.error.message)
    try:
        if isinstance(step, Interrupt):
            assert saved is not None
            return interrupt(task, saved, step.error, state, context=context)
        if step.error.category == "locked":
            log.error("%s: %s", task.qualified_name, step.error.text)
        kept = None if step.keep_saved else checkpoint or saved
        return abort(task, kept, step.error, state, context=context)
    except EntityLockedError as lost:  # taken over meanwhile: the new holder's to finish
        log.error("%s: %s", task.qualified_name, lost)
        return _lost(task, step.error, lost)


class _Stopwatch:
    """Progress events with the run's working time (a resumed run's earlier work included)."""

    def __init__(
        self, emit: Callable[[RunEvent], None], task: EntityTask, context: RunContext
    ) -> None:
        self.emit, self.task, self.context = emit, task, context
        self.worked, self.started = 0.0, time.monotonic()

    def restart(self, checkpoint: Checkpoint) -> None:
        worked = active_seconds(checkpoint, self.context.clock())
        self.worked, self.started = worked, time.monotonic()

    def progress(self, rows: int) -> None:
        elapsed = self.worked + time.monotonic() - self.started
        self.emit(EntityProgress(self.task, rows, elapsed))


def _lost(task: EntityTask, error: RunError, lost: EntityLockedError) -> EntityResult:
    """The result of an attempt that failed after another attempt took the entity over."""
    return EntityResult(
        flow=task.flow,
        entity=task.entity,
        status=RunStatus.FAIL,
        run_type=task.run_type,
        message=f"{error.text}; {lost}",
        error_type=error.type,
    )


def _cancel_saved(task: EntityTask, state: StateBackend, context: RunContext) -> EntityResult:
    """Cancelled mid-step: the last saved checkpoint is where the next run continues."""
    saved = _readable_checkpoint(task, state)
    if saved is None:
        return not_run(task, "cancelled before it started", state, context=context)
    return cancelled(task, saved, state, redone=True, context=context)


def _started(task: EntityTask, checkpoint: Checkpoint) -> EntityStarted:
    files = checkpoint.window.files
    return EntityStarted(
        task,
        resumed=checkpoint.resumed > 0,
        files=len(files) if files is not None else None,
        rows_hint=checkpoint.window.rows_hint,
        rows_moved=checkpoint.rows,
        entity_run_id=checkpoint.entity_run_id,
    )


def _readable_checkpoint(
    task: EntityTask, state: StateBackend, *, failure: str | None = None
) -> Checkpoint | None:
    """The saved checkpoint while handling a failure: an unreadable one is logged, not raised
    (unless it is the `failure` being handled: the result reports that once)."""
    try:
        return saved_checkpoint(task, state)
    except HyggeError as error:
        if str(error) != failure:
            log.error("%s: %s", task.qualified_name, error)
        return None


_STOPPED = "not started: an earlier entity failed and options.continue_on_error is false"
