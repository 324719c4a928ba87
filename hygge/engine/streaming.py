"""The native streaming path: one chunk as one polars lazy query, sunk into staging.

When the home describes a chunk as lazy scans (`HomeCapabilities.lazy_chunks`) and the store
sinks a lazy frame (`StoreCapabilities.lazy_sink`), and nothing of the run needs Python-side
batches (polish hash ids, a lookback margin, late rows counted per file), the chunk's files are
scanned, filtered by the watermark, polished and encoded by polars' streaming engine straight
into the staged files: no batch loop, memory bounded by polars, not by the chunk.

Everything around it stays the batch path's: the same positions and checkpoint, the staged
names, `after_stage` after each staged file, schema continuity (a scan whose schema is not
exactly the run's is read by the batch path, which converts or explains), and a read error
sends the chunk to the batch path, whose messages name the file and the fix. A Ctrl-C while
the chunk is sunk restarts the sink once and cancels the run, so the chunk checkpoints whole
(a second one stops it without a checkpoint, as a batch write does); one while the home
describes the chunk (counting its files) or the query is built cancels before anything is
staged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from hygge.engine.batches import encode_schema
from hygge.errors import DataError
from hygge.faults import fault_point
from hygge.homes import FilePosition, Home, Position
from hygge.homes.scans import ChunkScan, ChunkScans
from hygge.io.read_errors import READ_ERRORS
from hygge.stores import Staging, Store
from hygge.stores.base import LazySink

if TYPE_CHECKING:
    from hygge.engine.moving import ChunkMover


@dataclass(frozen=True)
class Streamed:
    """Where a streamed chunk got to."""

    position: Position
    done: bool


def native_sides(mover: ChunkMover, home: Home, store: Store) -> tuple[ChunkScans, LazySink] | None:
    """Both sides, when both offer the native path and the run needs no Python-side batches."""
    task = mover.task
    if not (type(task.home).capabilities.lazy_chunks and type(task.store).capabilities.lazy_sink):
        return None
    if not isinstance(home, ChunkScans) or not isinstance(store, LazySink) or not store.sinks():
        return None
    if mover.polisher is not None and not mover.polisher.expressions_only:
        return None  # hash ids are hashed in Python, batch by batch
    if mover.watermark is not None and not mover.watermark.streamable:
        return None
    return home, store


def stream_chunk(mover: ChunkMover, home: ChunkScans, store: LazySink) -> Streamed | None:
    """Move the chunk natively; None when it must go the batch path (nothing changed then)."""
    start = mover.partition.position
    if mover.should_stop is not None and mover.should_stop():
        return Streamed(start, done=False)
    try:
        window, partition = mover.cp.window, mover.partition.id
        scan = home.scan(window, start, partition, mover.max_rows, file_rows=mover.rows_per_file)
        if scan is None or (not scan.counted and mover.watermark is not None):
            return None  # rows read before the watermark filter are known only by counting them
        query = _query(mover, scan)
    except READ_ERRORS:
        return None  # the batch path reads it and says what is wrong, and where
    except KeyboardInterrupt:  # while the home counts its files or the query is built
        if mover.should_stop is None:
            raise
        mover.cancel()
        return Streamed(start, done=False)  # nothing staged: the chunk is read again
    sunk = None if query is None else _sink(mover, store, query)
    if query is None or sunk is None:
        return None
    scan.verify()
    if not scan.counted:
        scan = scan.with_rows(sunk[1])  # nothing filters rows: the part's rows are those sunk
    elif mover.watermark is None:
        _check_counts(mover, scan, sunk[1])
    _account(mover, scan, query.schema, query.maximum)
    mover.staging, mover.staged_rows = sunk[0], mover.staged_rows + sunk[1]
    # As on the batch path, a cancelled chunk is never the last: the next run publishes.
    stopped = mover.cancelled or (mover.should_stop is not None and mover.should_stop())
    return Streamed(scan.position, scan.done and not stopped)


@dataclass(frozen=True)
class _Query:
    """A chunk's query: the frame to sink, the run's schema, the kept watermark maximum."""

    frame: pl.LazyFrame
    schema: pl.Schema | None
    maximum: object


def _query(mover: ChunkMover, scan: ChunkScan) -> _Query | None:
    """The chunk's query; None for the batch path (a schema not the run's, a read error)."""
    try:
        prepared = _prepared(mover, scan)
        if prepared is None:
            return None
        filtered, polished, schema = prepared
        maximum = _maximum(mover, filtered)
    except READ_ERRORS:
        return None  # the batch path reads it and says what is wrong, and where
    return _Query(pl.concat(polished, how="vertical"), schema, maximum)


def _sink(mover: ChunkMover, store: LazySink, query: _Query) -> tuple[Staging, int] | None:
    """The staging with the chunk's files listed, and their rows; None after a read error."""
    staged = 0

    def on_file(rows: int) -> None:
        nonlocal staged
        staged += rows
        fault_point("after_stage")
        if mover.on_progress is not None:
            mover.on_progress(mover.cp.rows + mover.staged_rows + staged)

    def sink() -> Staging:  # again after a Ctrl-C: the same names, temporary files removed
        nonlocal staged
        staged = 0
        return store.sink(mover.staging, query.frame, on_file, chunk_rows=mover.max_rows)

    try:
        staging = mover.despite_ctrl_c(sink)  # a Ctrl-C finishes the chunk, then cancels
    except READ_ERRORS:
        return None
    return staging, staged


