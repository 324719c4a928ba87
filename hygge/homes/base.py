"""The home seam: where data lives, and how one entity run reads it in bounded batches.

A home config (pydantic, `type` tag) builds a `Home` for one entity with `open(place)`.
`Home.open_window` fixes what the run will read (the closed window: the file list present, or
the upper watermark bound); `Home.read` streams batches from a `Position` inside that window and
says, with every batch, the position just after it, so a chunk can stop and resume exactly.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from typing import ClassVar, Protocol

import polars as pl
from pydantic import BaseModel, Field

from hygge.types import JsonScalar, JsonValue, Place, Strict


class FileEntry(BaseModel):
    """A file in a run's window: its path relative to the home folder, size and mtime (ns)."""

    path: str
    size: int
    mtime_ns: int
    start_row: int = 0  # rows an earlier run loaded (an appended file): reading starts here


class Window(BaseModel):
    """What one entity run reads, fixed at `begin`: files present and/or a watermark range."""

    files: list[FileEntry] | None = None
    lower: JsonScalar = None  # exclusive: the last watermark (None: from the beginning)
    upper: JsonScalar = None  # inclusive: the high bound fixed at begin (None: unbounded)
    rows_hint: int | None = None  # rows the window holds, when cheaply known (progress only)


class Position(BaseModel):
    """Where reading continues inside a window."""

    file_index: int = 0
    row_offset: int = 0
    cursor: dict[str, JsonValue] = Field(default_factory=dict)  # keyset / page token homes


class HomeCapabilities(BaseModel):
    """What a home can do, declared by its config class and checked when the workspace loads."""

    watermark: bool = False  # can filter rows by a watermark column
    incremental_files: bool = False  # can list new files only


class Home(Protocol):
    """A home opened for one entity."""

    def open_window(self, last_watermark: JsonScalar, watermark_column: str | None) -> Window:
        """Fix the closed window this run reads (the file list, the upper bound)."""
        ...

    def read(self, window: Window, position: Position) -> Iterator[tuple[pl.DataFrame, Position]]:
        """Yield `(batch, position after batch)` from `position` to the end of `window`."""
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

    def part_digest(self, path: str, size: int) -> tuple[str, bool]:
        """`hygge.io.digest.part_digest` of the window file `path` (relative) up to `size`."""
        ...

    def byte_at(self, path: str, offset: int) -> bytes:
        """The byte of the window file `path` at `offset` (empty past its end)."""
        ...


class HomeConfig(Strict):
    """Base of every home config; subclasses set `type` to their YAML tag."""

    capabilities: ClassVar[HomeCapabilities] = HomeCapabilities()
    # File homes/stores set this: each entity is a sub-folder of the flow's `path`.
    entity_subfolder: ClassVar[bool] = False

    @abstractmethod
    def open(self, place: Place) -> Home:
        """Build the home for one entity."""
