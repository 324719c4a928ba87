"""The Durable activities: the engine's steps, each called in a worker that may die at any time.

Every activity takes a small contract (`hygge.functions.contracts`) and returns one. It loads
the workspace and its state itself (`session.open_session`), runs one engine step —
`hygge.engine.steps.begin` / `move_chunk`, `hygge.engine.finish.commit` / `abort` /
`cancelled` — exactly as `hygge go` runs them, and returns a checkpoint reference or an
outcome. Nothing of the run policy lives here: `hygge.engine.machine.next_step` decides
retries and how a failed run ends, as it does for the local driver.

- Transient errors are retried inside the activity (the machine's `Retry`), never with
  Durable retry options (pitfall #603); what is left is returned as a `FailureRef` and the
  orchestrator calls `abort`.
- A redelivered activity repeats nothing: the stored checkpoint says whether its chunk was
  moved already (begin, commit and abort are idempotent in the engine for one attempt id).
- Two deliveries of one move_chunk at once: each takes the chunk's delivery lock
  (`deliveries.chunk_delivery`); the second finds it held and changes nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from hygge.engine.failures import RunError, describe_failure
from hygge.engine.fencing import fenced_out
from hygge.engine.finish import cancelled, commit, not_run
from hygge.engine.machine import RETRIES, Abort, Interrupt, Retry, Standing, next_step
from hygge.engine.models import Checkpoint, EntityResult, EntityTask
from hygge.engine.moving import ChunkBudget
from hygge.engine.runner import HEARTBEAT, finish_step
from hygge.engine.steps import begin, move_chunk, saved_checkpoint
from hygge.errors import EntityLockedError, HyggeError, StateError
from hygge.functions.cancel_marker import cancel_requested, clear_markers
from hygge.functions.contracts import (
    ActivityInput,
    EntityOutcome,
    EntityTaskRef,
    FailureRef,
    PlanInput,
    PlanResult,
    RunSummary,
    StepOutcome,
    SummaryInput,
)
from hygge.functions.deliveries import chunk_delivery, delivery_stale_after
from hygge.functions.outcomes import (
    checkpoint_ref,
    failed_outcome,
    outcome_of,
    run_hash,
    summarise,
)
from hygge.functions.session import Session, cached_task, open_session, task_digest
from hygge.functions.settings import read_settings
from hygge.state.heartbeat import Heartbeat, heartbeat_interval
from hygge.stores.open_mirroring.publish import DeletionWaitPending, deferred_deletion_wait
from hygge.types import RunStatus

log = logging.getLogger("hygge.functions")

__all__ = [
    "abort_activity",
    "begin_activity",
    "commit_activity",
    "move_chunk_activity",
    "plan_activity",
    "summary_activity",
]

Sleep = Callable[[float], None]
_sleep: Sleep = time.sleep  # the pause before a retry (the run machine says how long)


def plan_activity(payload: PlanInput, session: Session | None = None) -> PlanResult:
    """Load and plan the workspace: one small reference per entity (a dry run: previews)."""
    session = session or open_session(fresh=True)
    plan = session.plan(payload.run.request, coordinator_run_id=run_hash(payload.run_id))
    dry_run = payload.run.request.dry_run
    refs = [
        EntityTaskRef(
            run_id=payload.run_id,
            coordinator_run_id=plan.coordinator_run_id,
            flow_run_id=task.flow_run_id,
            flow=task.flow,
            entity=task.entity,
            run_type=task.run_type,
            partitions=task.parallel,
            workspace_digest=task_digest(task),
            dry_run=dry_run,
            requested_at=payload.run.requested_at,
        )
        for task in plan.tasks
    ]
    result = PlanResult(
        coordinator=plan.coordinator,
        coordinator_run_id=plan.coordinator_run_id,
        tasks=refs,
        max_parallel=session.settings.max_parallel_entities,
    )
    if dry_run:
        from hygge.engine.preview import preview_plan  # a dry run's only

        previews = preview_plan(plan, session.state)
        result.previews = [
            EntityOutcome(
                flow=task.flow,
                entity=task.entity,
                status=RunStatus.NOT_RUN,
                run_type=task.run_type,
                message="; ".join([p.window, *p.problems]),
                error_type="Problem" if p.problems else None,
            )
            for task, p in zip(plan.tasks, previews, strict=True)
        ]
    else:
        session.claim_state()
    log.info("run %s planned: %d entities", payload.run_id, len(refs))
    return result


def begin_activity(payload: ActivityInput, session: Session | None = None) -> StepOutcome:
    """`begin` with the run's attempt id (redelivered: what it began); cancelled: nothing."""
    session = session or open_session()
    if _cancelled(session, payload.task):
        log.info(
            "%s: run %s is cancelled: not begun", payload.task.qualified_name, payload.task.run_id
        )
        return StepOutcome(cancelled=True)
    session, task, failure = _task(session, payload.task)
    if task is None:
        return StepOutcome(failure=failure)

    def step(_: Checkpoint | None) -> Checkpoint:
        return begin(task, session.state, context=session.context, attempt_id=payload.attempt)

    return _with_retries(session, task, None, "begin", step)


