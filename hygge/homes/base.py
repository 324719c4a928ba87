"""The home seam: where data lives, and how one entity run reads it in bounded batches.

A home config (pydantic, `type` tag) builds a `Home` for one entity with `open(place)`.
`Home.open_window(spec)` fixes what the run will read (the closed window: the file list present,
or the upper watermark bound, and the partitions); `Home.read` streams one partition's batches
from a `Position` inside that window and says, with every batch, the position just after it, so
a chunk can stop and resume exactly.
"""

from __future__ import annotations

import itertools
from abc import abstractmethod
from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar, Protocol

from pydantic import BaseModel, Field

from hygge.homes.positions import FilePosition, KeysetPosition, PageTokenPosition, Position
from hygge.types import JsonScalar, Place, Strict

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "DEFAULT_PARTITION",
    "FileEntry",
    "FileParts",
    "FilePosition",
    "Home",
    "HomeCapabilities",
    "HomeConfig",
    "KeysetPosition",
    "PageTokenPosition",
    "PartitionSpec",
    "Position",
    "ReadSpec",
    "Window",
    "file_partitions",
]

DEFAULT_PARTITION = "all"


class PartitionSpec(BaseModel):
    """One independently read part of a window: all of it, or a key range `[lower, upper)`."""

    id: str = Field(DEFAULT_PARTITION, min_length=1)
    column: str | None = None  # the key column ranged over (None: the whole window)
    lower: JsonScalar = None  # inclusive (None: unbounded)
    upper: JsonScalar = None  # exclusive (None: unbounded)
    start: Position = Field(default_factory=FilePosition)  # the home's: where reading begins


class ReadSpec(BaseModel):
    """What an entity run asks its home for at begin.

    A home that filters at the source must read `column > lookback_floor` (not `> lower`):
    the engine re-reads the lookback margin below the last watermark and drops, by
    `key_columns`, the rows it already loaded.
    """

    lower: JsonScalar = None  # exclusive: the last watermark (None: from the beginning)
    lookback_floor: JsonScalar = None  # the lower bound minus the lookback (== lower without)
    column: str | None = None  # the watermark column (None: no watermark)
    key_columns: list[str] = Field(default_factory=list)
    partitions: list[PartitionSpec] = Field(default_factory=lambda: [PartitionSpec()])
    # Up to how many partitions a home that splits its window itself (files) may make.
    parallel: int = Field(1, ge=1)


class FileEntry(BaseModel):
    """A file in a run's window: its path relative to the home folder, size and mtime (ns)."""

    path: str
    size: int
    mtime_ns: int
    # The storage's version tag when listed (an ETag on blob storage, whose mtimes are whole
    # seconds: a same-size rewrite within one second changes only this); None: not known.
    version: str | None = None
    start_row: int = 0  # rows an earlier run loaded (an appended file): reading starts here
    start_byte: int | None = None  # where that row starts, when known (a text file's size then)


class Window(BaseModel):
    """What one entity run reads, fixed at `begin`: files present and/or a watermark range."""

    files: list[FileEntry] | None = None
    lower: JsonScalar = None  # exclusive: the last watermark (None: from the beginning)
    upper: JsonScalar = None  # inclusive: the high bound fixed at begin (None: unbounded)
    rows_hint: int | None = None  # rows the window holds, when cheaply known (progress only)
    # What the home will read, each part on its own; one whole-window part unless the home
    # declares `partitions` and the spec asked for several.
    partitions: list[PartitionSpec] = Field(default_factory=lambda: [PartitionSpec()])
    # SQL homes: the columns rows are read in order of (the watermark column, then the keys),
    # the key values of the window's last row in that order at begin (`{}`: the window was
    # empty; rows after it wait for the next run), and `{column: value}` the rows are read above
    # (the watermark minus the lookback).
    order: list[str] | None = None
    last: dict[str, JsonScalar] | None = None
    floor: dict[str, JsonScalar] | None = None


