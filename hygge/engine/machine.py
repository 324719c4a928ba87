"""The entity-run state machine: from where a run stands, the next step a driver takes.

Pure: no I/O, no clock, so a Durable orchestrator can call it during replay. A driver loops:
`step = next_step(standing)`, run that step, fold its outcome into the next `Standing`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from hygge.engine.failures import RunError
from hygge.engine.models import Checkpoint, EntityResult

__all__ = [
    "RETRIES",
    "Abort",
    "Begin",
    "Cancel",
    "Commit",
    "Done",
    "Interrupt",
    "MoveChunk",
    "Retry",
    "Standing",
    "Step",
    "next_step",
]

RETRIES = 3  # tries of one step on transient errors, with a doubling pause between


class Begin(BaseModel):
    kind: Literal["begin"] = "begin"


class MoveChunk(BaseModel):
    """Move the next chunk of each of `partitions`: one `move_chunk(partition=)` each, all at
    once where there are several (they stage apart and merge their own progress)."""

    kind: Literal["move_chunk"] = "move_chunk"
    partitions: list[str] = Field(default_factory=list)  # empty: the first not done


class Commit(BaseModel):
    kind: Literal["commit"] = "commit"


class Abort(BaseModel):
    """Discard staging, journal the failure; `error` is what ended the run.

    `keep_saved`: touch no saved checkpoint (another attempt holds the entity, or the
    workspace is wrong and an interrupted run waits for it to be put right): journal only.
    """

    kind: Literal["abort"] = "abort"
    error: RunError
    keep_saved: bool = False


class Interrupt(BaseModel):
    """Publishing had begun: keep the checkpoint so the next run finishes the publish."""

    kind: Literal["interrupt"] = "interrupt"
    error: RunError


class Cancel(BaseModel):
    kind: Literal["cancel"] = "cancel"


class Retry(BaseModel):
    """Run the failed step again after a pause (steps are idempotent from their checkpoint)."""

    kind: Literal["retry"] = "retry"
    after_seconds: float


class Done(BaseModel):
    kind: Literal["done"] = "done"
    result: EntityResult


Step = Begin | MoveChunk | Commit | Abort | Interrupt | Cancel | Retry | Done


class Standing(BaseModel):
    """Where an entity run stands: its checkpoint (None before begin) and the last outcome."""

    checkpoint: Checkpoint | None = None
    saved_phase: str | None = None  # the phase of the stored checkpoint, when a step failed
    error: RunError | None = None  # the last step failed with this
    tries: int = 0  # failed tries of the current step so far
    stop_requested: bool = False
    result: EntityResult | None = None  # commit / abort / ... returned this


def next_step(standing: Standing) -> Step:
    """The next step of the run; the whole run policy of every driver lives here."""
    if standing.result is not None:
        return Done(result=standing.result)
    if standing.error is not None:
        return _after_failure(standing, standing.error)
    checkpoint = standing.checkpoint
    if checkpoint is None:
        return Begin()
    if checkpoint.done:
        return Commit()
    if standing.stop_requested:
        return Cancel()
    return MoveChunk(partitions=checkpoint.movable)


def _after_failure(standing: Standing, error: RunError) -> Step:
    if error.category == "locked":
        return Abort(error=error, keep_saved=True)  # the holder's run is the holder's to end
    if error.retryable and standing.tries < RETRIES:
        return Retry(after_seconds=float(2 ** (standing.tries - 1)) if standing.tries else 1.0)
    if standing.checkpoint is None and error.category == "config":
        return Abort(error=error, keep_saved=True)  # begin refused the workspace
    if error.category == "refused":
        return Abort(error=error)  # nothing was published: a new try is refused alike
    if standing.saved_phase not in (None, "moving"):
        return Interrupt(error=error)
    return Abort(error=error)
