"""One chunk of an entity run: read batches, filter, polish, rebatch to files, stage."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import polars as pl

from hygge.engine.batches import (
    SchemaOrigin,
    conform,
    decode_schema,
    encode_schema,
    to_json_scalar,
)
from hygge.engine.models import Checkpoint, EntityTask, PartitionProgress
from hygge.engine.pipeline import Prefetch
from hygge.engine.streaming import native_sides, stream_chunk
from hygge.engine.watermarks import WatermarkFilter
from hygge.faults import fault_point
from hygge.homes import FilePosition, Home, Position
from hygge.polish import Polisher
from hygge.state.base import FileRecord, StateBackend
from hygge.stores import Staging, Store
from hygge.types import RunType

T = TypeVar("T")


@dataclass(frozen=True)
class ChunkBudget:
    """How much one move_chunk call may do before it checkpoints and returns."""

    max_rows: int | None = None
    max_seconds: float | None = None


class ChunkMover:
    """Moves one chunk; `run` returns the checkpoint to persist. Not shared between threads."""

    def __init__(
        self,
        task: EntityTask,
        checkpoint: Checkpoint,
        state: StateBackend,
        budget: ChunkBudget,
        *,
        store: Store | None = None,
        partition: str | None = None,
        on_progress: Callable[[int], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        on_cancel: Callable[[], None] | None = None,
    ) -> None:
        self.task = task
        self.cp = checkpoint
        self.max_rows = budget.max_rows
        self.max_seconds = budget.max_seconds
        self.on_progress = on_progress
        self.should_stop = should_stop
        self.on_cancel = on_cancel
        self.cancelled = False
        self.store = task.store.open(task.place) if store is None else store
        self.polisher = Polisher(task.polish, checkpoint.started_at) if task.polish else None
        self.schema = decode_schema(checkpoint.arrow_schema) if checkpoint.arrow_schema else None
        self.origin = SchemaOrigin(task.qualified_name, _published(task, checkpoint, state))
        self.rows_per_file = task.store.rows_per_batch()
        self.watermark = WatermarkFilter(task, checkpoint, state) if task.watermark else None
        self.buffer: list[pl.DataFrame] = []
        self.buffered = 0
        self.partition = checkpoint.progress_of(partition)
        # Its own staging when partitions stage in parallel, else the run's; staged names carry
        # the attempt (hygge.stores.artefact_names): the checkpoint's own.
        own = self.partition.staging or checkpoint.staging
        self.staging: Staging = own.model_copy(update={"attempt_id": checkpoint.attempt_id})
        self.staged_rows = 0
        self.file_rows: dict[int, int] = {}  # window file index -> rows of it read so far

    def run(self, started: float) -> Checkpoint:
        home = self.task.home.open(self.task.place)
        sides = native_sides(self, home, self.store)
        streamed = None if sides is None else stream_chunk(self, *sides)
        if streamed is None:
            position, done = self._read_batches(home, started)
        else:
            position, done = streamed.position, streamed.done
        return self._checkpoint(position, done)

    def _read_batches(self, home: Home, started: float) -> tuple[Position, bool]:
        """The batch path: batches read, prepared and staged until the budget is spent."""
        position, partition = self.partition.position, self.partition.id
        done = True
        with Prefetch(
            lambda: home.read(self.cp.window, self.partition.position, partition),
            self.task.queue_size,
            self.task.qualified_name,
        ) as batches:
            for batch, after in self._until_cancelled(batches):
                # `after` names the batch's own file
                if not self._stage(batch, after):
                    done = False  # cancelled while preparing it: the batch is read again
                    break
                position = after
                if isinstance(after, FilePosition):
                    self.file_rows[after.file_index] = after.row_offset
                if self._budget_spent(started):  # done if that was the last batch
                    done = not self.cancelled and self._source_ended(batches)
                    break
            else:
                done = not self.cancelled
        self._flush(everything=True)  # its writes finish despite a Ctrl-C (see _write)
        return position, done

    def _source_ended(self, batches: Prefetch[tuple[pl.DataFrame, Position]]) -> bool:
        """Whether the batch just staged was the source's last (a Ctrl-C: not known)."""
        try:
            return batches.ended()
        except KeyboardInterrupt:
            if self.should_stop is None:
                raise
            self.cancel()
            return False

    def _checkpoint(self, position: Position, done: bool) -> Checkpoint:
        """The checkpoint after this chunk: its staged files synced, its margin saved."""
        # The first chunk syncs even without rows: a file store's `prepare` leaves the staging
        # folder's entries (its open marker) to this sync of the same folder.
        if self.staged_rows or self.partition.chunks == 0:
            self.despite_ctrl_c(lambda: self.store.sync(self.staging))
        if self.watermark is not None:
            margin = self.watermark
            self.despite_ctrl_c(lambda: margin.save_margin(self.cp.chunks + 1))
        candidate = self.watermark.candidate if self.watermark is not None else None
        partitions = self._advanced(position, done)
        return self.cp.model_copy(
            update={
                "partitions": partitions,
                "staging": self.cp.staging if self.partition.staging else self.staging,
                "rows": self.cp.rows + self.staged_rows,
                "chunks": self.cp.chunks + 1,
                "arrow_schema": self.cp.arrow_schema,
                "file_records": self._file_records(),
                "candidate_watermark": to_json_scalar(candidate),
                "watermark_type": self.watermark.kind if self.watermark else None,
                **(self.watermark.counts() if self.watermark is not None else {}),
                "done": all(p.done for p in partitions),
            }
        )

    def _advanced(self, position: Position, done: bool) -> list[PartitionProgress]:
        """The run's partitions with this chunk's one moved on (with its own staging)."""
        moved = self.cp.advanced(position, self.staged_rows, done=done, partition=self.partition.id)
        if self.partition.staging is None:
            return moved
        own = {"staging": self.staging}
        return [p.model_copy(update=own) if p.id == self.partition.id else p for p in moved]

    def _file_records(self) -> list[FileRecord] | None:
        """The checkpoint's file records with the rows read of each file this chunk read."""
        records, files = self.cp.file_records, self.cp.window.files
        if records is None or files is None or not self.file_rows:
            return records
        rows = {files[index].path: count for index, count in self.file_rows.items()}
        return [
            r.model_copy(update={"rows": rows[r.path]}) if r.path in rows else r for r in records
        ]

    def _until_cancelled(
        self, batches: Iterable[tuple[pl.DataFrame, Position]]
    ) -> Iterator[tuple[pl.DataFrame, Position]]:
        """The reader's batches; a Ctrl-C polars raised in the reader ends them like a cancel.

        Only the reader's side is safe to stop this way: everything consumed so far is staged
        or buffered, so the chunk can still flush and checkpoint exactly where it got to.
        """
        iterator = iter(batches)
        while True:
            try:
                item = next(iterator)
            except StopIteration:
                return
            except KeyboardInterrupt:
                if self.should_stop is None:
                    raise
                self.cancel()
                return
            yield item

    def _stage(self, batch: pl.DataFrame, position: Position) -> bool:
        """Prepare and stage one batch; False when a Ctrl-C came while preparing it.

        Preparing changes nothing the checkpoint keeps except the candidate watermark, which is
        put back; a Ctrl-C while writing finishes the write (see despite_ctrl_c), so the chunk
        can still checkpoint exactly at a batch boundary.
        """
        candidate = self.watermark.candidate if self.watermark is not None else None
        try:
            prepared = self._prepare(batch, position)
        except KeyboardInterrupt:
            if self.should_stop is None:
                raise
            self.cancel()
            if self.watermark is not None:
                self.watermark.candidate = candidate
            return False
        self._take(prepared)
        return True

    def despite_ctrl_c(self, step: Callable[[], T]) -> T:
        """Run an idempotent step the checkpoint needs; a Ctrl-C polars raises inside it (it
        answers the signal in whichever thread it runs) restarts it once and cancels the run.
        A second Ctrl-C there stops the chunk without a checkpoint: its rows are read again.
        """
        try:
            return step()
        except KeyboardInterrupt:
            if self.should_stop is None:
                raise
            self.cancel()
            return step()

    def cancel(self) -> None:
        self.cancelled = True
        if self.on_cancel is not None:
            self.on_cancel()  # the runner stops the other entities too

    def _prepare(self, batch: pl.DataFrame, position: Position) -> pl.DataFrame:
        if batch.height == 0 and self.schema is not None:
            return batch  # no rows (an empty file): nothing to stage or to check
        source_columns = None
        if self.watermark is not None:
            batch = self.watermark.apply(batch, self.where(position), self._file(position))
        if self.polisher is not None:
            source_columns = batch.columns
            batch = self.polisher.apply(batch)
        if self.schema is None:
            if batch.width:  # an empty file's columns stand until a batch of rows comes
                self.schema = batch.schema if batch.height else None
                self.cp = self.cp.model_copy(update={"arrow_schema": encode_schema(batch)})
            return batch
        return conform(batch, self.schema, self.where(position), self.origin, source_columns)

    def _take(self, batch: pl.DataFrame) -> None:
        if batch.height == 0:
            return
        self.buffer.append(batch)
        self.buffered += batch.height
        self._flush(everything=False)

    def _flush(self, *, everything: bool) -> None:
        """Write full files of `rows_per_file`; with `everything`, the remainder too."""
        if not self.buffer:
            return
        buffer = self.buffer
        pending = self.despite_ctrl_c(lambda: pl.concat(buffer, how="vertical", rechunk=False))
        self.buffer, self.buffered = [], 0
        offset = 0
        while pending.height - offset >= self.rows_per_file or (
            everything and offset < pending.height
        ):
            part = pending.slice(offset, self.rows_per_file)
            self._write(part)
            offset += part.height
        if offset < pending.height:
            rest = pending.slice(offset)
            self.buffer, self.buffered = [rest], rest.height

    def _write(self, part: pl.DataFrame) -> None:
        def write() -> None:  # the same file name again: staging lists it only once written
            self.staging = self.store.write(self.staging, part)

        self.despite_ctrl_c(write)
        self.staged_rows += part.height
        fault_point("after_stage")
        if self.on_progress is not None:
            self.on_progress(self.cp.rows + self.staged_rows)

    def _budget_spent(self, started: float) -> bool:
        if self.cancelled or (self.should_stop is not None and self.should_stop()):
            return True
        if self.max_rows is not None and self.staged_rows + self.buffered >= self.max_rows:
            return True
        return self.max_seconds is not None and time.monotonic() - started >= self.max_seconds

    def where(self, position: Position) -> str:
        file = self._file(position)
        return f"{self.task.qualified_name} file {file}" if file else self.task.qualified_name

    def _file(self, position: Position) -> str | None:
        files = self.cp.window.files
        if files and isinstance(position, FilePosition) and position.file_index < len(files):
            return files[position.file_index].path
        return None


def _published(task: EntityTask, checkpoint: Checkpoint, state: StateBackend) -> bool:
    """Whether the run's schema is the published data's (kept by an incremental run)."""
    if task.run_type is RunType.FULL_DROP or checkpoint.arrow_schema is None:
        return False
    last = state.get_watermark(task.flow, task.entity)
    return last is not None and last.arrow_schema == checkpoint.arrow_schema