def move_chunk_activity(payload: ActivityInput, session: Session | None = None) -> StepOutcome:
    """One chunk of one partition, bounded by `HYGGE_CHUNK_SECONDS`, saved before it returns;
    a run with a cancel marker moves nothing (its checkpoint stays as it is)."""
    session = session or open_session()
    if _cancelled(session, payload.task):
        log.info(
            "%s: run %s is cancelled: no chunk moved",
            payload.task.qualified_name,
            payload.task.run_id,
        )
        return StepOutcome(checkpoint=payload.checkpoint, cancelled=True)
    session, task, failure = _task(session, payload.task)
    if task is None:
        return StepOutcome(failure=failure)
    budget = chunk_budget(session)
    state = session.state

    def step(checkpoint: Checkpoint | None) -> Checkpoint:
        partition = _ours(task, session, payload).progress_of(payload.partition).id
        ref = payload.checkpoint
        moved_before = ref.partition_chunks.get(partition, 0) if ref is not None else 0
        wait = 2 * float(session.settings.chunk_seconds) + 60
        who = payload.step_id or payload.attempt  # this call (a redelivery: the same id)
        bound = delivery_stale_after(session.settings.chunk_seconds)
        with chunk_delivery(state, task, partition, who, wait_seconds=wait, stale_after=bound):
            stored = _ours(task, session, payload)  # again: a delivery before may have moved it
            progress = stored.progress_of(partition)
            if stored.done or progress.done or progress.chunks > moved_before:
                raise _RedeliveredError(stored)
            every = heartbeat_interval(state, HEARTBEAT)
            with Heartbeat(state, task.flow, task.entity, stored.attempt_id, every) as beat:
                moved = move_chunk(
                    task, stored, state, context=session.context, budget=budget, partition=partition
                )
            beat.raise_if_lost()
        return moved

    try:
        return _with_retries(session, task, _saved(task, session), "move_chunk", step)
    except _RedeliveredError as again:
        return StepOutcome(checkpoint=checkpoint_ref(again.checkpoint), redelivered=True)


def commit_activity(payload: ActivityInput, session: Session | None = None) -> StepOutcome:
    """Publish, watermark, journal; a commit delivered again after it finished finds its
    journal row and returns that outcome."""
    session = session or open_session()
    session, task, failure = _task(session, payload.task)
    if task is None:
        return StepOutcome(failure=failure)
    state = session.state
    ref = payload.checkpoint
    if ref is not None and _saved(task, session) is None:
        finished = _journaled(task, session, ref.entity_run_id)
        if finished is not None:
            return StepOutcome(outcome=finished, redelivered=True)

    def step(_: Checkpoint | None) -> EntityResult:
        stored = _ours(task, session, payload)
        every = heartbeat_interval(state, HEARTBEAT)
        beat = Heartbeat(state, task.flow, task.entity, stored.attempt_id, every)
        with beat, deferred_deletion_wait():  # a full_drop's wait: a Durable timer, no sleep
            return commit(task, stored, state, context=session.context)

    try:
        return _with_retries(session, task, _saved(task, session), "commit", step)
    except DeletionWaitPending as pending:
        log.info("%s: %s; committed after a Durable timer", task.qualified_name, pending)
        return StepOutcome(checkpoint=ref, wait_seconds=pending.seconds)


