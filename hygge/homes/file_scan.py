"""A file home's chunk as polars lazy scans (`hygge.homes.scans`): parquet files on a local
disk, each file piece `scan_parquet(path).slice(start, rows)`, the offsets pushed down so row
groups before a resumed offset are not decoded."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from hygge.homes.base import FileEntry
from hygge.homes.file_objects import HomeFiles
from hygge.homes.positions import FilePosition
from hygge.homes.scans import ChunkScan, ScanPart
from hygge.io.readers import parquet_row_count


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
