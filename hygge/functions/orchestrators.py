"""The orchestrator functions: `run_workspace` and `run_entity`, as Durable generator functions.

They are replay-safe: no I/O, no clock (only `context.current_utc_datetime`), no randomness,
no data — only small contracts pass through them, and every decision follows from the history.
`hygge.functions.orchestration` registers them on the blueprint; tests replay them with the
Durable SDK's own engine (`tests/support/durable.py`). This module imports no Azure SDK: the
context is whatever the SDK passes.

- `run_workspace`: plan → one `run_entity` sub-orchestration per entity, at most
  `max_parallel` at once (a sliding window over `task_any`, no retry options: pitfall #603)
  → summary. Its custom status is a `Progress` (≤ 16 KB).
- `run_entity`: begin → move_chunk… → commit, each an activity; a failure left after the
  activity's own retries → abort, and a failed `EntityOutcome` is returned, never raised, so
  one bad entity never fails the run. After `CHUNKS_PER_EPISODE` chunk calls it continues as
  new with its checkpoint reference, so its history stays bounded. A partitioned entity runs
  one chain of chunks per partition (`chains.PartitionChains`: a partition's next chunk
  starts as soon as its last one returns, never waiting for the slowest), and commits once.
- Cancellation: the `hygge-cancel` event (`hygge.functions.cancel`); an entity stops at its
  next chunk boundary and keeps its checkpoint; entities not started are not started.
"""

from __future__ import annotations

import hashlib
from collections.abc import Generator
from datetime import timedelta
from typing import Any

from hygge.functions.chains import CHUNKS_PER_EPISODE, PartitionChains, crashed, reason
from hygge.functions.contracts import (
    CUSTOM_STATUS_LIMIT,
    ActivityInput,
    CheckpointRef,
    EntityInput,
    EntityOutcome,
    EntityTaskRef,
    FailureRef,
    PlanInput,
    PlanResult,
    Progress,
    RunInput,
    RunSummary,
    StepOutcome,
    SummaryInput,
)
from hygge.types import RunStatus

__all__ = [
    "CANCEL_EVENT",
    "CHUNKS_PER_EPISODE",
    "attempt_of",
    "child_instance_id",
    "run_entity",
    "run_workspace",
    "step_id_of",
]

CANCEL_EVENT = "hygge-cancel"
LANDING_EVENT = "hygge_landing_arrived"  # as hygge.functions.landing raises it
RUN_ENTITY = "run_entity"
COMMIT_WAITS = 5  # Durable timers one commit may ask for (a worker's clock behind: > 1)
_COMMITTED = (RunStatus.SUCCESS, RunStatus.SKIP)

Orchestration = Generator[Any, Any, Any]


def attempt_of(instance_id: str) -> str:
    """The engine attempt id (the entity lock's owner) of a run_entity instance: the same for
    every activity it calls and after every continue_as_new, so redeliveries are idempotent."""
    return hashlib.sha256(f"hygge-attempt:{instance_id}".encode()).hexdigest()[:32]


def step_id_of(
    instance_id: str,
    step: str,
    checkpoint: CheckpointRef | None,
    partition: str | None,
    episode: int,
) -> str:
    """The id of one activity call: instance id + step + entity run + partition + chunk number
    (begin, commit, abort: the execution's episode). A redelivery of a call carries the same
    one; two different chunks never share one (their partition or number differs)."""
    run = checkpoint.entity_run_id if checkpoint is not None else "-"
    if step == "move_chunk" and checkpoint is not None:
        number = checkpoint.partition_chunks.get(partition, 0) if partition else checkpoint.chunks
    else:
        number = episode
    key = f"hygge-step:{instance_id}|{step}|{run}|{partition or '-'}|{number}"
    return f"{step}-{hashlib.sha256(key.encode()).hexdigest()[:24]}"


def child_instance_id(run_id: str, ref: EntityTaskRef) -> str:
    """`<parent id>:<flow>.<entity>`: one run_entity per entity per run."""
    return f"{run_id}:{ref.qualified_name}"


