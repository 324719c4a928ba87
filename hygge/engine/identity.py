"""State belongs to one store (and a checkpoint to one home): refuse to go on in another.

A watermark and its loaded-file records say what one store already holds. Applied to another
store they would make it receive only new data, and the old store would miss the run, so an
incremental run refuses a watermark of another store. A checkpoint's staged artefacts and read
position belong to the store and home it started with, so a resume refuses others too.
"""

from __future__ import annotations

import logging

from hygge.engine.models import Checkpoint, EntityTask
from hygge.errors import ConfigError
from hygge.state.base import Watermark

log = logging.getLogger("hygge.engine")


def check_watermark_store(task: EntityTask, last: Watermark, current: str) -> list[str]:
    """Notes for an incremental run; ConfigError when `last` describes another store."""
    if last.store_identity is None:
        note = (
            "the stored watermark records no store (an older hygge wrote it); it is taken to "
            f"describe '{current}', and the next commit records that"
        )
        log.warning("%s: %s", task.qualified_name, note)
        return [note]
    if last.store_identity == current:
        return []
    raise ConfigError(
        f"{task.qualified_name}: the store changed since the last run, from "
        f"'{last.store_identity}' to '{current}'; the stored watermark and loaded-file records "
        "describe the old store, so an incremental run would give the new store only new data",
        hint=(
            f"load everything into the new store once with `hygge go --full-drop --entity "
            f"{task.qualified_name}` (or forget the old state with `hygge reset --flow "
            f"{task.flow} --entity {task.entity}`, then run); or restore the old store setting "
            "to go on loading there"
        ),
    )


def check_resume_targets(task: EntityTask, previous: Checkpoint, home: str, store: str) -> None:
    """ConfigError when an interrupted run would continue in another store or home.

    A run that began publishing is checked against its store only (it reads no more data);
    one that published already only records its watermark, for the store it published to.
    """
    run = f"run {previous.entity_run_id[:8]}"
    name = task.qualified_name
    stores_left = previous.phase in ("moving", "publishing")
    if stores_left and previous.store_identity not in (None, store):
        if previous.phase == "moving":
            hint = f"restore the store setting to resume it, or discard it: {_restart(name)}"
        else:
            hint = (
                "restore the store setting and run `hygge go --resume --entity "
                f"{name}` to finish the publish, then change it (a run that began publishing "
                "is always finished, never discarded)"
            )
        raise ConfigError(
            f"{name}: the store changed since {run} was interrupted while {previous.phase}, from "
            f"'{previous.store_identity}' to '{store}'; its staged data belongs to the old "
            "store, and going on would mix the two",
            hint=hint,
        )
    if previous.phase != "moving" or previous.home_identity in (None, home):
        return
    raise ConfigError(
        f"{name}: the home changed since {run} was interrupted, from "
        f"'{previous.home_identity}' to '{home}'; its checkpoint's read position points into "
        "the old home's files",
        hint=f"restore the home setting to resume it, or discard it: {_restart(name)}",
    )


def _restart(name: str) -> str:
    return f"`hygge go --restart --entity {name}`"
