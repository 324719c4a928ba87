"""After `hygge go`: the journal mirrored into each Open Mirroring landing zone that asks for it
(`mirror_journal: true`), once per run (`hygge.stores.open_mirroring.journal`).

The publishing modules (and the journal's polars frame) are imported only when a store asks,
and the Open Mirroring config only when a block of that kind was loaded: a run of other stores
never imports them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.console import Console

from hygge.engine import RunPlan
from hygge.errors import HyggeError
from hygge.state.base import StateBackend
from hygge.stores import STORE_TYPES

if TYPE_CHECKING:
    from hygge.stores.open_mirroring import OpenMirroringStoreConfig


def mirror_journals(out: Console, plan: RunPlan, state: StateBackend) -> bool:
    """Publish the run's journal rows to every journal table the plan's stores name; False
    (each failure printed) when one could not be published."""
    found = STORE_TYPES.imported("open_mirroring")
    mirroring = cast("type[OpenMirroringStoreConfig] | None", found)
    if mirroring is None:  # no open_mirroring block was validated: no store mirrors
        return True
    stores = [
        (task.store, task.place)
        for task in plan.tasks
        if isinstance(task.store, mirroring) and task.store.mirror_journal
    ]
    if not stores:
        return True
    from hygge.state.journal_frame import journal_frame
    from hygge.stores.open_mirroring.journal import journal_targets, publish_journal

    ok = True
    for target in journal_targets(stores):
        rows = list(reversed(state.read_journal(entities=target.entities)))  # oldest first
        try:
            landed = publish_journal(target, journal_frame(rows), plan.coordinator_run_id)
        except (HyggeError, OSError) as exc:
            out.print(f"journal not mirrored to {target.place.entity}: {exc}", markup=False)
            ok = False
            continue
        if landed:
            out.print(f"journal: {landed} row(s) mirrored to {target.place.entity}", markup=False)
    return ok
