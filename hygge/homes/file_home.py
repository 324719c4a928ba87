"""The file home: parquet, csv or ndjson files in a folder (recursive) or a single file.

The files live in an ObjectStorage: a local folder by default (read by path, polars' fast
path), or any storage handed to `FileHome(..., storage=)` where `path` is a key prefix.

The window is the sorted list of files present when the run begins; a position is a file index
and a row offset in it. Files added later wait for the next run; a file that changes while the
run reads it is an error (its rows could be lost or doubled).
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Generator, Iterator
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import polars as pl

from hygge.errors import DataError, StateError
from hygge.homes.base import (
    DEFAULT_PARTITION,
    FileEntry,
    FilePosition,
    PartitionSpec,
    Position,
    ReadSpec,
    Window,
    file_partitions,
)
from hygge.homes.file_objects import (
    HomeFiles,
    fingerprint,
    list_home,
    locate_in,
    locate_local,
    readable_path,
)
from hygge.homes.file_scan import parquet_chunk, text_chunk
from hygge.homes.files import LocalHomeConfig
from hygge.homes.scans import ChunkScan
from hygge.homes.window_schemas import kept_schema
from hygge.io.digest import DIGEST, byte_at, part_digest
from hygge.io.formats import READ_EXTENSIONS, check_options, read_option_names
from hygge.io.listing import ListedFile
from hygge.io.readers import (
    infer_schema,
    parquet_row_count,
    read_batches,
    read_text_rows,
    untyped,
)
from hygge.io.schema import parse_schema
from hygge.storage import ObjectStorage
from hygge.types import Place

ROWS_HINT_MAX_FILES = 200
"""A window of more parquet files than this has no rows hint: reading every footer at begin
would cost a file open each (slow on a network share) for a number shown as progress only."""

BLANK_BYTES = 4096  # a blank csv is only looked for among files this small


def file_fingerprint(entry: FileEntry) -> str:
    """Identifies a file's content version: its path, size and mtime."""
    return f"{entry.path}|{entry.size}|{entry.mtime_ns}"


def select_new_files(files: list[FileEntry], loaded: Collection[str]) -> list[FileEntry]:
    """The files whose fingerprint is not among `loaded` (fingerprints only: the engine tells
    a touched, appended or changed file from its record, hygge/engine/file_changes.py)."""
    return [entry for entry in files if file_fingerprint(entry) not in loaded]


def file_position(window: Window, position: Position, partition: str) -> tuple[FilePosition, int]:
    """`position` as a file position in `partition` of the window, with the index of the file
    after the partition's last; StateError if not (a checkpoint of another kind of home)."""
    spec = next((p for p in window.partitions if p.id == partition), None)
    if spec is None and partition == DEFAULT_PARTITION:
        spec = PartitionSpec()
    if spec is None or spec.column is not None or not isinstance(position, FilePosition):
        ids = ", ".join(p.id for p in window.partitions)
        raise StateError(
            f"a file home reads the partitions of its window ({ids}) from file positions, "
            f"not partition {partition!r} from a {position.kind} position; the checkpoint was "
            "written by another kind of home. Run with `hygge go --restart` to start again"
        )
    files = len(window.files or [])
    return position, spec.upper if isinstance(spec.upper, int) else files


