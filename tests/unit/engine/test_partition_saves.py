"""Chunks of different partitions save into one checkpoint without overwriting each other."""

from __future__ import annotations

from datetime import UTC, datetime

from hygge.engine.models import Checkpoint, EntityTask, PartitionProgress
from hygge.engine.partitions import partition_stagings, save_moved
from hygge.homes import FilePosition, LocalHomeConfig, Window, file_partitions
from hygge.homes.base import FileEntry
from hygge.state.base import FileRecord
from hygge.state.memory import MemoryStateBackend
from hygge.stores import LocalStoreConfig, Staging
from hygge.types import JsonValue, RunType

NOW = datetime(2026, 12, 2, tzinfo=UTC)
FILES = [FileEntry(path=f"f{i}.parquet", size=10, mtime_ns=1) for i in range(4)]


def task() -> EntityTask:
    return EntityTask(
        coordinator="ws",
        coordinator_run_id="c",
        flow_run_id="f",
        flow="shop",
        entity="orders",
        run_type=RunType.INCREMENTAL,
        home=LocalHomeConfig(path="landing"),
        store=LocalStoreConfig(path="lake"),
        root="/tmp/ws",
    )


def begun() -> Checkpoint:
    """A run of two partitions (files 0-1 and 2-3), each staging apart, as begin saves it."""
    specs = file_partitions(FILES, 2)
    staging = Staging(run_id="r", run_type=RunType.INCREMENTAL, location="s", next_sequence=7)
    stagings = partition_stagings(staging, specs)
    return Checkpoint(
        entity_run_id="r",
        flow="shop",
        entity="orders",
        run_type=RunType.INCREMENTAL,
        started_at=NOW,
        window=Window(files=FILES, partitions=specs),
        partitions=[
            PartitionProgress(id=spec.id, position=spec.start, staging=own)
            for spec, own in zip(specs, stagings, strict=True)
        ],
        staging=staging,
        attempt_id="a",
        generation=1,
        chunks=1,
        watermark_type="int",
        file_records=[
            FileRecord(path=f.path, size=10, mtime_ns=1, rows=0, digest="d", whole_lines=True)
            for f in FILES
        ],
    )


def chunk(start: Checkpoint, partition: str, *, rows: int, file: int, top: int) -> Checkpoint:
    """What a chunk of `partition` returns: `rows` staged from window file `file`."""
    own = start.progress_of(partition)
    assert own.staging is not None
    name = f"{own.staging.next_sequence:05d}.parquet"
    staging = own.staging.model_copy(
        update={
            "artefacts": [*own.staging.artefacts, name],
            "next_sequence": own.staging.next_sequence + own.staging.sequence_step,
        }
    )
    position = FilePosition(file_index=file + 1)
    partitions = start.advanced(position, rows, done=True, partition=partition)
    partitions = [
        p.model_copy(update={"staging": staging}) if p.id == partition else p for p in partitions
    ]
    records = [
        r.model_copy(update={"rows": rows}) if r.path == FILES[file].path else r
        for r in start.file_records or []
    ]
    return start.model_copy(
        update={
            "partitions": partitions,
            "rows": start.rows + rows,
            "chunks": start.chunks + 1,
            "rows_read": start.rows_read + rows,
            "candidate_watermark": top,
            "file_records": records,
        }
    )


def saved(state: MemoryStateBackend) -> Checkpoint:
    raw = state.load_checkpoint("shop", "orders")
    assert raw is not None
    return Checkpoint.model_validate(raw)


def test_two_partitions_saving_chunks_begun_from_one_checkpoint_keep_both() -> None:
    state = MemoryStateBackend()
    start = begun()
    state.save_checkpoint("shop", "orders", start.model_dump(mode="json"))
    later = chunk(start, "p1", rows=4, file=3, top=90)  # p1 finishes first, with the maximum
    earlier = chunk(start, "p0", rows=3, file=1, top=50)

    save_moved(task(), start, later, "p1", state, clock=lambda: NOW)
    save_moved(task(), start, earlier, "p0", state, clock=lambda: NOW)

    stored = saved(state)
    assert [(p.id, p.position, p.done) for p in stored.partitions] == [
        ("p0", FilePosition(file_index=2), True),
        ("p1", FilePosition(file_index=4), True),
    ]
    assert (stored.rows, stored.rows_read, stored.chunks, stored.generation) == (7, 7, 3, 3)
    assert stored.done
    assert stored.candidate_watermark == 90  # the larger, whichever partition saved last
    assert [r.rows for r in stored.file_records or []] == [0, 3, 0, 4]
    assert stored.staging.artefacts == ["00007.parquet", "00008.parquet"]  # p0's, then p1's


class RacingState(MemoryStateBackend):
    """Between a chunk's read of the checkpoint and its conditional write, another
    partition's save lands first (once)."""

    def __init__(self, meanwhile: object) -> None:
        super().__init__()
        self.meanwhile = meanwhile
        self.lost = 0

    def replace_checkpoint(
        self,
        flow: str,
        entity: str,
        checkpoint: dict[str, JsonValue],
        expected_generation: int,
        *,
        synced: bool = True,
    ) -> bool:
        if callable(self.meanwhile):
            other, self.meanwhile = self.meanwhile, None
            other()
        won = super().replace_checkpoint(
            flow, entity, checkpoint, expected_generation, synced=synced
        )
        self.lost += not won
        return won


def test_a_chunk_save_that_loses_the_race_merges_into_the_newer_checkpoint() -> None:
    start = begun()
    other = chunk(start, "p1", rows=4, file=2, top=90)
    state = RacingState(lambda: save_moved(task(), start, other, "p1", state, clock=lambda: NOW))
    state.save_checkpoint("shop", "orders", start.model_dump(mode="json"))

    save_moved(
        task(), start, chunk(start, "p0", rows=3, file=0, top=50), "p0", state, clock=lambda: NOW
    )

    stored = saved(state)
    assert state.lost == 1
    assert [p.position.file_index for p in stored.partitions] == [1, 3]  # type: ignore[union-attr]
    assert stored.rows == 7
    assert [r.rows for r in stored.file_records or []] == [3, 0, 4, 0]
