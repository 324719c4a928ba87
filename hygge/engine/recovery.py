"""A watermark the state lost after a publish, recovered from the store's completion marker.

`commit` publishes (the store keeps the `CommitRecord`, with the watermark it advances, as its
completion marker) and then writes the watermark to state. When that state write is lost and
no checkpoint of the run is left to finish it (state restored from a copy, a state container
that lost its last writes), the store holds a run the state does not know: an incremental run
from the state's watermark would load that run's rows again. A new run therefore starts from
the store's watermark when its marker names another run than the state's watermark came from
(`Watermark.entity_run_id`: the last run that published). A transactional store's marker is
authoritative always: data and watermark committed in one transaction — unless `hygge reset`
forgot it: the reset's tombstone (`ResetMark`) names the markers it left behind in the store.
"""

from __future__ import annotations

import logging

from hygge.engine.models import EntityTask
from hygge.records import Watermark
from hygge.state.base import StateBackend
from hygge.stores.base import CommitRecord
from hygge.types import RunType

log = logging.getLogger("hygge.engine")


def adopted_watermark(
    last: Watermark | None, commit: CommitRecord | None, store: str, *, transactional: bool
) -> Watermark | None:
    """The store's watermark if the state lost it (`store`: the store's identity); else None.

    Not adopted: no marker, a marker of an older hygge (no watermark), a marker of the run the
    state's watermark came from, a state watermark of another store (the begin checks refuse
    or note that), or — for a store that is not transactional — no state watermark at all
    (`hygge reset` forgot it on purpose, or a first run).
    """
    if commit is None or commit.watermark is None:
        return None
    if commit.watermark.store_identity not in (None, store):
        return None  # the marker was copied from another store's place
    if last is None:
        return commit.watermark if transactional else None
    if last.entity_run_id == commit.run_id:
        return None
    if last.store_identity not in (None, store):
        return None
    return commit.watermark


def recover_watermark(task: EntityTask, state: StateBackend) -> Watermark | None:
    """The entity's watermark for a new run: the state's, or the store's when state lost it.

    An adopted watermark is written back to state (one warning says so). A full_drop run
    reads no watermark: its commit writes a new one either way.
    """
    last = state.get_watermark(task.flow, task.entity)
    if task.run_type is RunType.FULL_DROP:
        return last
    store = task.store.open(task.place)
    commit = store.last_commit()
    transactional = task.store.capabilities.transactional
    adopted = adopted_watermark(last, commit, store.identity(), transactional=transactional)
    if adopted is None or commit is None:
        return last
    reset = state.get_reset(task.flow, task.entity)  # read only when a marker would be adopted
    if reset is not None and reset.forgets(commit.run_id, commit.committed_at):
        return last
    log.warning("%s: %s", task.qualified_name, _adopting(task, last, commit, adopted))
    state.set_watermark(task.flow, task.entity, adopted)
    return adopted


def _adopting(
    task: EntityTask, last: Watermark | None, commit: CommitRecord, adopted: Watermark
) -> str:
    had = (
        "no watermark"
        if last is None
        else f"the watermark of run {(last.entity_run_id or '?')[:8]}"
    )
    text = (
        f"the store's completion marker names run {commit.run_id[:8]} (committed "
        f"{commit.committed_at or 'at an unknown time'}), but the state holds {had}: the state "
        f"lost that run's watermark after its publish. This run continues from the store's "
        f"watermark ({adopted.column or 'files'} = {adopted.value}) and saves it to state"
    )
    if task.watermark is not None and task.watermark.lookback is not None:
        text += (
            "; the lookback margin in state may be older than that run, so rows of it within "
            "the lookback can load again"
        )
    return text
