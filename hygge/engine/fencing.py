"""What a failed step means for an attempt that no longer holds its entity's lock.

An attempt whose lock was taken over, or removed by `hygge unlock --force`, fails in whatever it
was doing (a staged file deleted under it, a refused refresh). That error is a symptom: the
failure is that another attempt runs the entity now. `fenced_out` says so, naming that attempt
and what of this one reached the store, so drivers journal and show that, not the symptom.
"""

from __future__ import annotations

from hygge.engine.models import Checkpoint, EntityTask
from hygge.engine.steps import saved_checkpoint
from hygge.errors import EntityLockedError, HyggeError
from hygge.state.base import StateBackend

__all__ = ["fenced_out"]

_REMOVED = "its lock was removed while it ran (by `hygge unlock --force`, or by hand)"


def fenced_out(
    task: EntityTask, checkpoint: Checkpoint | None, state: StateBackend, error: BaseException
) -> EntityLockedError | None:
    """The step's `error` as the takeover it is: EntityLockedError (caused by `error`) when
    `checkpoint`'s attempt no longer holds the lock; None while it does.

    Also None before begin (`checkpoint` None: a refused begin already names the holder) and
    when the state cannot tell (an unreadable lock or checkpoint): `error` then stands.
    """
    if checkpoint is None:
        return None
    why = _why_lost(task, checkpoint, state)
    if why is None:
        return None
    fenced = EntityLockedError(
        f"attempt {checkpoint.attempt_id[:8]} of {task.qualified_name} was fenced out: "
        f"{why[0]}. {_published(task, checkpoint)}; {why[1]}"
    )
    fenced.__cause__ = error
    return fenced


def _why_lost(
    task: EntityTask, checkpoint: Checkpoint, state: StateBackend
) -> tuple[str, str] | None:
    """(what happened, what happens next) when the attempt lost the lock, else None."""
    mine = checkpoint.attempt_id
    try:
        held = state.get_lock(task.flow, task.entity)
        if held is not None and held.owner == mine:
            return None
        stored = saved_checkpoint(task, state)
    except HyggeError:
        return None
    if held is not None:
        why = f"attempt {held.owner} (pid {held.pid} on host {held.host}) took the entity over"
        then = "that attempt decides what is published"
    elif stored is not None and stored.attempt_id != mine:
        why = f"{_REMOVED}, and attempt {stored.attempt_id} has run the entity since"
        then = f"the next `hygge go` continues attempt {stored.attempt_id[:8]}'s run"
    elif stored is not None:
        why = _REMOVED
        then = "the next `hygge go` resumes from its last checkpoint"
    else:
        why = f"{_REMOVED}, and another attempt has finished the entity since"
        then = f"see `hygge journal -e {task.qualified_name}`"
    return why, then


def _published(task: EntityTask, checkpoint: Checkpoint) -> str:
    """Whether the store's completion marker records a publish by this attempt."""
    try:
        last = task.store.open(task.place).last_commit()
    except (HyggeError, OSError):  # the store cannot say: only commit publishes, fenced first
        last = None
    if last is not None and last.attempt_id == checkpoint.attempt_id:
        return f"This attempt had published run {last.run_id[:8]} before it lost the lock"
    return "Nothing of this attempt was published"
