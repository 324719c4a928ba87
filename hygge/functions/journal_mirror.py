"""The mirrored journal (`mirror_journal: true`) in the Function App: landed once per run by
the summary activity, after every entity has finished, as `hygge go` does after its entities
(`hygge.cli.mirror_journal`; the table and its publish: `hygge.stores.open_mirroring.journal`).

A cancelled run or a dry run mirrors nothing (as locally: the next run's publish catches its
rows up). A journal that cannot be published does not fail the run: the summary's message
names the table and why, and the next run lands the rows it missed.
"""

from __future__ import annotations

import logging

from hygge.engine.plan import RunPlan
from hygge.errors import HyggeError
from hygge.state.base import StateBackend
from hygge.state.journal_frame import journal_frame
from hygge.stores.open_mirroring import OpenMirroringStoreConfig
from hygge.stores.open_mirroring.journal import journal_targets, publish_journal

__all__ = ["mirror_run_journal"]

log = logging.getLogger("hygge.functions")


def mirror_run_journal(plan: RunPlan, state: StateBackend) -> list[str]:
    """Publish the run's journal rows to each journal table the plan's stores name; one
    problem line per table that could not be published (none: all landed)."""
    stores = [
        (task.store, task.place)
        for task in plan.tasks
        if isinstance(task.store, OpenMirroringStoreConfig) and task.store.mirror_journal
    ]
    problems: list[str] = []
    for target in journal_targets(stores):
        rows = list(reversed(state.read_journal(entities=target.entities)))  # oldest first
        try:
            landed = publish_journal(target, journal_frame(rows), plan.coordinator_run_id)
        except (HyggeError, OSError) as error:
            log.error("journal not mirrored to %s: %s", target.place.entity, error)
            problems.append(f"journal not mirrored to {target.place.entity}: {error}")
            continue
        log.info("journal: %d row(s) mirrored to %s", landed, target.place.entity)
    return problems
