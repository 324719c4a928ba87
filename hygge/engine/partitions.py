"""Saving a chunk of one partition into a checkpoint other partitions save into too.

Partitions of a run may move at once, in threads of one process or in activities on other
machines. Each chunk starts from the stored checkpoint and ends by merging only what it did —
its own `PartitionProgress`, and its share of the run's counts — into the checkpoint stored
then, written with `StateBackend.replace_checkpoint` (compare-and-swap on `generation`). A save
that lost the race reads the newer checkpoint and merges again, so no partition's progress is
ever overwritten by another's, whichever machine each runs on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from hygge.engine.batches import from_json_scalar, later, same_schema, to_json_scalar
from hygge.engine.models import Checkpoint, EntityTask, PartitionProgress
from hygge.errors import DataError, EntityLockedError, StateError
from hygge.homes import DEFAULT_PARTITION, PartitionSpec
from hygge.state.base import FileRecord, StateBackend
from hygge.stores import Staging

SAVE_TRIES = 50  # merges of one chunk before giving up: each lost race is another's progress


def partition_stagings(staging: Staging, specs: list[PartitionSpec]) -> list[Staging | None]:
    """Each partition's own copy of the run's staging, its sequences interleaved with the
    others' (partition i of n: first+i, first+i+n, ...); [None] for a single partition."""
    if len(specs) < 2:
        return [None] * len(specs)
    step, first = len(specs), staging.next_sequence
    return [
        staging.model_copy(
            update={"partition": spec.id, "sequence_step": step, "next_sequence": first + index}
        )
        for index, spec in enumerate(specs)
    ]


def save_moved(
    task: EntityTask,
    start: Checkpoint,
    /,
    moved: Checkpoint,
    partition: str,
    state: StateBackend,
    *,
    clock: Callable[[], datetime],
) -> Checkpoint:
    """Merge the chunk (`start` -> `moved`, of `partition`) into the stored checkpoint, save
    it as the next generation and return it; retried while other partitions save meanwhile."""
    for _ in range(SAVE_TRIES):
        raw = state.load_checkpoint(task.flow, task.entity)
        stored = start if raw is None else Checkpoint.model_validate(raw)
        if stored.attempt_id != start.attempt_id:
            raise EntityLockedError(
                f"{task.qualified_name}: attempt {stored.attempt_id[:8]} took the entity over "
                f"while attempt {start.attempt_id[:8]} moved partition {partition!r}; this "
                "attempt's chunk is not saved (its rows are moved again by the new attempt)"
            )
        update = merged(stored, start, moved, partition)
        saved = update.model_copy(update={"saved_at": clock(), "generation": stored.generation + 1})
        data = saved.model_dump(mode="json")
        # Unsynced: commit saves a synced checkpoint before publishing begins; a power cut
        # that loses this one is a crash before it (the chunk's rows are moved again).
        if raw is None:
            state.save_checkpoint(task.flow, task.entity, data, synced=False)
            return saved
        if state.replace_checkpoint(task.flow, task.entity, data, stored.generation, synced=False):
            return saved
    raise StateError(
        f"{task.qualified_name}: the checkpoint kept changing while partition {partition!r} "
        f"saved its chunk ({SAVE_TRIES} tries); run again to resume from the last saved one"
    )


def merged(stored: Checkpoint, start: Checkpoint, moved: Checkpoint, partition: str) -> Checkpoint:
    """`stored` with the chunk's own partition and its share of the run's counts added."""
    mine = moved.progress_of(partition)
    partitions = [mine if p.id == partition else p for p in stored.partitions]
    kind = moved.watermark_type or stored.watermark_type
    candidate = later(
        from_json_scalar(stored.candidate_watermark, kind),
        from_json_scalar(moved.candidate_watermark, kind),
    )
    return stored.model_copy(
        update={
            "partitions": partitions,
            "staging": _run_staging(stored, moved, partitions),
            "rows": stored.rows + moved.rows - start.rows,
            "chunks": stored.chunks + 1,
            "rows_read": stored.rows_read + moved.rows_read - start.rows_read,
            "late_rows": stored.late_rows + moved.late_rows - start.late_rows,
            "late_files": [
                *stored.late_files,
                *(f for f in moved.late_files if f not in stored.late_files),
            ],
            "arrow_schema": _schema(stored, moved, partition),
            "candidate_watermark": to_json_scalar(candidate),
            "watermark_type": kind,
            "file_records": _file_records(stored, moved, partition),
            "done": all(p.done for p in partitions),
        }
    )


def run_staging(base: Staging, own: list[Staging]) -> Staging:
    """The run's staging over its partitions' own: every partition's artefacts listed, in
    partition order (what commit publishes)."""
    return base.model_copy(
        update={
            "artefacts": [name for staging in own for name in staging.artefacts],
            "next_sequence": max(staging.next_sequence for staging in own),
        }
    )


def _run_staging(
    stored: Checkpoint, moved: Checkpoint, partitions: list[PartitionProgress]
) -> Staging:
    """The moved chunk's staging when partitions share it; else `run_staging`."""
    own = [p.staging for p in partitions if p.staging is not None]
    return moved.staging if len(own) < len(partitions) else run_staging(stored.staging, own)


def _schema(stored: Checkpoint, moved: Checkpoint, partition: str) -> str | None:
    if (
        stored.arrow_schema is None
        or moved.arrow_schema is None
        or same_schema(stored.arrow_schema, moved.arrow_schema)
    ):
        return stored.arrow_schema or moved.arrow_schema
    # Both partitions began without a schema (the run's first chunk found no columns).
    raise DataError(
        f"{stored.flow}.{stored.entity}: partition {partition!r} read other columns than the "
        "partitions before it (their first files differ); nothing of this chunk is kept. Give "
        "every file the same columns, or set `parallel: 1` for this entity"
    )


def _file_records(stored: Checkpoint, moved: Checkpoint, partition: str) -> list[FileRecord] | None:
    """The stored file records, with the rows read of the files `partition` reads from the
    moved ones (each window file belongs to one partition)."""
    if stored.file_records is None or moved.file_records is None or len(stored.partitions) < 2:
        return moved.file_records
    ours = set(partition_files(moved, partition))
    by_path = {record.path: record for record in moved.file_records}
    return [by_path.get(r.path, r) if r.path in ours else r for r in stored.file_records]


def partition_files(checkpoint: Checkpoint, partition: str) -> list[str]:
    """The paths of the window files `partition` reads (all of them for the whole window)."""
    files = checkpoint.window.files or []
    spec = next((p for p in checkpoint.window.partitions if p.id == partition), None)
    if spec is None or partition == DEFAULT_PARTITION:
        return [entry.path for entry in files]
    lower = spec.lower if isinstance(spec.lower, int) else 0
    upper = spec.upper if isinstance(spec.upper, int) else len(files)
    return [entry.path for entry in files[lower:upper]]