def abort_activity(payload: ActivityInput, session: Session | None = None) -> EntityOutcome:
    """End a failed (or cancelled) run by the engine's policy: abort (store and watermark as
    before), interrupt (publishing had begun: keep the checkpoint), or cancel (keep it)."""
    session = session or open_session()
    ref = payload.task
    session, task, failure = _task(session, ref)
    if task is None:
        assert failure is not None
        return failed_outcome(ref, failure.message, failure.type)
    saved = _readable(task, session)
    ours = saved if saved is not None and saved.attempt_id == payload.attempt else None
    context = session.context
    if payload.cancelled:
        if ours is None:
            result = not_run(task, "cancelled before it started", session.state, context=context)
        else:
            result = cancelled(task, ours, session.state, context=context)
        return outcome_of(result, cancelled=True)
    given = payload.failure or FailureRef(kind="terminal", type="Error", message="failed")
    error = RunError(**given.model_dump(exclude={"saved_phase"}))
    standing = Standing(checkpoint=ours, error=error, tries=RETRIES, saved_phase=given.saved_phase)
    step = next_step(standing)
    if not isinstance(step, Abort | Interrupt):  # the machine ends a run it cannot retry
        step = Abort(error=error)
    result = finish_step(task, session.state, step, ours, context)
    return outcome_of(result)


def summary_activity(payload: SummaryInput, session: Session | None = None) -> RunSummary:
    """Journal the entities a cancel kept from starting, sum the run up, and delete the run's
    cancel marker (and markers older than `cancel_marker.MAX_AGE`)."""
    outcomes = list(payload.outcomes)
    if payload.not_started:
        session = session or open_session()
        for ref in payload.not_started:
            session, task, _ = _task(session, ref)
            if task is None:
                continue
            why = "not started: the run was cancelled"
            result = not_run(task, why, session.state, context=session.context)
            outcomes.append(outcome_of(result, cancelled=True))
    summary = summarise(payload, outcomes)
    settings = session.settings if session is not None else read_settings()
    if cancel_requested(settings.workspace, payload.run_id, since=payload.run.requested_at):
        summary.cancelled = True
    clear_markers(settings.workspace, payload.run_id)  # an earlier execution's too
    if not summary.cancelled and not summary.dry_run and payload.plan.tasks:
        summary.message = _mirror_journal(session or open_session(), payload) or summary.message
    log.info(
        "run %s finished: %d entities, %d succeeded, %d skipped, %d failed, %d not run, %d rows",
        summary.run_id,
        summary.entities,
        summary.succeeded,
        summary.skipped,
        summary.failed,
        summary.not_run,
        summary.rows,
    )
    return summary


# -- helpers --------------------------------------------------------------------------------


def _cancelled(session: Session, ref: EntityTaskRef) -> bool:
    """Whether the run has a cancel marker of this execution (one read)."""
    return cancel_requested(session.settings.workspace, ref.run_id, since=ref.requested_at)


def _mirror_journal(session: Session, payload: SummaryInput) -> str | None:
    """Land the run's journal in each mirrored journal table; the problems, if any."""
    from hygge.functions.journal_mirror import mirror_run_journal  # polars: runs only

    try:
        plan = session.plan(payload.run.request, payload.plan.coordinator_run_id)
    except HyggeError as error:
        return f"journal not mirrored: the workspace no longer plans this run ({error})"
    return "; ".join(mirror_run_journal(plan, session.state)) or None