class FileHome:
    """Reads one entity's files in bounded batches, resumable at any reported position."""

    def __init__(
        self, config: LocalHomeConfig, place: Place, storage: ObjectStorage | None = None
    ) -> None:
        self.config = config
        self.place = place
        base = place.root if storage is None else storage.local_path("")
        # A local folder (the workspace, a `local` connection's root) is read by path.
        self.storage = None if base is not None else storage
        self.path = (
            Path(config.path) if base is None else replace(place, root=base).resolve(config.path)
        )
        self.extensions = READ_EXTENSIONS[config.format]
        where = f"home of {place.flow}.{place.entity}"
        check_options(
            config.format_options, read_option_names(config.format), fmt=config.format, where=where
        )
        for key in ("schema", "schema_overrides"):
            if key in config.format_options:
                parse_schema(config.format_options[key])  # bad type names fail at load time

    def open_window(self, spec: ReadSpec) -> Window:
        """The files present now, in up to `spec.parallel` partitions of neighbouring files
        (the engine filters rows and already loaded files), with their rows hint."""
        window = self.list_window(spec)
        return window.model_copy(update={"rows_hint": self.rows_hint(window.files or [])})

    def list_window(self, spec: ReadSpec) -> Window:
        """`open_window` without the rows hint: the engine asks `rows_hint` of the files it
        reads, so an incremental run opens no footer of a file it loaded before."""
        listed = self._list_readable(self._locate())
        files = [
            FileEntry(path=f.path, size=f.size, mtime_ns=f.mtime_ns, version=f.version)
            for f in listed
        ]
        return Window(files=files, partitions=file_partitions(files, spec.parallel))

    def rows_hint(self, files: list[FileEntry]) -> int | None:
        """The rows of `files` from their parquet footers (progress only): None for text
        files, files not on a local disk, or more than `ROWS_HINT_MAX_FILES` of them."""
        sized = [f for f in files if f.size]
        if self.config.format != "parquet" or len(sized) > ROWS_HINT_MAX_FILES:
            return None
        located = self._locate()
        if not located.storage.capabilities.local_paths:
            return None
        rows = 0
        for f in sized:
            with readable_path(located, f.path) as path:
                rows += parquet_row_count(path)
        return rows

    def read(
        self, window: Window, position: Position, partition: str = DEFAULT_PARTITION
    ) -> Iterator[tuple[pl.DataFrame, Position]]:
        """Batches from `position` to the end of the partition, each with the position after
        it (a partition is a run of the window's files)."""
        position, end = file_position(window, position, partition)
        files = window.files or []
        if position.file_index >= min(end, len(files)):
            return
        located = self._locate()
        schema = self._window_schema(located, files)  # the whole window's: one for every part
        for index in range(position.file_index, min(end, len(files))):
            entry = files[index]
            offset, at_byte = entry.start_row, entry.start_byte  # what an earlier run loaded
            if index == position.file_index and position.row_offset > offset:
                offset, at_byte = position.row_offset, position.byte_offset
            self._ensure_unchanged(located, entry)  # a resumed offset fits only the same bytes
            with readable_path(located, entry.path) as path:
                for batch, after in self._batches(path, schema, offset, at_byte):
                    offset += batch.height
                    yield (
                        batch,
                        FilePosition(file_index=index, row_offset=offset, byte_offset=after),
                    )
            self._ensure_unchanged(located, entry)

    def scan(
        self,
        window: Window,
        position: Position,
        partition: str = DEFAULT_PARTITION,
        max_rows: int | None = None,
        *,
        file_rows: int | None = None,
    ) -> ChunkScan | None:
        """The next chunk as lazy scans (`hygge.homes.scans`): files on a local disk (None
        otherwise: the batch path reads it)."""
        fmt, options = self.config.format, self.config.format_options
        if self.storage is not None:
            return None  # the batch path reads a local copy
        start, end = file_position(window, position, partition)
        located, files = self._locate(), window.files or []
        unchanged = lambda entry: self._ensure_unchanged(located, entry)  # noqa: E731
        if fmt == "parquet":
            return parquet_chunk(
                located, files, start, end, options=options, max_rows=max_rows,
                unchanged=unchanged,
            )  # fmt: skip
        schema = self._window_schema(located, files)
        if schema is None:
            return None
        return text_chunk(
            located, files, start, end, fmt=fmt, options=options, schema=schema,
            max_rows=max_rows, file_rows=file_rows, unchanged=unchanged,
        )  # fmt: skip

    def _batches(
        self,
        path: Path,
        schema: pl.Schema | None,
        start_row: int,
        start_byte: int | None,
        rows: int | None = None,
    ) -> Generator[tuple[pl.DataFrame, int | None]]:
        """The file's batches of `rows` (default: the home's `batch_size`) from `start_row`
        (at `start_byte`), with the byte after each."""
        fmt, options = self.config.format, self.config.format_options
        size = self.config.batch_size if rows is None else rows
        if fmt != "parquet":
            yield from read_text_rows(
                path, fmt, options, schema=schema, start_row=start_row,
                start_byte=start_byte, batch_size=size,
            )  # fmt: skip
            return
        for batch in read_batches(
            path, fmt, options, schema=schema, start_row=start_row, batch_size=size
        ):
            yield batch, None

    def part_digest(self, path: str, size: int, algorithm: str = DIGEST) -> tuple[str, bool]:
        """The digest of the window file `path`'s first `size` bytes (and if whole lines)."""
        with readable_path(self._locate(), path) as local:
            return part_digest(local, size, algorithm)

    def byte_at(self, path: str, offset: int) -> bytes:
        """The byte of the window file `path` at `offset`."""
        located = self._locate()
        if not located.storage.capabilities.local_paths:
            return located.storage.read_range(located.key(path), offset, 1)
        with readable_path(located, path) as local:
            return byte_at(local, offset)

    def check(self) -> list[str]:
        """Problems a user must fix before a run: the path is missing or unreadable."""
        try:
            located = self._locate()
        except DataError as exc:
            return [str(exc)]
        if self.storage is not None:
            return []  # reachable: it was just listed
        target = Path(located.describe(located.single or ""))
        if not os.access(target, os.R_OK | (0 if located.single else os.X_OK)):
            return [f"{target} is not readable by this user; fix its permissions"]
        return []

    def describe(self) -> str:
        """E.g. `csv data/landing/orders`."""
        return f"{self.config.format} {self.config.path}"

    def identity(self) -> str:
        """E.g. `local csv ./data/landing/orders`: the format and the real path (on a storage
        connection, where the storage says it is: a blob's account included)."""
        if self.storage is not None:
            return f"storage {self.config.format} {self.storage.address(self.config.path)}"
        return f"local {self.config.format} {self.place.real_label(self.path)}"

    def _list_readable(self, located: HomeFiles) -> list[ListedFile]:
        """The folder's data files; a DataError if it holds files but none hygge reads.

        An empty folder is an empty source (a full_drop run empties the store); a folder of
        `.gz` or `.txt` files is a mistake, not an empty source.
        """
        listing = list_home(located, self.extensions)
        if located.single is not None or listing.files or not listing.others:
            return listing.files
        count, others = len(listing.others), listing.others
        shown = ", ".join(others[:5]) + (f" and {count - 5} more" if count > 5 else "")
        readable = " or ".join(self.extensions)
        raise DataError(
            f"home folder {located.describe()} (entity {self.place.flow}.{self.place.entity}) "
            "holds "
            f"{count} file{'s' if count != 1 else ''} but none that hygge reads as "
            f"{self.config.format} ({readable}): {shown}. Nothing was moved and the store is "
            "unchanged; set the home's `format` to match the files, convert or decompress "
            "them, or point `path` at the folder that holds the data"
        )

    def _locate(self) -> HomeFiles:
        """The storage, the prefix window paths are relative to, and the single file if any."""
        if self.storage is None:
            located = locate_local(self.path, self.extensions)
        else:
            located = locate_in(self.storage, self.config.path, self.extensions)
        if located is not None:
            return located
        where = self.path if self.storage is None else self.storage.describe(self.config.path)
        raise DataError(
            f"home path {where} does not exist (entity {self.place.flow}.{self.place.entity})"
            f"; check `path` in the flow's flow.yml or the entity's file, or create the folder"
        )

    def _window_schema(self, located: HomeFiles, files: list[FileEntry]) -> pl.Schema | None:
        """One schema for the whole window, inferred from its first file with data rows.

        A file with only a header says nothing of the types (every column would read as
        text), so it decides only the columns, typed Null, when no file of the window has rows.
        """
        candidates = [f for f in files if f.size > 0]
        if self.config.format == "parquet" or not candidates:
            return None
        key = "\n".join(f"{file_fingerprint(f)}|{f.version}" for f in candidates)
        options = json.dumps(self.config.format_options, sort_keys=True, default=str)
        key = f"{self.identity()}\n{options}\n{key}"
        return kept_schema(key, lambda: self._infer(located, candidates))

    def _infer(self, located: HomeFiles, candidates: list[FileEntry]) -> pl.Schema | None:
        fmt, options = self.config.format, self.config.format_options
        fallback: pl.Schema | None = None
        # A csv of blank lines or only a byte-order mark holds no header: the other files
        # decide, as when it is named after them (read as empty); alone, it fails naming it.
        headed = [f for f in candidates if fmt != "csv" or not self._blank(located, f)]
        for entry in headed or candidates[:1]:
            self._ensure_unchanged(located, entry)
            with readable_path(located, entry.path) as path:
                schema = infer_schema(path, fmt, options)
                fallback = fallback or (None if schema is None else untyped(schema, options))
                # Whether it has a data row: batches of one row, so only its first is parsed
                # (a batch of `batch_size` rows cost a chunk's time and memory).
                with closing(self._batches(path, schema, 0, None, rows=1)) as first:
                    if any(batch.height for batch, _ in first):
                        return schema
        return fallback

    def _blank(self, located: HomeFiles, entry: FileEntry) -> bool:
        """Whether a small text file holds nothing but a byte-order mark and whitespace."""
        if entry.size > BLANK_BYTES:
            return False
        self._ensure_unchanged(located, entry)
        with readable_path(located, entry.path) as path:
            return not path.read_bytes().removeprefix(b"\xef\xbb\xbf").strip()

    def _ensure_unchanged(self, located: HomeFiles, entry: FileEntry) -> None:
        info = located.stat(entry.path)
        where = located.describe(entry.path)
        if info is None:
            raise DataError(
                f"{where} disappeared during the run; it was listed when the run began. "
                f"Restore it, or run again to read the files present now"
            )
        version = fingerprint(located, info)[2]
        moved = entry.version is not None and version != entry.version
        if info.size != entry.size or info.mtime_ns != entry.mtime_ns or moved:
            raise DataError(
                f"{where} changed during the run (size {entry.size} -> {info.size}, version "
                f"{entry.version} -> {version}); files "
                f"must not be modified while hygge reads them. Run again to read the new version"
            )
