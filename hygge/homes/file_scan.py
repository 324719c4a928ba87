"""A file home's chunk as polars lazy scans (`hygge.homes.scans`), for files on a local disk:
parquet, each file piece `scan_parquet(path).slice(start, rows)` (the offsets pushed down so row
groups before a resumed offset are not decoded, rows from the footers); csv and ndjson, one
whole file a chunk, its rows counted by the sink that writes them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from hygge.errors import DataError
from hygge.homes.base import FileEntry
from hygge.homes.file_objects import HomeFiles
from hygge.homes.positions import FilePosition
from hygge.homes.scans import ChunkScan, ScanPart
from hygge.io.readers import parquet_row_count
from hygge.io.text_pieces import LocalBytes, RowSyntax
from hygge.io.text_scan import estimated_rows, text_scan


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

    def verify() -> None:
        for part in parts:
            unchanged(files[part.file_index])

    return ChunkScan(parts, position, done, verify)


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
    unchanged: Callable[[FileEntry], None],
) -> ChunkScan | None:
    """The next csv/ndjson file with bytes, whole, as one scan whose rows are what is sunk (no
    text file is counted up front). None, for the batch path, when the chunk starts inside a
    file (it seeks the byte offset), the file was appended to, is not on a local disk or in a
    polars encoding, holds about twice `max_rows` rows or more (the batch path ends its chunks
    inside it), or has an ndjson key outside the schema (the batch path names it, and where)."""
    stop = min(end, len(files))
    index = start.file_index
    if index < stop and start.byte_offset == files[index].size:
        index += 1  # read to its end
    elif index < stop and start.row_offset > files[index].start_row:
        return None  # inside the file
    while index < stop and not files[index].size:
        index += 1
    if index >= stop or files[index].start_row:
        return None
    entry = files[index]
    path = located.storage.local_path(located.key(entry.path))
    if path is None or _too_big(path, entry.size, fmt, options, max_rows):
        return None
    unchanged(entry)
    try:
        frame = text_scan(path, fmt, options, schema)
    except DataError:
        return None
    if frame is None:
        return None
    done = not any(f.size for f in files[index + 1 : stop])
    position = FilePosition(file_index=index, row_offset=0, byte_offset=entry.size)
    return ChunkScan(
        [ScanPart(index, entry.path, frame, 0, None)], position, done, lambda: unchanged(entry)
    )


def _too_big(
    path: Path, size: int, fmt: str, options: Mapping[str, Any], max_rows: int | None
) -> bool:
    if max_rows is None:
        return False
    with LocalBytes(path) as source:
        return estimated_rows(source, size, RowSyntax(fmt, options)) >= 2 * max_rows
