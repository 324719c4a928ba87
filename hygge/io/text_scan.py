"""A whole csv or ndjson file as one polars lazy scan with the window's schema, for the
native path.

What `hygge.io.readers.read_text_rows` yields for the file, lazily: the same wire types and
conversions; csv integer columns read as text and parsed by `lossless_integers` (a value the
parse would change fails the scan; the batch path, reading it again, names it); an ndjson
file's keys checked first (`check_ndjson_keys`). No rows are counted here: the rows a scan
read are the rows the sink wrote.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from hygge.io.locate import POLARS_ENCODINGS
from hygge.io.schema import convert_expr, wire_type
from hygge.io.text_checks import check_ndjson_keys, lossless_integers, reads_as_text
from hygge.io.text_pieces import ByteSource, RowSyntax, data_start

_SCHEMA_OPTIONS = ("schema", "schema_overrides")
_HEAD_OPTIONS = ("has_header", "skip_rows", "skip_rows_after_header")
SAMPLE_BYTES = 1 << 16  # the rows of this much of a file estimate its rows


def text_scan(
    path: Path,
    fmt: str,
    options: Mapping[str, Any],
    schema: pl.Schema,
    *,
    data: bytes | None = None,
    at_byte: int = 0,
    columns: list[str] | None = None,
) -> pl.LazyFrame | None:
    """The csv/ndjson file (or `data`, its head and the rows from byte `at_byte`, as
    `hygge.io.text_ranges` cuts them; with `columns`, the csv rows alone, their columns so
    named in order) as one lazy scan read with `schema`; None when it must be transcoded
    first. A DataError when an ndjson key is outside `schema`."""
    if str(options.get("encoding", "utf8")).lower() not in POLARS_ENCODINGS:
        return None
    wire, converted = _conversions(fmt, tuple(schema.items()))
    plain = {k: v for k, v in options.items() if k not in _SCHEMA_OPTIONS}
    source: Path | bytes = path if data is None else data
    if fmt == "csv" and columns is not None:  # no head: nothing to skip, no header to match
        plain = {k: v for k, v in plain.items() if k not in _HEAD_OPTIONS}
        read = pl.Schema({name: wire[name] for name in columns})
        lf = pl.scan_csv(source, **plain, has_header=False, schema=read)
        lf = lf if columns == schema.names() else lf.select(schema.names())
    elif fmt == "csv":
        lf = pl.scan_csv(source, **plain, schema=pl.Schema(wire))
    else:
        line = 1 if data is None or not at_byte else None  # a range's first line: not known
        check_ndjson_keys(source, path, schema, options, first_line=line, at_byte=at_byte)
        lf = pl.scan_ndjson(source, **plain, schema=pl.Schema(wire))
    return lf.with_columns(converted) if converted else lf


@functools.lru_cache(maxsize=32)
def _conversions(
    fmt: str, columns: tuple[tuple[str, pl.DataType], ...]
) -> tuple[dict[str, pl.DataType], list[pl.Expr]]:
    """The wire types a scan reads and the expressions turning them into the window's types;
    built once per window schema (the integer checks cost milliseconds to build, for each file
    of a chunk of many). The callers only read what it returns."""
    schema = pl.Schema(columns)
    wire = {n: _wire(fmt, t) for n, t in columns}
    converted = [
        convert_expr(n, wire[n], t)
        for n, t in columns
        if wire[n] != t and not reads_as_text(fmt, t)
    ]
    if fmt == "csv":
        converted += lossless_integers(schema)
    return wire, converted


def _wire(fmt: str, dtype: pl.DataType) -> pl.DataType:
    return pl.String() if reads_as_text(fmt, dtype) else wire_type(fmt, dtype)


def estimated_rows(source: ByteSource, size: int, syntax: RowSyntax) -> int:
    """About how many data rows a file of `size` bytes holds, from the end-of-lines in its
    first data bytes (quoted line breaks count as rows: an estimate for a budget, no more)."""
    if syntax.eol is None:
        return 0
    start = data_start(source, size, syntax)
    sample = source.read_at(start, min(SAMPLE_BYTES, size - start))
    if not sample:
        return 0
    lines = max(sample.count(bytes([syntax.eol])), 1)
    return (size - start) * lines // len(sample)