def run_workspace(context: Any) -> Orchestration:
    run = RunInput.model_validate(context.get_input())
    run_id: str = context.instance_id
    progress = Progress(phase="planning")
    _status(context, progress)
    try:
        planned = yield context.call_activity(
            "plan", PlanInput(run_id=run_id, run=run).model_dump(mode="json")
        )
    except Exception as error:  # a workspace that does not load: the run says why
        summary = RunSummary(
            run_id=run_id,
            trigger=run.trigger,
            requested_at=run.requested_at,
            dry_run=run.request.dry_run,
            message=f"the run could not be planned: {reason(error)}",
        )
        _status(context, progress.model_copy(update={"phase": "done"}))
        return summary.model_dump(mode="json")
    plan = PlanResult.model_validate(planned)
    progress = Progress(phase="running", entities=len(plan.tasks))
    outcomes: list[EntityOutcome] = []
    not_started: list[EntityTaskRef] = []
    cancelled = False
    # A landing run hears of files that land meanwhile, and makes another pass for them.
    arrivals = _Arrivals(context) if run.trigger == "blob" else None
    if run.request.dry_run:
        outcomes = list(plan.previews)
    else:
        outcomes, not_started, cancelled = yield from _fan_out(context, plan, progress, arrivals)
    _status(context, progress.model_copy(update={"phase": "summarising"}))
    summary = yield context.call_activity(
        "summary",
        SummaryInput(
            run_id=run_id,
            run=run,
            plan=plan,
            outcomes=outcomes,
            not_started=not_started,
            cancelled=cancelled,
        ).model_dump(mode="json"),
    )
    done = RunSummary.model_validate(summary)
    cancelled = cancelled or done.cancelled  # the summary found the run's cancel marker
    _status(
        context,
        Progress(
            phase="done",
            entities=done.entities,
            finished=done.entities - done.not_run,
            failed=done.failed,
            rows=done.rows,
            cancelled=cancelled,
        ),
    )
    if arrivals is not None and not cancelled and (yield from arrivals.came()):
        again = run.model_copy(
            update={
                "requested_at": context.current_utc_datetime.isoformat(),
                "landing_paths": arrivals.keys(),
            }
        )
        context.continue_as_new(again.model_dump(mode="json"))
        return None
    return summary


