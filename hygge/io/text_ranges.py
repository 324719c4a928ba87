"""A large csv or ndjson file read a byte range at a time, for the native path.

polars parses a csv file it scans whole, so the memory of a sink follows the file's size. A
file larger than `RANGE_BYTES` is read in ranges instead: the bytes from a row start to a row
end (found as `hygge.io.text_pieces` cuts the batch path's pieces: quotes counted, so a quoted
line break never ends a range), at most `RANGE_BYTES` of them, parsed by polars from memory
as the batch path parses its pieces. A range ends at a multiple of the store's rows per file
where its bytes allow, so the staged files stay full.

A range with no quote character is cut by counting line ends a block at a time and read once,
into the bytes polars parses; its columns are named from the file's header (as polars reads
it), so the head need not be copied in front of every range. Otherwise (quotes to count, or
options that rename columns) the range is parsed with the file's head in front, exactly as
the batch path parses a piece.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from hygge.io.text_pieces import ByteSource, RowSyntax, cut_rows, data_start, nth_eol, pieces
from hygge.io.text_scan import text_scan

RANGE_BYTES = 32 << 20
BLOCK_BYTES = 1 << 20  # a quote-free range's line ends are counted a block at a time
# Options that name or add columns: a range of such a file is parsed with the head in front.
_NAMING = ("new_columns", "with_column_names", "missing_columns", "extra_columns")


@dataclass(frozen=True)
class TextRange:
    """The file's head (BOM, skipped rows, header), the range's rows from byte `start`, and
    the offset just after its last row."""

    head: bytes
    rows: bytes
    start: int
    end: int


def text_range(
    source: ByteSource,
    size: int,
    syntax: RowSyntax,
    *,
    start: int | None,
    max_rows: int | None,
    file_rows: int | None,
    range_bytes: int = RANGE_BYTES,
) -> TextRange:
    """The range from `start` (a row start; None: the first data row) of at most `max_rows`
    rows and `range_bytes` bytes (one row when a row is longer), cut down to a multiple of
    `file_rows` rows when it holds that many and does not reach the file's end."""
    head_end = data_start(source, size, syntax)
    head = source.read_at(0, head_end) if head_end else b""  # ndjson has no head
    begin = head_end if start is None else max(start, head_end)
    limits = _Limits(size, max_rows, file_rows, range_bytes)
    end = _quote_free_end(source, begin, syntax, limits)
    if end is not None:
        return TextRange(head, source.read_at(begin, end - begin), begin, end)
    buffer = source.read_at(begin, min(range_bytes, max(size - begin, 0)))
    cut = _range_cut(buffer, syntax, limits, to_end=begin + len(buffer) >= size)
    if cut is None:  # one row runs past the range's bytes: that row alone
        piece, after = next(pieces(source, begin, size, 1, syntax))
        return TextRange(head, piece, begin, after)
    return TextRange(head, buffer if cut == len(buffer) else buffer[:cut], begin, begin + cut)


@dataclass(frozen=True)
class _Limits:
    size: int
    max_rows: int | None
    file_rows: int | None
    range_bytes: int

    def rows(self, newlines: int) -> int:
        """The rows a range of `newlines` line ends (not reaching the file's end) keeps."""
        rows = newlines if self.max_rows is None else min(newlines, max(self.max_rows, 1))
        if self.file_rows and rows >= self.file_rows:
            rows -= rows % self.file_rows
        return rows

    def whole(self, newlines: int, end: int) -> bool:
        """Whether a range reaching `end` with `newlines` line ends is the rest of the file."""
        return end >= self.size and (self.max_rows is None or newlines <= self.max_rows)


def _quote_free_end(
    source: ByteSource, begin: int, syntax: RowSyntax, limits: _Limits
) -> int | None:
    """Where the range from `begin` ends, by its line ends counted a block at a time; None when
    a quote character is among its bytes (or no line ends in them): the whole range is cut."""
    assert syntax.eol is not None
    eol, quote = bytes([syntax.eol]), None if syntax.quote is None else bytes([syntax.quote])
    limit, at, blocks = min(begin + limits.range_bytes, limits.size), begin, []
    while at < limit:
        block = source.read_at(at, min(BLOCK_BYTES, limit - at))
        if not block or (quote is not None and quote in block):
            return None
        blocks.append((at, block.count(eol)))
        at += len(block)
    newlines = sum(count for _, count in blocks)
    if limits.whole(newlines, at):
        return at
    rows, seen = limits.rows(newlines), 0
    for offset, count in blocks:
        if rows and seen + count >= rows:
            block = source.read_at(offset, min(BLOCK_BYTES, limit - offset))
            return offset + nth_eol(block, rows - seen, count, syntax) + 1
        seen += count
    return None


def _range_cut(buffer: bytes, syntax: RowSyntax, limits: _Limits, *, to_end: bool) -> int | None:
    """Where in `buffer` (a row start onwards) the range ends; None: no row ends in it."""
    assert syntax.eol is not None
    newlines = buffer.count(bytes([syntax.eol]))
    if to_end and limits.whole(newlines, limits.size):
        return len(buffer)  # the rest of the file, with or without a final line break
    rows = limits.rows(newlines)
    return cut_rows(buffer, rows, newlines, syntax) if rows else None


def range_scan(
    path: Path, cut: TextRange, fmt: str, options: Mapping[str, Any], schema: pl.Schema
) -> pl.LazyFrame | None:
    """The range of `path` as one lazy scan read with `schema` (`hygge.io.text_scan`); None
    when it must be transcoded first. A DataError when an ndjson key is outside `schema`."""
    names = column_names(cut, fmt, options, schema)
    data = cut.rows if names is not None or not cut.head else cut.head + cut.rows
    return text_scan(path, fmt, options, schema, data=data, at_byte=cut.start, columns=names)


def column_names(
    cut: TextRange, fmt: str, options: Mapping[str, Any], schema: pl.Schema
) -> list[str] | None:
    """The names of the range's columns in the file's order, when its rows can be parsed
    without the head in front (the head's header names them, as polars reads it, and they
    are the schema's); None: parse it with the head in front."""
    if fmt != "csv" or any(key in options for key in _NAMING):
        return None
    if not options.get("has_header", True):
        return list(schema.names())  # read by position, as the whole file is
    plain = {k: v for k, v in options.items() if k not in ("schema", "schema_overrides")}
    try:
        names = pl.scan_csv(cut.head, **plain, infer_schema=False).collect_schema().names()
    except pl.exceptions.PolarsError:
        return None
    unique = len(set(names)) == len(names)
    return names if unique and sorted(names) == sorted(schema.names()) else None
