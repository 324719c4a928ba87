"""The four steps of an entity run: begin, move_chunk (until done), commit — or abort.

Each step takes the task, the latest checkpoint and the state backend, and can run in a fresh
process: everything it needs is in those three. See DESIGN.md §3.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from pydantic import ValidationError

from hygge.engine.after_reset import AFTER_RESET_NOTE, publish_run_type
from hygge.engine.context import Clock, RunContext
from hygge.engine.identity import check_resume_targets
from hygge.engine.journaling import journal_row
from hygge.engine.models import Checkpoint, EntityTask, PartitionProgress
from hygge.engine.moving import ChunkBudget, ChunkMover
from hygge.engine.partitions import merged, partition_stagings, save_moved
from hygge.engine.recovery import recover_watermark
from hygge.engine.windows import open_run_window
from hygge.errors import EntityLockedError, StateError
from hygge.faults import fault_point
from hygge.state.advice import first_problem, reload_advice
from hygge.state.base import StateBackend
from hygge.state.journal import JournalRow
from hygge.types import RunStatus, RunType
from hygge.wording import counted

log = logging.getLogger("hygge.engine")

UNBOUNDED = ChunkBudget()
# A finished run's own journal row is among its entity's newest: after it come only the rows
# of runs that found its checkpoint (this check stops them journaling anything).
JOURNAL_LOOKBACK = 16
_COMMITTED = {RunStatus.SUCCESS.value, RunStatus.SKIP.value}

__all__ = [
    "UNBOUNDED",
    "ChunkBudget",
    "Clock",
    "RunContext",
    "begin",
    "move_chunk",
    "save_checkpoint",
    "saved_checkpoint",
]


def begin(
    task: EntityTask,
    state: StateBackend,
    *,
    context: RunContext,
    attempt_id: str | None = None,
) -> Checkpoint:
    """Take the entity's lock, then resume its interrupted run or open a new closed window.

    `attempt_id` names this attempt (the lock's owner); a retried begin with the same id returns
    the checkpoint that attempt already saved instead of starting again. `context`: the
    driver's clock and host.
    """
    owner = attempt_id or uuid.uuid4().hex
    state.acquire_lock(task.flow, task.entity, owner)
    try:
        previous = saved_checkpoint(task, state)
        if previous is not None and previous.attempt_id == owner:
            return previous  # a redelivered begin: this attempt already began
        resumed = _resume(task, state, owner, context, previous)
        if resumed is not None:
            return resumed
        checkpoint = _start(task, state, owner, context.clock)
        fault_point("after_begin")
    except BaseException:
        state.release_lock(task.flow, task.entity, owner)
        raise
    return checkpoint


def move_chunk(
    task: EntityTask,
    checkpoint: Checkpoint,
    state: StateBackend,
    *,
    context: RunContext,
    budget: ChunkBudget = UNBOUNDED,
    partition: str | None = None,
    on_progress: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_cancel: Callable[[], None] | None = None,
    commit_next: bool = False,
) -> Checkpoint:
    """Stage the next chunk of batches of `partition` (None: the first not done), then
    persist and return the new checkpoint.

    `commit_next`: the caller commits the returned checkpoint next, in this process (the local
    driver). The chunk that finishes a one-partition run is then not saved: commit saves it
    synced as `publishing` before anything is published, and a crash before that is a crash
    before the chunk's checkpoint (its rows are staged again; `tests/integration/
    test_last_chunk_unsaved.py`). Every other chunk is saved as always.

    Chunks of different partitions may run at once (`Checkpoint.movable` says which): each
    saves only its own partition's progress into the stored checkpoint (`engine.partitions`).
    The chunk ends early, at a batch boundary, when `should_stop()` turns true (cancellation)
    or a Ctrl-C reaches it inside polars (then `on_cancel()` is called); either way the
    checkpoint keeps every row staged up to that batch.
    """
    stored = _stored_for(task, checkpoint, state)
    given = checkpoint.progress_of(partition)
    now = stored.progress_of(given.id)
    # Partitions staging apart move on from the stored checkpoint, which the others change.
    stale = stored.generation > checkpoint.generation and given.staging is None
    if checkpoint.done or now.done or now.chunks > given.chunks or stale:
        return stored  # done, or a redelivered call: that chunk was moved already
    start = stored if given.staging is not None else checkpoint
    # Fencing: a run that lost its lock stages nothing.
    state.refresh_lock(task.flow, task.entity, checkpoint.attempt_id)
    store = task.store.open(task.place)  # once for the step (the mover's): opening costs CPU
    store.discard_unlisted(now.staging or start.staging)
    mover = ChunkMover(
        task,
        start,
        state,
        budget,
        store=store,
        partition=given.id,
        on_progress=on_progress,
        should_stop=should_stop,
        on_cancel=on_cancel,
    )
    updated = mover.run(time.monotonic())
    # Fencing: still the lock's owner (not taken over as stale) before the checkpoint moves on.
    state.refresh_lock(task.flow, task.entity, updated.attempt_id)
    if (
        commit_next
        and len(start.partitions) == 1
        and (last := merged(start, start, updated, given.id)).done
    ):
        # As `save_moved` would save it (the next generation); commit saves the one after.
        updated = last.model_copy(
            update={"saved_at": context.clock(), "generation": start.generation + 1}
        )
    else:
        updated = save_moved(task, start, updated, given.id, state, clock=context.clock)
    fault_point("after_checkpoint")
    return updated


def _stored_for(task: EntityTask, checkpoint: Checkpoint, state: StateBackend) -> Checkpoint:
    """The stored checkpoint of this attempt (or the given one when none is stored).

    A checkpoint of another attempt is refused, naming the attempt that runs the entity now.
    """
    stored = saved_checkpoint(task, state)
    if stored is None:
        return checkpoint
    if stored.attempt_id != checkpoint.attempt_id:
        raise EntityLockedError(
            f"{task.qualified_name}: this checkpoint belongs to attempt "
            f"{checkpoint.attempt_id[:8]}, but attempt {stored.attempt_id[:8]} now runs the "
            "entity; this attempt stops without changing anything"
        )
    return stored


def saved_checkpoint(task: EntityTask, state: StateBackend) -> Checkpoint | None:
    """The entity's saved checkpoint; StateError (naming `hygge reset`) when unreadable."""
    raw = state.load_checkpoint(task.flow, task.entity)
    if raw is None:
        return None
    try:
        return Checkpoint.model_validate(raw)
    except ValidationError as error:
        where = state.location_of("checkpoints", task.flow, task.entity)
        raise StateError(
            f"the saved checkpoint of {task.qualified_name} ({where}) is damaged "
            f"({first_problem(error)}); it was edited by hand or damaged on disk. "
            f"{reload_advice(task.flow, task.entity)}."
        ) from error


def save_checkpoint(
    task: EntityTask,
    checkpoint: Checkpoint,
    state: StateBackend,
    *,
    clock: Clock,
    synced: bool = True,
) -> Checkpoint:
    """Persist the checkpoint as its next generation, stamped with when; return what was saved.

    The stamp lets a resume count the downtime from there. `synced=False`: see
    `StateBackend.save_checkpoint`.
    """
    stamped = checkpoint.model_copy(
        update={"saved_at": clock(), "generation": checkpoint.generation + 1}
    )
    state.save_checkpoint(task.flow, task.entity, stamped.model_dump(mode="json"), synced=synced)
    return stamped


def _start(task: EntityTask, state: StateBackend, owner: str, clock: Clock) -> Checkpoint:
    run_id = uuid.uuid4().hex
    last = recover_watermark(task, state)  # lost by the state after a publish: the store's
    store = task.store.open(task.place)  # once for the step: opening costs CPU
    opened = open_run_window(task, state, last, store)
    publishing = publish_run_type(task, state, last)
    after_reset = publishing is not task.run_type
    if after_reset:
        log.warning("%s: first run after reset: full_drop", task.qualified_name)
    staging = store.prepare(run_id, publishing)
    specs = opened.window.partitions
    apart = task.store.capabilities.partitioned_staging
    stagings = partition_stagings(staging, specs) if apart else [None] * len(specs)
    checkpoint = Checkpoint(
        entity_run_id=run_id,
        flow=task.flow,
        entity=task.entity,
        run_type=task.run_type,
        started_at=clock(),
        window=opened.window,
        partitions=[
            PartitionProgress(id=spec.id, position=spec.start, staging=own)
            for spec, own in zip(specs, stagings, strict=True)
        ],
        staging=staging,
        attempt_id=owner,
        loaded_files=opened.loaded_files,
        file_records=opened.file_records,
        watermark_type=opened.watermark_type,
        watermark_column=task.watermark.column if task.watermark else None,
        notes=[*opened.notes, AFTER_RESET_NOTE] if after_reset else opened.notes,
        after_reset=after_reset,
        arrow_schema=opened.arrow_schema,
        home_identity=opened.home_identity,
        store_identity=opened.store_identity,
    )
    # Unsynced (as each chunk's): commit saves a synced checkpoint before publishing begins;
    # a power cut that loses this one is a crash before it (its staging is left orphaned).
    return save_checkpoint(task, checkpoint, state, clock=clock, synced=False)


def _resume(
    task: EntityTask,
    state: StateBackend,
    owner: str,
    context: RunContext,
    previous: Checkpoint | None,
) -> Checkpoint | None:
    """Continue the interrupted run `previous` (the saved checkpoint) if there is one and the
    task wants that; else clean it up."""
    clock = context.clock
    if previous is None:
        return None
    # The time between the last checkpoint and now, the run was not moving: not its duration.
    downtime = (clock() - previous.saved_at).total_seconds() if previous.saved_at else 0.0
    paused = previous.paused_seconds + max(0.0, downtime)
    if previous.phase == "journaled" or journaled_already(task, state, previous):
        # That run finished (published, watermarked, journaled); only its clean-up was lost.
        state.clear_checkpoint(task.flow, task.entity, synced=False)
        return None
    store = task.store.open(task.place)
    column = task.watermark.column if task.watermark else None
    same_kind = previous.run_type == task.run_type and previous.watermark_column == column
    resuming = task.on_interrupted == "resume" and same_kind
    if resuming or previous.phase == "publishing":
        home = task.home.open(task.place).identity()
        check_resume_targets(task, previous, home, store.identity())
    if resuming:
        log.warning(
            "%s: resuming interrupted run %s at %s (phase %s)",
            task.qualified_name,
            previous.entity_run_id[:8],
            counted(previous.rows, "row"),
            previous.phase,
        )
        if previous.phase == "moving":
            store.discard_unlisted(previous.staging)
        _journal_interruption(task, previous, state, context, "resumed from its checkpoint")
        resumed = previous.model_copy(
            update={"resumed": previous.resumed + 1, "attempt_id": owner, "paused_seconds": paused}
        )
        return save_checkpoint(task, resumed, state, clock=clock)
    if previous.phase != "moving":
        # Publishing had begun: finishing it is the only way to leave the store whole.
        log.warning(
            "%s: finishing the publish of run %s", task.qualified_name, previous.entity_run_id
        )
        _journal_interruption(
            task, previous, state, context, "its publish is finished from the checkpoint"
        )
        finished = previous.model_copy(update={"attempt_id": owner, "paused_seconds": paused})
        return save_checkpoint(task, finished, state, clock=clock)
    log.warning(
        "%s: discarding interrupted run %s (%s)",
        task.qualified_name,
        previous.entity_run_id[:8],
        _why_restart(task, previous, same_kind),
    )
    _journal_interruption(task, previous, state, context, "discarded, the entity starts over")
    store.abort(previous.staging)
    state.clear_checkpoint(task.flow, task.entity)
    return None


def journaled_already(task: EntityTask, state: StateBackend, previous: Checkpoint) -> bool:
    """Whether the commit of `previous` (left `publishing`) journaled its outcome already.

    A commit saves no mark after its journal row (an older hygge saved a `journaled` one), so
    a crash between that row and the checkpoint's removal leaves the `publishing` checkpoint.
    Everything before that journal row was done and synced, so the run is finished; finishing
    it again would journal it twice."""
    return journaled_row(task, state, previous) is not None


def journaled_row(task: EntityTask, state: StateBackend, previous: Checkpoint) -> JournalRow | None:
    """The success (or skip) journal row of `previous`'s run, if its commit wrote one."""
    if previous.phase not in ("publishing", "published"):
        return None
    found = state.read_readable_journal(
        [task.flow], [task.qualified_name], limit=JOURNAL_LOOKBACK
    ).rows
    mine = (r for r in found if r.entity_run_id == previous.entity_run_id)
    return next((r for r in mine if r.status in _COMMITTED), None)


def is_incremental(task: EntityTask) -> bool:
    return task.run_type is not RunType.FULL_DROP


def _journal_interruption(
    task: EntityTask, previous: Checkpoint, state: StateBackend, context: RunContext, outcome: str
) -> None:
    """The journal's record of a run that stopped without one (killed, lost its machine).

    It is its own journal row, next to any failure or cancel the run journaled before (the
    journal keeps every distinct event of a run; the same event written twice stays one row).
    """
    message = (
        f"interrupted: the run stopped after {counted(previous.rows, 'row')} "
        f"({counted(previous.chunks, 'chunk')}, "
        f"phase {previous.phase}) without finishing; {outcome}"
    )
    # It finished, as far as anyone knows, when it saved its last checkpoint.
    stopped = previous.saved_at or context.clock()
    row = journal_row(
        task, previous, RunStatus.FAIL, message, None, host=context.host, finished=stopped
    )
    state.append_journal(row.model_copy(update={"error_type": "Interrupted"}))


def _why_restart(task: EntityTask, previous: Checkpoint, same_kind: bool) -> str:
    if same_kind:
        return "on_interrupted: restart"
    if previous.run_type != task.run_type:
        return f"it was {previous.run_type}, this run is {task.run_type}"
    column = task.watermark.column if task.watermark else None
    return f"its watermark column was {previous.watermark_column}, now {column}"