class _Arrivals:
    """The `LANDING_EVENT`s raised to a landing run (`hygge.functions.landing`)."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.task = context.wait_for_external_event(LANDING_EVENT)
        self.heard = False

    def waiting(self) -> list[Any]:
        """The event to wait for beside the entities, until it came."""
        return [] if self.heard else [self.task]

    def note(self, winner: Any) -> bool:
        """Whether `winner` is an arrival (then it is noted)."""
        if winner is self.task:
            self.heard = True
            return True
        return False

    def came(self) -> Generator[Any, Any, bool]:
        """Whether a file landed during the pass: waited for beside an immediate timer, so an
        event raised before it was waited for counts too."""
        if self.heard or self.task.is_completed:
            return True
        now = self.context.current_utc_datetime
        winner = yield self.context.task_any([self.task, self.context.create_timer(now)])
        return bool(winner is self.task)

    def keys(self) -> list[str]:
        result = self.task.result if self.task.is_completed else None
        return [result] if isinstance(result, str) else []


def _fan_out(
    context: Any, plan: PlanResult, progress: Progress, arrivals: _Arrivals | None
) -> Generator[Any, Any, tuple[list[EntityOutcome], list[EntityTaskRef], bool]]:
    """One run_entity per entity, at most `plan.max_parallel` at once; their outcomes in the
    order they finished, the entities a cancel kept from starting, and whether it came."""
    run_id: str = context.instance_id
    pending = list(plan.tasks)
    running: dict[str, tuple[EntityTaskRef, Any]] = {}
    outcomes: list[EntityOutcome] = []
    cancel = context.wait_for_external_event(CANCEL_EVENT)
    cancelled = False
    while pending or running:
        while pending and not cancelled and len(running) < max(1, plan.max_parallel):
            ref = pending.pop(0)
            child = context.call_sub_orchestrator(
                RUN_ENTITY,
                EntityInput(task=ref).model_dump(mode="json"),
                child_instance_id(run_id, ref),
            )
            running[ref.qualified_name] = (ref, child)
        if not running:
            break
        progress = progress.model_copy(update={"running": sorted(running), "cancelled": cancelled})
        _status(context, progress)
        waiting = [child for _, child in running.values()]
        heard = arrivals.waiting() if arrivals is not None else []
        winner = yield context.task_any([*waiting, *([] if cancelled else [cancel]), *heard])
        if arrivals is not None and arrivals.note(winner):
            continue
        if winner is cancel:
            cancelled = True
            continue
        name = next(key for key, (_, child) in running.items() if child is winner)
        ref, _ = running.pop(name)
        outcome = _entity_outcome(ref, winner)
        outcomes.append(outcome)
        progress = progress.model_copy(
            update={
                "finished": progress.finished + 1,
                "failed": progress.failed + (outcome.status is RunStatus.FAIL),
                "rows": progress.rows + outcome.rows,
            }
        )
    return outcomes, pending, cancelled


def run_entity(context: Any) -> Orchestration:
    given = EntityInput.model_validate(context.get_input())
    ref, task = given.checkpoint, given.task
    attempt = attempt_of(context.instance_id)
    retries, calls = given.retries, given.chunk_calls
    cancel = context.wait_for_external_event(CANCEL_EVENT)

    def payload(step: str, checkpoint: CheckpointRef | None, **more: Any) -> dict[str, Any]:
        partition = more.get("partition")
        return ActivityInput(
            task=task,
            instance_id=context.instance_id,
            attempt=attempt,
            step_id=step_id_of(context.instance_id, step, checkpoint, partition, given.episode),
            checkpoint=checkpoint,
            **more,
        ).model_dump(mode="json")

    def finish(outcome: EntityOutcome) -> dict[str, Any]:
        chunks = ref.chunks if ref is not None else 0
        update = {"retries": retries, "episodes": given.episode, "chunks": chunks}
        return outcome.model_copy(update=update).model_dump(mode="json")

    aborting: dict[str, Any] | None = None  # the abort payload that ends the run
    renewed: EntityInput | None = None  # the input to continue as new with
    outcome: EntityOutcome | None = None
    if ref is None:
        begun = yield from _step(context, "begin", payload("begin", None))
        retries += begun.retries
        ref = begun.checkpoint if begun.failure is None else None
        if begun.cancelled:  # the run's cancel marker: begun nothing
            aborting = payload("abort", None, cancelled=True)
        elif ref is None:
            aborting = payload("abort", None, failure=begun.failure)
    if aborting is None and ref is not None and not ref.done:
        chains = PartitionChains(
            context, ref, cancel, lambda r, p: payload("move_chunk", r, partition=p)
        )
        yield from chains.run()
        ref = chains.newest
        calls += chains.moved
        retries += chains.retries
        if chains.failure is not None:
            aborting = payload("abort", ref, failure=chains.failure)
        elif chains.cancelled:
            aborting = payload("abort", ref, cancelled=True)
        elif not ref.done:  # this execution's chunks are spent: go on in a fresh history
            renewed = EntityInput(task=task, checkpoint=ref, episode=given.episode + 1)
    if aborting is None and renewed is None and ref is not None:
        committed = yield from _commit(context, payload("commit", ref))
        retries += committed.retries
        outcome = committed.outcome if committed.failure is None else None
        if outcome is None:
            aborting = payload("abort", ref, failure=committed.failure)
        elif outcome.status in _COMMITTED and outcome.run_type is not task.run_type:
            # Begin resumed an interrupted run of another run type and has now finished it
            # (as `hygge go` does, leaving the store whole first): now the run asked for.
            renewed = EntityInput(task=task, episode=given.episode + 1)
    if renewed is not None:
        update = {"chunk_calls": calls, "retries": retries}
        context.continue_as_new(renewed.model_copy(update=update).model_dump(mode="json"))
        return None
    if aborting is not None:
        ended = yield context.call_activity("abort", aborting)
        outcome = EntityOutcome.model_validate(ended)
    assert outcome is not None
    return finish(outcome)


def _step(context: Any, name: str, payload: dict[str, Any]) -> Generator[Any, Any, StepOutcome]:
    """An activity's StepOutcome; an activity that raised (the host reports a crash, a bug)
    is a terminal failure, ended by abort like any other."""
    try:
        result = yield context.call_activity(name, payload)
    except Exception as error:
        return StepOutcome(failure=crashed(name, error))
    return StepOutcome.model_validate(result)


def _commit(context: Any, payload: dict[str, Any]) -> Generator[Any, Any, StepOutcome]:
    """The commit; a full_drop that cleared its table and asks Fabric be given time (an Open
    Mirroring `folder_deletion_wait_seconds`) is committed again after a Durable timer, no
    worker held meanwhile."""
    committed = yield from _step(context, "commit", payload)
    for _ in range(COMMIT_WAITS):
        if not committed.wait_seconds or committed.failure is not None:
            break
        fire_at = context.current_utc_datetime + timedelta(seconds=committed.wait_seconds)
        yield context.create_timer(fire_at)
        committed = yield from _step(context, "commit", payload)
    if committed.wait_seconds and committed.failure is None:
        return StepOutcome(failure=_still_waiting(committed.wait_seconds))
    return committed


def _still_waiting(seconds: float) -> FailureRef:
    return FailureRef(
        kind="terminal",
        type="DeletionWaitPending",
        message=f"the full_drop publish still asks for {seconds:.0f}s after {COMMIT_WAITS} "
        "Durable timers (a worker's clock far behind?); the checkpoint is kept: the next run "
        "finishes the publish",
        where="commit",
        saved_phase="publishing",
    )


def _entity_outcome(ref: EntityTaskRef, child: Any) -> EntityOutcome:
    """A finished run_entity's outcome; one that failed itself (a bug, not an entity's
    failure: those are outcomes) is a failed outcome naming why."""
    result = child.result
    if isinstance(result, dict):
        return EntityOutcome.model_validate(result)
    return EntityOutcome(
        flow=ref.flow,
        entity=ref.entity,
        status=RunStatus.FAIL,
        run_type=ref.run_type,
        message=f"run_entity failed: {reason(result)}",
        error_type="OrchestrationError",
    )


def _status(context: Any, progress: Progress) -> None:
    """Set the custom status, cutting the names in flight to stay under 16 KB."""
    text = progress.model_dump_json()
    while len(text.encode()) > CUSTOM_STATUS_LIMIT - 256 and progress.running:
        keep = progress.running[: len(progress.running) // 2]
        progress = progress.model_copy(update={"running": keep, "truncated": True})
        text = progress.model_dump_json()
    context.set_custom_status(progress.model_dump(mode="json"))
