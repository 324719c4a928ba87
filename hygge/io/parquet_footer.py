"""A parquet file's row count from its footer, read in Python: no query engine started.

The footer is the file's `FileMetaData` in Thrift's compact protocol, followed by its length
(4 bytes, little-endian) and `PAR1`. `num_rows` is its field 3; fields 1 (version) and 2 (the
schema) come first and are skipped by their wire types. Anything unexpected (or a schema too
wide to walk quickly) gives None, and the caller asks polars instead.
"""

from __future__ import annotations

import os
from pathlib import Path

_MAGIC = b"PAR1"
_TAIL = 8  # footer length + magic
_READ = 64 * 1024  # one read holds the footer of all but very wide files
# Thrift compact protocol wire types.
_TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY = 1, 2, 3, 4, 5, 6, 7, 8
_LIST, _SET, _MAP, _STRUCT = 9, 10, 11, 12
_FIXED = {_BYTE: 1, _DOUBLE: 8}  # bytes of the fixed-size types
_NUM_ROWS = 3
_DEPTH = 64  # nesting deeper than this is not a footer hygge trusts
# Values skipped at most before num_rows (the schema's: ~5 per column): a wide file's footer is
# quicker read by polars than walked in Python.
_BUDGET = 2_000


class _MalformedError(Exception):
    """The bytes are not the compact encoding expected."""


def footer_row_count(path: Path | str) -> int | None:
    """The file's rows from its footer; None when it cannot be read that way."""
    try:
        with Path(path).open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size < len(_MAGIC) + _TAIL:
                return None
            handle.seek(max(0, size - _READ))
            tail = handle.read()
            length = int.from_bytes(tail[-_TAIL:-4], "little")
            if tail[-4:] != _MAGIC or length <= 0 or length > size - _TAIL - len(_MAGIC):
                return None
            if length + _TAIL > len(tail):
                handle.seek(size - _TAIL - length)
                footer = handle.read(length)
            else:
                footer = tail[-_TAIL - length : -_TAIL]
    except OSError:
        return None
    try:
        return _num_rows(footer)
    except (_MalformedError, IndexError):
        return None


def _num_rows(data: bytes) -> int | None:
    reader = _Reader(data)
    field = 0
    while True:
        header = reader.byte()
        kind = header & 0x0F
        if kind == 0:
            return None  # the struct ended without num_rows
        delta = header >> 4
        field = field + delta if delta else reader.zigzag(reader.varint())
        if field == _NUM_ROWS:
            if kind != _I64:
                raise _MalformedError
            rows = reader.zigzag(reader.varint())
            return rows if rows >= 0 else None
        reader.skip(kind, 0)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at, self.budget = data, 0, _BUDGET

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
            if shift > 70:
                raise _MalformedError

    @staticmethod
    def zigzag(value: int) -> int:
        return (value >> 1) ^ -(value & 1)

    def advance(self, count: int) -> None:
        if count < 0 or self.at + count > len(self.data):
            raise _MalformedError
        self.at += count

    def skip(self, kind: int, depth: int) -> None:
        """Skip one value of wire type `kind`."""
        self.budget -= 1
        if depth > _DEPTH or self.budget < 0:
            raise _MalformedError
        if kind in (_TRUE, _FALSE):
            return  # a struct field's boolean lives in its header
        if kind in (_I16, _I32, _I64):
            self.varint()
        elif kind in _FIXED:
            self.advance(_FIXED[kind])
        elif kind == _BINARY:
            self.advance(self.varint())
        elif kind in (_LIST, _SET):
            self._skip_list(depth)
        elif kind == _MAP:
            self._skip_map(depth)
        elif kind == _STRUCT:
            self._skip_struct(depth + 1)
        else:
            raise _MalformedError

    def _skip_list(self, depth: int) -> None:
        header = self.byte()
        count = header >> 4
        if count == 15:
            count = self.varint()
        for _ in range(count):
            self._skip_element(header & 0x0F, depth)

    def _skip_map(self, depth: int) -> None:
        count = self.varint()
        if count:
            types = self.byte()
            for _ in range(count):
                self._skip_element(types >> 4, depth)
                self._skip_element(types & 0x0F, depth)

    def _skip_element(self, kind: int, depth: int) -> None:
        if kind in (_TRUE, _FALSE):
            self.advance(1)  # in a list or map, each boolean is a byte
        else:
            self.skip(kind, depth + 1)

    def _skip_struct(self, depth: int) -> None:
        while True:
            header = self.byte()
            kind = header & 0x0F
            if kind == 0:
                return
            if not header >> 4:
                self.varint()  # a long-form field id
            self.skip(kind, depth)
