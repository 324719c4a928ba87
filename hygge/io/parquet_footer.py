"""A parquet file's row count from its footer, read with a few bytes of Python.

A small file entity's run asks for the rows of each home file twice (the window's progress
hint, the chunk's slice); a polars query for it costs milliseconds of planning each time, the
footer a read of its last bytes. Only `FileMetaData.num_rows` is decoded (Thrift compact
protocol: field 1 `version`, field 2 `schema`, skipped, field 3 `num_rows`); anything
unexpected (an encrypted footer, a truncated file, a field out of place) returns None and
the caller asks polars, which reads it or says what is wrong.

A count is kept per file identity (device, inode, size, mtime and ctime in ns: what the engine
already trusts to say a home file is unchanged), so the second ask of an entity run (window,
then chunk) reads the file's stat and not its footer again.
"""

from __future__ import annotations

import os
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from hygge.errors import DataError

_MAGIC = b"PAR1"
_TAIL = 8  # footer length (4 bytes, little endian) and the magic
_GUESS = 64 << 10  # bytes read from the end at first: most footers of small files fit

# Thrift compact protocol types.
_STOP, _TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, _STRUCT = range(
    13
)
_NUM_ROWS = 3  # FileMetaData.num_rows, and RowGroup.num_rows
_ROW_GROUPS = 4  # FileMetaData.row_groups: list<RowGroup>
_FIXED_SIZE = {_TRUE: 0, _FALSE: 0, _BYTE: 1, _DOUBLE: 8}  # bytes after the field header
_KEPT = 4096  # counts kept; the oldest goes first

_counts: dict[tuple[str, int, int, int, int, int], int] = {}
_counts_lock = threading.Lock()


class _MalformedError(Exception):
    """The footer is not what this reader decodes."""


class _MismatchError(Exception):
    """The footer's total rows are not its row groups' sum."""


def footer_row_count(path: Path) -> int | None:
    """Rows of the parquet file at `path` from its footer; None when this reader cannot say;
    DataError when the footer contradicts itself (its total is not its row groups' sum)."""
    try:
        return _counted(path)
    except _MismatchError as exc:
        raise DataError(
            f"parquet file {path}: its footer says {exc.args[0]} rows but its row groups hold "
            f"{exc.args[1]}; the file is damaged or was written by a faulty writer, and "
            "reading it would lose or invent rows: rewrite the file (e.g. read it with pyarrow "
            "and write it again), or remove it"
        ) from None
    except (OSError, _MalformedError, IndexError, struct.error):
        return None


def _counted(path: Path) -> int | None:
    """The row count of the file at `path`, from the counts kept or its footer."""
    with path.open("rb") as file:
        key = _identity(str(path), os.fstat(file.fileno()))
        with _counts_lock:
            rows = _counts.get(key)
        if rows is not None:
            return rows
        footer = _footer(file, key[3])
        if footer is None:
            return None
        rows = _num_rows(footer)
        if _identity(key[0], os.fstat(file.fileno())) != key:
            return rows  # changed while read: kept for neither identity
    with _counts_lock:
        if len(_counts) >= _KEPT:
            del _counts[next(iter(_counts))]
        _counts[key] = rows
    return rows