def chunk_budget(session: Session) -> ChunkBudget:
    """The workspace's checkpoint_rows / checkpoint_seconds, and at most HYGGE_CHUNK_SECONDS."""
    options = session.workspace.project.options
    seconds = min(options.checkpoint_seconds, float(session.settings.chunk_seconds))
    return ChunkBudget(max_rows=options.checkpoint_rows, max_seconds=seconds)


class _RedeliveredError(Exception):
    """The chunk asked for was moved already (by an earlier delivery): return the stored one."""

    def __init__(self, checkpoint: Checkpoint) -> None:
        super().__init__("redelivered")
        self.checkpoint = checkpoint


def _task(
    session: Session, ref: EntityTaskRef
) -> tuple[Session, EntityTask | None, FailureRef | None]:
    """The session to go on with, and the entity's task or why there is none."""
    try:
        session, task = cached_task(session, ref)
    except HyggeError as error:
        described = describe_failure(error, where="plan")
        return session, None, FailureRef(**described.model_dump())
    return session, task, None


def _saved(task: EntityTask, session: Session) -> Checkpoint | None:
    return saved_checkpoint(task, session.state)


def _readable(task: EntityTask, session: Session) -> Checkpoint | None:
    try:
        return saved_checkpoint(task, session.state)
    except HyggeError as error:
        log.error("%s: %s", task.qualified_name, error)
        return None


def _ours(task: EntityTask, session: Session, payload: ActivityInput) -> Checkpoint:
    """The stored checkpoint of this run's attempt; StateError when there is none."""
    stored = saved_checkpoint(task, session.state)
    if stored is None:
        raise StateError(
            f"{task.qualified_name}: run {payload.task.run_id} has no saved checkpoint any "
            "more (removed by `hygge reset`, or by hand); nothing was changed"
        )
    if stored.attempt_id != payload.attempt:
        raise EntityLockedError(
            f"{task.qualified_name}: attempt {stored.attempt_id[:8]} runs the entity now, not "
            f"attempt {payload.attempt[:8]} of run {payload.task.run_id}; this one changes "
            "nothing"
        )
    return stored


def _journaled(task: EntityTask, session: Session, entity_run_id: str) -> EntityOutcome | None:
    """The committed outcome of `entity_run_id` from the journal, if it was journaled."""
    found = session.state.read_readable_journal([task.flow], [task.qualified_name], limit=16).rows
    for row in found:
        if row.entity_run_id == entity_run_id and row.status in ("success", "skip"):
            return EntityOutcome(
                flow=task.flow,
                entity=task.entity,
                status=RunStatus(row.status),
                run_type=task.run_type,
                entity_run_id=entity_run_id,
                rows=row.row_count or 0,
                seconds=row.duration or 0.0,
                message=row.message,
            )
    return None


def _with_retries(
    session: Session,
    task: EntityTask,
    checkpoint: Checkpoint | None,
    where: str,
    step: Callable[[Checkpoint | None], Checkpoint | EntityResult],
) -> StepOutcome:
    """Run `step`, retrying transient failures as the run machine says; the failure left."""
    tries = 0
    while True:
        try:
            done = step(checkpoint)
        except (_RedeliveredError, DeletionWaitPending):
            raise
        except Exception as error:
            log.warning("%s: %s failed: %s", task.qualified_name, where, error)
            failure = fenced_out(task, checkpoint, session.state, error) or error
            described = describe_failure(failure, where=where)
            saved = _readable(task, session)
            tries += 1
            standing = Standing(
                checkpoint=checkpoint,
                error=described,
                tries=tries,
                saved_phase=saved.phase if saved is not None else None,
            )
            decided = next_step(standing)
            if isinstance(decided, Retry):
                _sleep(decided.after_seconds)
                checkpoint = saved if saved is not None else checkpoint
                continue
            ref = FailureRef(**described.model_dump(), saved_phase=standing.saved_phase)
            return StepOutcome(failure=ref, retries=tries - 1)
        if isinstance(done, EntityResult):
            return StepOutcome(outcome=outcome_of(done), retries=tries)
        return StepOutcome(checkpoint=checkpoint_ref(done), retries=tries)