def file_partitions(files: list[FileEntry], parallel: int) -> list[PartitionSpec]:
    """The window's files in up to `parallel` runs of neighbours of about equal bytes, each a
    partition `p<i>` of file indices `[lower, upper)`; the one whole window below two files."""
    count = min(parallel, len(files))
    if count < 2:
        return [PartitionSpec()]
    total = sum(max(entry.size, 1) for entry in files)
    bounds, seen = [0], 0
    for index, entry in enumerate(files):
        seen += max(entry.size, 1)
        left = len(files) - index - 1  # files after this one
        wanted = count - len(bounds)  # partitions still to start
        if wanted and left >= wanted and (seen >= total * len(bounds) / count or left == wanted):
            bounds.append(index + 1)
    bounds.append(len(files))
    return [
        PartitionSpec(id=f"p{i}", lower=lower, upper=upper, start=FilePosition(file_index=lower))
        for i, (lower, upper) in enumerate(itertools.pairwise(bounds))
    ]


class HomeCapabilities(BaseModel):
    """What a home can do, declared by its config class and checked when the workspace loads."""

    watermark: bool = False  # can filter rows by a watermark column
    incremental_files: bool = False  # can list new files only
    partitions: bool = False  # reads the key-range partitions of a ReadSpec each on its own
    # Splits its own window into up to `ReadSpec.parallel` partitions (a file home: runs of
    # neighbouring files), each read on its own.
    splits_window: bool = False
    # Describes a chunk as polars lazy scans (`hygge.homes.scans.ChunkScans.scan`).
    lazy_chunks: bool = False


class Home(Protocol):
    """A home opened for one entity."""

    def open_window(self, spec: ReadSpec) -> Window:
        """Fix the closed window this run reads (the file list, the upper bound, partitions)."""
        ...

    def read(
        self, window: Window, position: Position, partition: str = DEFAULT_PARTITION
    ) -> Iterator[tuple[pl.DataFrame, Position]]:
        """Yield `(batch, position after batch)` of one of the window's partitions, from
        `position` to its end."""
        ...

    def check(self) -> list[str]:
        """Problems a user must fix before a run (missing path, unreachable server); [] if none."""
        ...

    def describe(self) -> str:
        """A short human label, e.g. `parquet data/landing/orders`."""
        ...

    def identity(self) -> str:
        """What this home reads, the same however the config spells it, e.g.
        `local csv ./data/landing/orders`; a checkpoint records it, so a resume reads on only
        from the home it started in.
        """
        ...


class FileParts(Protocol):
    """What a home that declares `incremental_files` offers to recognise its loaded files."""

    def part_digest(self, path: str, size: int, algorithm: str = "xxh3_128") -> tuple[str, bool]:
        """`hygge.io.digest.part_digest` of the window file `path` (relative) up to `size`,
        by `algorithm` (an earlier record's is compared with one taken by its own)."""
        ...

    def byte_at(self, path: str, offset: int) -> bytes:
        """The byte of the window file `path` at `offset` (empty past its end)."""
        ...


class HomeConfig(Strict):
    """Base of every home config; subclasses set `type` to their YAML tag."""

    capabilities: ClassVar[HomeCapabilities] = HomeCapabilities()
    # File homes/stores set this: each entity is a sub-folder of the flow's `path`.
    entity_subfolder: ClassVar[bool] = False
    # Fields where `{entity}` is replaced by the entity's name when the workspace loads (SQL
    # configs: `table`, `query`); `{entity}` in any other field is a ConfigError.
    entity_fields: ClassVar[tuple[str, ...]] = ()
    # Fields that are patterns of their own, filled when data is written (`file_pattern`).
    pattern_fields: ClassVar[tuple[str, ...]] = ()

    connection: str | None = Field(
        None, description="A name from hygge.yml `connections:` (default: the local machine)."
    )

    @abstractmethod
    def open(self, place: Place) -> Home:
        """Build the home for one entity."""
