"""Committing a file window's records to the state's file ledger, exactly once with the data.

The commit writes them after the publish and before the watermark: a crash before or during
the write leaves the checkpoint `publishing` (the publish is not saved as done; repeating it
is a no-op), so the next run finishes the commit and writes the same records again (a no-op
for shards already written);
the new files are then neither read again nor skipped. An older watermark's file lists move
to the ledger in the same write, before the watermark that drops them replaces it. The
ledger goes with the watermark: without one (a first run, or after a reset) a run reads every
file, so its records replace the ledger.
"""

from __future__ import annotations

from hygge.engine.file_changes import legacy_records
from hygge.engine.models import Checkpoint, EntityTask
from hygge.faults import fault_point
from hygge.state.base import FileRecord, StateBackend, Watermark
from hygge.types import RunType


def record_loaded_files(
    task: EntityTask, checkpoint: Checkpoint, state: StateBackend, previous: Watermark | None
) -> None:
    """Write the run's file records to the ledger; those of a run that read every file (a
    full_drop, or a run without a watermark before it: `previous`, the state's watermark
    before this commit) replace every other."""
    if checkpoint.file_records is None:
        return  # not a file window
    older = legacy_records(previous)
    records = {r.path: r for r in checkpoint.file_records}
    if checkpoint.run_type is RunType.FULL_DROP or previous is None:
        # This run read every file: its records replace the ledger, unless it holds exactly
        # them already (a full_drop of an unchanged landing zone rewrites nothing).
        if not _holds_exactly(task, state, records):
            state.clear_file_ledger(task.flow, task.entity)
            state.write_file_ledger(task.flow, task.entity, list(records.values()))
    else:
        records = {r.path: r for r in older} | records
        state.write_file_ledger(task.flow, task.entity, list(records.values()))
    fault_point("after_ledger")


def _holds_exactly(task: EntityTask, state: StateBackend, records: dict[str, FileRecord]) -> bool:
    """Whether the ledger records exactly `records`, nothing more, nothing different."""
    if state.read_file_ledger(task.flow, task.entity, list(records)) != records:
        return False
    return state.count_file_ledger(task.flow, task.entity) == len(records)
