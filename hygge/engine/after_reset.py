"""The first run after `hygge reset` of an incremental entity replaces what the store holds.

A reset forgets the watermark and the loaded files, so that run reads everything in the home
again (from `initial`, where set). Appended, it would double every row the store already
holds; so it reads like a first incremental run and publishes as a full_drop (its
`Staging.run_type`), which replaces only what hygge owns (the first rule, checked by the
store). The reset's mark says so (`ResetMark.full_drop_next`) until that run publishes; a run
killed before then leaves it set, so the run after it replaces again. A merge run upserts on
its keys, so it stays a merge; a full_drop is one anyway.
"""

from __future__ import annotations

from hygge.engine.models import Checkpoint, EntityTask
from hygge.records import Watermark
from hygge.state.base import StateBackend
from hygge.types import RunType

PREVIEW_NOTE = "first run after reset: full_drop, replacing what the store holds"
AFTER_RESET_NOTE = (
    "first run after reset: full_drop (it read everything again and replaced what the store "
    "held, so no row is doubled)"
)


def publish_run_type(task: EntityTask, state: StateBackend, last: Watermark | None) -> RunType:
    """How a new run publishes: the task's run type, or full_drop for the first incremental
    run after a reset (`last`: the watermark the run starts from; None after a reset)."""
    if task.run_type is not RunType.INCREMENTAL or last is not None:
        return task.run_type  # a watermark is there: a run after the reset's published
    mark = state.get_reset(task.flow, task.entity)  # read only by runs without a watermark
    if mark is None or not mark.full_drop_next:
        return task.run_type
    return RunType.FULL_DROP


def settle_reset(task: EntityTask, checkpoint: Checkpoint, state: StateBackend) -> None:
    """After the first run after a reset published: its next runs append again.

    Cleared before the watermark is written: from the publish on, the checkpoint (phase
    `publishing`) makes the next run finish this one, never start a new one."""
    if not checkpoint.after_reset:
        return
    mark = state.get_reset(task.flow, task.entity)
    if mark is not None and mark.full_drop_next:
        state.set_reset(task.flow, task.entity, mark.model_copy(update={"full_drop_next": False}))
