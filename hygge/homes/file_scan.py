"""A file home's chunk as polars lazy scans (`hygge.homes.scans`): parquet and csv files on a
local disk, each file piece its scan sliced to `[start, start + rows)` (parquet pushes the
offset down, so row groups before a resumed offset are not decoded)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from hygge.homes.base import FileEntry
from hygge.homes.file_objects import HomeFiles
from hygge.homes.positions import FilePosition
from hygge.homes.scans import ChunkScan, ScanPart
from hygge.io.readers import csv_scan, parquet_row_count

FileScan = Callable[[Path], tuple[pl.LazyFrame, int] | None]
"""A file's whole scan and its rows (None: not as a lazy scan)."""


def parquet_scan(options: Mapping[str, Any]) -> FileScan:
    """Parquet files: the scan, and the rows from the footer."""

    def scan(path: Path) -> tuple[pl.LazyFrame, int]:
        return pl.scan_parquet(path, **options), parquet_row_count(path)

    return scan


def csv_file_scan(options: Mapping[str, Any], schema: pl.Schema) -> FileScan:
    """Csv files read with the window's schema: the scan, and its rows counted by polars."""

    def scan(path: Path) -> tuple[pl.LazyFrame, int] | None:
        frame = csv_scan(path, options, schema)
        if frame is None:
            return None
        return frame, int(frame.select(pl.len()).collect().item())

    return scan


def chunk_of_files(
    located: HomeFiles,
    files: list[FileEntry],
    start: FilePosition,
    end: int,
    *,
    scan_file: FileScan,
    max_rows: int | None,
    unchanged: Callable[[FileEntry], None],
) -> ChunkScan | None:
    """The files `[start.file_index, end)` from `start`, at most `max_rows` rows; None when
    a file is not on a local disk (the batch path copies it first) or not a lazy scan."""
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
        scanned = scan_file(path) if entry.size else (pl.LazyFrame(), 0)
        if scanned is None:
            return None
        frame, total = scanned
        left = max(total - offset, 0)
        count = left if max_rows is None else min(left, max_rows - taken)
        if count:
            # Only a part of the file is sliced (polars reads a csv whose first record is
            # broken as no rows under slice(0); the whole file's scan reports it).
            whole = offset == 0 and count == total
            part = frame if whole else frame.slice(offset, count)
            parts.append(ScanPart(index, entry.path, part, offset, count))
        taken += count
        position = FilePosition(file_index=index, row_offset=offset + count)
        if count < left:
            done = False
            break

    def verify() -> None:
        for part in parts:
            unchanged(files[part.file_index])

    return ChunkScan(parts, position, done, verify)
