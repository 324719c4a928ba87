"""A file home's chunk as polars lazy scans (`hygge.homes.scans`), for files on a local disk:
parquet, each file piece `scan_parquet(path).slice(start, rows)` (the offsets pushed down so row
groups before a resumed offset are not decoded, rows from the footers); csv and ndjson, whole
small files or one byte range of a large one (`hygge.io.text_ranges`), a lone part's rows
counted by the sink that writes it, several files' by polars."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import polars as pl

from hygge.errors import DataError
from hygge.homes.base import FileEntry
from hygge.homes.file_objects import HomeFiles
from hygge.homes.positions import FilePosition
from hygge.homes.scans import ChunkScan, ScanPart
from hygge.io.readers import parquet_row_count
from hygge.io.text_pieces import LocalBytes, RowSyntax
from hygge.io.text_ranges import RANGE_BYTES, range_scan, text_range
from hygge.io.text_scan import estimated_rows, text_scan

WHOLE_BYTES = 160 << 20
"""A csv/ndjson file of at most this many bytes (and fewer than about twice the chunk's rows)
is scanned whole: polars then parses it from the file on all cores, the fastest way it has
(2M bench rows in two 149 MiB files, quiet machine: whole 0.72-0.80x the raw sink, 32 MiB
ranges 0.59-0.60x, 96 MiB ranges 0.55-0.58x), and the sink's peak stays well inside 512 MiB
(hygge's 373 MiB for a 149 MiB file). A larger file is read a byte range at a time."""


def parquet_chunk(
    located: HomeFiles,
    files: list[FileEntry],
    start: FilePosition,
    end: int,
    *,
    options: Mapping[str, Any],
    max_rows: int | None,
    unchanged: Callable[[FileEntry], None],
) -> ChunkScan | None:
    """The parquet files `[start.file_index, end)` from `start`, at most `max_rows` rows;
    None when a file is not on a local disk (the batch path copies it first)."""
    parts: list[ScanPart] = []
    taken, position, done = 0, start, True
    for index in range(start.file_index, min(end, len(files))):
        if max_rows is not None and taken >= max_rows:
            done = False
            break
        entry = files[index]
        path = located.storage.local_path(located.key(entry.path))
        if path is None:
            return None
        unchanged(entry)  # a resumed offset fits only the same bytes
        offset = entry.start_row  # what an earlier run loaded
        if index == start.file_index:
            offset = max(offset, start.row_offset)
        left = max((parquet_row_count(path) if entry.size else 0) - offset, 0)
        count = left if max_rows is None else min(left, max_rows - taken)
        if count:
            frame = pl.scan_parquet(path, **options).slice(offset, count)
            parts.append(ScanPart(index, entry.path, frame, offset, count))
        taken += count
        position = FilePosition(file_index=index, row_offset=offset + count)
        if count < left:
            done = False
            break

    return ChunkScan(parts, position, done, _verify(files, parts, unchanged))


def text_chunk(
    located: HomeFiles,
    files: list[FileEntry],
    start: FilePosition,
    end: int,
    *,
    fmt: str,
    options: Mapping[str, Any],
    schema: pl.Schema,
    max_rows: int | None,
    file_rows: int | None = None,
    unchanged: Callable[[FileEntry], None],
) -> ChunkScan | None:
    """The next csv/ndjson rows: a byte range of one file (`hygge.io.text_ranges`) when the
    chunk starts inside a file (at its byte offset), in a file's appended part, or in a file
    of more than `WHOLE_BYTES` or of about twice `max_rows` rows or more; else whole files,
    one scan each, as many as keep the chunk's estimated rows within `max_rows` (one sink for
    many small files). A lone part's rows are what is sunk; a chunk of several files counts
    each (polars' count of the same scan, a small part of reading it) so the ledger knows
    every file's rows. None, for the batch path, when a file is not on a local disk or in a
    polars encoding, its rows cannot be cut (options the cutter does not follow) where a range
    is needed, or it has an ndjson key outside the schema (the batch path names it, and
    where); a later file of that kind ends the chunk before it."""
    stop = min(end, len(files))
    scans = _TextScans(located, fmt, options, schema, unchanged)
    ranges = _Ranges(scans, files, stop, max_rows, file_rows)
    index, inside = _first_file(files, start, stop)
    if inside:
        return ranges.chunk(index, start.row_offset, start.byte_offset)
    if index >= stop:
        return None
    if files[index].start_row:  # appended to: its new part, from where the loaded one ends
        return ranges.chunk(index, files[index].start_row, files[index].start_byte)
    first = scans.estimate(files[index], max_rows)
    if first is not None and ranges.cuttable and _large(files[index], first, max_rows):
        return ranges.chunk(index, 0, None)
    # About twice `max_rows` of rows the cutter cannot follow: the batch path ends its chunks
    # inside the file.
    many = first is None or _many_rows(first, max_rows)
    frame = None if many else scans.scan(files[index])
    if first is None or frame is None:
        return None
    parts, estimate, last = [ScanPart(index, files[index].path, frame, 0, None)], first, index
    for following in range(index + 1, stop):
        entry = files[following]
        if not entry.size:
            continue  # no rows: the chunk reads past it
        if entry.start_row or (ranges.cuttable and entry.size > WHOLE_BYTES):
            break  # read in ranges: the next chunk starts at it
        rows = scans.estimate(entry, max_rows)
        if rows is None or (max_rows is not None and estimate + rows > max_rows):
            break  # the next chunk starts at it
        frame = scans.scan(entry)
        if frame is None:
            break
        parts.append(ScanPart(following, entry.path, frame, 0, None))
        estimate, last = estimate + rows, following
    if len(parts) > 1:
        counts = _counts([part.frame for part in parts])
        parts = [replace(part, rows=n) for part, n in zip(parts, counts, strict=True)]
    done = not any(f.size for f in files[last + 1 : stop])
    ending = parts[-1].rows or 0
    position = FilePosition(file_index=last, row_offset=ending, byte_offset=files[last].size)
    return ChunkScan(parts, position, done, _verify(files, parts, unchanged))


def _first_file(files: list[FileEntry], start: FilePosition, stop: int) -> tuple[int, bool]:
    """The file with bytes the chunk starts in, and whether it starts inside it."""
    index = start.file_index
    if index < stop and start.byte_offset == files[index].size:
        index += 1  # read to its end
    elif index < stop and start.row_offset > files[index].start_row:
        return index, True
    while index < stop and not files[index].size:
        index += 1
    return index, False


def _large(entry: FileEntry, rows: int, max_rows: int | None) -> bool:
    """Whether a file is read in ranges: more than WHOLE_BYTES, or about twice `max_rows`."""
    return entry.size > WHOLE_BYTES or _many_rows(rows, max_rows)


def _many_rows(rows: int, max_rows: int | None) -> bool:
    return max_rows is not None and rows >= 2 * max_rows


def _verify(
    files: list[FileEntry], parts: list[ScanPart], unchanged: Callable[[FileEntry], None]
) -> Callable[[], None]:
    def verify() -> None:
        for part in parts:
            unchanged(files[part.file_index])

    return verify


class _Ranges:
    """Chunks of one byte range of a window's text file."""

    def __init__(
        self,
        scans: _TextScans,
        files: list[FileEntry],
        stop: int,
        max_rows: int | None,
        file_rows: int | None,
    ) -> None:
        self.scans, self.files, self.stop = scans, files, stop
        self.max_rows, self.file_rows = max_rows, file_rows
        self.syntax = RowSyntax(scans.fmt, scans.options)
        # Rows the cutter cannot follow (`comment_prefix`…): a large file is read whole below
        # about twice `max_rows`, and by the batch path past it.
        self.cuttable = self.syntax.cuttable

    def chunk(self, index: int, row: int, at_byte: int | None) -> ChunkScan | None:
        """The range of file `index` from row `row`, which starts at byte `at_byte` (None:
        the file's first data row; not known for a later row: None, for the batch path)."""
        entry, scans = self.files[index], self.scans
        path = scans.located.storage.local_path(scans.located.key(entry.path))
        syntax = self.syntax
        if path is None or not syntax.cuttable or (row and at_byte is None):
            return None
        scans.unchanged(entry)  # a byte offset fits only the same bytes
        with LocalBytes(path) as source:
            cut = text_range(
                source, entry.size, syntax, start=at_byte, max_rows=self.max_rows,
                file_rows=self.file_rows, range_bytes=min(RANGE_BYTES, WHOLE_BYTES),
            )  # fmt: skip
        try:
            frame = range_scan(path, cut, scans.fmt, scans.options, scans.schema)
        except DataError:
            return None
        if frame is None or cut.end <= cut.start:
            return None  # no rows left: the batch path ends the partition as it always has
        parts = [ScanPart(index, entry.path, frame, row, None)]
        ended = cut.end >= entry.size
        done = ended and not any(f.size for f in self.files[index + 1 : self.stop])
        position = FilePosition(file_index=index, row_offset=row, byte_offset=cut.end)
        return ChunkScan(parts, position, done, _verify(self.files, parts, scans.unchanged))


class _TextScans:
    """Whole text files of a window as lazy scans with its schema, each with its rows guessed."""

    def __init__(
        self,
        located: HomeFiles,
        fmt: str,
        options: Mapping[str, Any],
        schema: pl.Schema,
        unchanged: Callable[[FileEntry], None],
    ) -> None:
        self.located, self.fmt, self.options, self.schema = located, fmt, options, schema
        self.unchanged = unchanged

    def estimate(self, entry: FileEntry, max_rows: int | None) -> int | None:
        """About how many rows the file holds (0 when no budget asks); None: not on a local
        disk."""
        path = self.located.storage.local_path(self.located.key(entry.path))
        if path is None:
            return None
        if max_rows is None:
            return 0
        with LocalBytes(path) as source:
            return estimated_rows(source, entry.size, RowSyntax(self.fmt, self.options))

    def scan(self, entry: FileEntry) -> pl.LazyFrame | None:
        """The file as one scan; None when it cannot be scanned so."""
        path = self.located.storage.local_path(self.located.key(entry.path))
        if path is None:
            return None
        self.unchanged(entry)
        try:
            return text_scan(path, self.fmt, self.options, self.schema)
        except DataError:
            return None


def _counts(frames: list[pl.LazyFrame]) -> list[int]:
    """The rows each scan reads, in one call: polars counts them without parsing the values."""
    counted = pl.collect_all([frame.select(pl.len()) for frame in frames])
    return [int(frame.item()) for frame in counted]