def _prepared(
    mover: ChunkMover, scan: ChunkScan
) -> tuple[list[pl.LazyFrame], list[pl.LazyFrame], pl.Schema | None] | None:
    """Each part filtered, and polished; with the run's schema. None when a part's schema is
    not exactly the run's (the batch path converts it or says which column differs)."""
    schema = mover.schema
    filtered: list[pl.LazyFrame] = []
    polished: list[pl.LazyFrame] = []
    for part in scan.parts:
        frame = part.frame
        if mover.watermark is not None:
            where = mover.where(FilePosition(file_index=part.file_index))
            frame = mover.watermark.filter_lazy(frame, where)
        filtered.append(frame)
        if mover.polisher is not None:
            frame = mover.polisher.polish_lazy(frame)
        written = frame.collect_schema()
        if schema is None and written.len():
            schema = written
        elif written != schema:
            return None
        polished.append(frame)
    if not polished:
        return None  # nothing to read: the batch path ends the partition as it always has
    return filtered, polished, schema


def _maximum(mover: ChunkMover, filtered: list[pl.LazyFrame]) -> object:
    """The largest watermark value kept (a second, one-column query over the same scans)."""
    if mover.watermark is None:
        return None
    column = mover.watermark.column
    frame = pl.concat([f.select(column) for f in filtered], how="vertical")
    return frame.select(pl.col(column).max()).collect().item()


def _account(mover: ChunkMover, scan: ChunkScan, schema: pl.Schema | None, maximum: object) -> None:
    """The chunk's effects on the mover, once it is staged: schema, file rows, watermark."""
    if mover.schema is None and schema is not None:
        mover.schema = schema
        encoded = encode_schema(schema)  # no empty frame built for it: its columns cost CPU
        mover.cp = mover.cp.model_copy(update={"arrow_schema": encoded})
    rows = [part.rows or 0 for part in scan.parts]  # counted: see `stream_chunk`
    for part, read in zip(scan.parts, rows, strict=True):
        mover.file_rows[part.file_index] = part.start + read
    if mover.watermark is not None:
        mover.watermark.take_maximum(maximum, sum(rows))


def _check_counts(mover: ChunkMover, scan: ChunkScan, sunk: int) -> None:
    """A DataError unless the rows sunk are the parts' counted rows (nothing filters them):
    the file ledger keeps each file's count, so a count polars' scan disagrees with stops the
    run before anything is published."""
    counted = sum(part.rows or 0 for part in scan.parts)
    if counted != sunk:
        files = ", ".join(part.path for part in scan.parts)
        raise DataError(
            f"{mover.task.qualified_name}: the files {files} were counted at {counted:,} rows "
            f"but {sunk:,} were read; nothing was published and the store is unchanged. Run "
            "again; if it repeats, set `options: {checkpoint_rows: 1}` so each file is read by "
            "itself, and report it"
        )
