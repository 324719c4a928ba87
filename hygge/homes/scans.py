"""A chunk described as polars lazy scans, for homes polars can read natively.

A home that declares `HomeCapabilities.lazy_chunks` offers `ChunkScans.scan`: the next chunk
of a partition as one lazy scan per file piece, with the position the chunk reaches. The engine
then filters, polishes and sinks the scans into the store in polars' streaming engine, without
a Python batch loop; a home answers None for a chunk it cannot describe so (the batch path
reads it instead).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

import polars as pl

from hygge.homes.base import DEFAULT_PARTITION, Window
from hygge.homes.positions import FilePosition, Position


@dataclass(frozen=True)
class ScanPart:
    """The rows `[start, start + rows)` of the window's file `file_index`, as a lazy scan;
    `rows` None: the rest of the file, as many as the sink writes (a chunk's lone text file is
    not counted before it is read; several are, each)."""

    file_index: int
    path: str  # relative to the home, as the window lists it
    frame: pl.LazyFrame
    start: int
    rows: int | None


@dataclass(frozen=True)
class ChunkScan:
    """One chunk as lazy scans: its parts in window order, where it ends, whether that is the
    partition's end, and a check (run after the chunk is sunk) that its files did not change."""

    parts: list[ScanPart]
    position: FilePosition
    done: bool
    verify: Callable[[], None]

    @property
    def counted(self) -> bool:
        """Whether every part's rows are known before it is read."""
        return all(part.rows is not None for part in self.parts)

    def with_rows(self, rows: int) -> ChunkScan:
        """This chunk of one uncounted part, with its `rows` (what was sunk) filled in."""
        [part] = self.parts
        position = self.position.model_copy(update={"row_offset": part.start + rows})
        return replace(self, parts=[replace(part, rows=rows)], position=position)


@runtime_checkable
class ChunkScans(Protocol):
    """What a home that declares `lazy_chunks` offers."""

    def scan(
        self,
        window: Window,
        position: Position,
        partition: str = DEFAULT_PARTITION,
        max_rows: int | None = None,
        *,
        file_rows: int | None = None,
    ) -> ChunkScan | None:
        """The chunk from `position` of at most `max_rows` rows (None: to the partition's
        end), ending where it can at a multiple of `file_rows` (the store's rows per file)
        when it ends inside a file; None when this chunk cannot be read as lazy scans."""
        ...