def _identity(path: str, stat: os.stat_result) -> tuple[str, int, int, int, int, int]:
    return (path, stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def _footer(file: BinaryIO, size: int) -> bytes | None:
    if size < len(_MAGIC) + _TAIL:
        return None
    start = max(size - _GUESS, 0)
    file.seek(start)
    data = file.read()
    if len(data) != size - start or data[-4:] != _MAGIC:
        return None  # changed while read, or an encrypted footer ("PARE")
    length = struct.unpack_from("<I", data, len(data) - _TAIL)[0]
    if length + _TAIL + len(_MAGIC) > size:
        return None
    if length + _TAIL > len(data):
        file.seek(size - _TAIL - length)
        data = file.read(length + _TAIL)
        if len(data) != length + _TAIL:
            return None
    return data[len(data) - _TAIL - length : len(data) - _TAIL]


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def byte(self) -> int:
        value = self.data[self.at]
        self.at += 1
        return value

    def varint(self) -> int:
        shift = result = 0
        while True:
            value = self.byte()
            result |= (value & 0x7F) << shift
            if not value & 0x80:
                return result
            shift += 7
            if shift > 63:
                raise _MalformedError("varint too long")

    def zigzag(self) -> int:
        value = self.varint()
        return (value >> 1) ^ -(value & 1)

    def skip(self, kind: int, depth: int = 0) -> None:
        if depth > 32:
            raise _MalformedError("nested too deeply")
        if kind in _FIXED_SIZE:
            self.at += _FIXED_SIZE[kind]
        elif kind in (_I16, _I32, _I64):
            self.varint()
        elif kind == _BINARY:
            length = self.varint()  # read first: `self.at += self.varint()` loses its bytes
            self.at += length
        elif kind in (_LIST, _SET):
            self._skip_list(depth)
        elif kind == _MAP:
            self._skip_map(depth)
        elif kind == _STRUCT:
            self._skip_struct(depth)
        else:
            raise _MalformedError(f"unknown type {kind}")
        if self.at > len(self.data):
            raise _MalformedError("past the end")

    def _skip_list(self, depth: int) -> None:
        header = self.byte()
        count, element = header >> 4, header & 0x0F
        if count == 15:
            count = self.varint()
        for _ in range(count):
            self._skip_element(element, depth)

    def _skip_map(self, depth: int) -> None:
        count = self.varint()
        if count:
            types = self.byte()
            for _ in range(count):
                self._skip_element(types >> 4, depth)
                self._skip_element(types & 0x0F, depth)

    def _skip_struct(self, depth: int) -> None:
        while (header := self.byte()) != _STOP:
            if not header >> 4:
                self.zigzag()  # a long-form field id
            self.skip(header & 0x0F, depth + 1)

    def _skip_element(self, kind: int, depth: int) -> None:
        if kind in (_TRUE, _FALSE):  # a boolean in a collection is a whole byte
            self.at += 1
        else:
            self.skip(kind, depth + 1)


def _num_rows(footer: bytes) -> int:
    reader = _Reader(footer)
    rows: int | None = None
    groups: int | None = None
    for field, kind in _fields(reader):
        if field == _NUM_ROWS:
            rows = _count(reader, kind)
        elif field == _ROW_GROUPS and kind == _LIST:
            groups = _row_group_rows(reader)
        else:
            reader.skip(kind)
    if rows is None or groups is None:
        raise _MalformedError("no num_rows or no row_groups")
    if rows != groups:
        raise _MismatchError(rows, groups)
    return rows


def _fields(reader: _Reader) -> Iterator[tuple[int, int]]:
    """(field id, type) of each field of the struct at the reader, up to its stop byte; the
    caller reads or skips each value before asking for the next."""
    field = 0
    while (header := reader.byte()) != _STOP:
        delta, kind = header >> 4, header & 0x0F
        field = field + delta if delta else reader.zigzag()
        yield field, kind


def _count(reader: _Reader, kind: int) -> int:
    if kind != _I64:
        raise _MalformedError("num_rows is not an i64")
    rows = reader.zigzag()
    if rows < 0:
        raise _MalformedError("negative num_rows")
    return rows


def _row_group_rows(reader: _Reader) -> int:
    """The sum of the `num_rows` of the list of RowGroup structs at the reader."""
    header = reader.byte()
    count, element = header >> 4, header & 0x0F
    if count == 15:
        count = reader.varint()
    if count and element != _STRUCT:
        raise _MalformedError("row_groups is not a list of structs")
    total = 0
    for _ in range(count):
        rows = None
        for field, kind in _fields(reader):
            if field == _NUM_ROWS:
                rows = _count(reader, kind)
            else:
                reader.skip(kind, 1)
        if rows is None:
            raise _MalformedError("a row group without num_rows")
        total += rows
    return total
