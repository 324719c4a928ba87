"""Stream one data file as bounded polars batches, from any row offset.

Memory stays bounded by the batch size whatever the file size: every format goes through polars'
streaming engine (parquet row groups before the offset are skipped by their metadata). Text
formats read with one schema fixed for the whole window (`infer_schema`), so a column's type
never changes from one batch or file to the next.
"""

from __future__ import annotations

import codecs
import io
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import polars as pl

from hygge.errors import DataError
from hygge.io.locate import POLARS_ENCODINGS as _POLARS_ENCODINGS
from hygge.io.parquet_footer import footer_row_count
from hygge.io.read_errors import READ_ERRORS as _READ_ERRORS
from hygge.io.read_errors import read_error
from hygge.io.schema import convert_expr, parse_schema, wire_type
from hygge.io.text_checks import check_ndjson_keys, parse_integers, reads_as_text
from hygge.io.text_pieces import ByteSource, LocalBytes, RowSyntax, data_start, pieces

_SCHEMA_OPTIONS = ("schema", "schema_overrides")


def infer_schema(path: Path, fmt: str, options: Mapping[str, Any]) -> pl.Schema | None:
    """The schema a text file's reader infers (per `infer_schema_length`); None for parquet."""
    if fmt == "parquet":
        return None
    if "schema" in options:
        return pl.Schema(parse_schema(options["schema"]))
    overrides = parse_schema(options.get("schema_overrides") or {})
    # NDJSON overrides may name keys the inferred rows lack: they replace the inferred types
    # below instead (the reader refuses an override for a key it has not seen).
    wire = {n: wire_type(fmt, t) for n, t in overrides.items()} if fmt == "csv" else {}
    try:
        with _utf8_source(path, options.get("encoding")) as source:
            lf = _scan(fmt, source, _plain(options) | {"schema_overrides": wire or None})
            inferred = lf.collect_schema()
    except _READ_ERRORS as exc:
        raise read_error(fmt, path, exc, options) from exc
    schema = {name: overrides.get(name, dtype) for name, dtype in inferred.items()}
    # An NDJSON override names a key to read even where the inferred rows lack it (files
    # without it read null): the way to include a key first seen further on.
    if fmt == "ndjson":
        schema |= {n: t for n, t in overrides.items() if n not in schema}
    return pl.Schema(schema)


def untyped(schema: pl.Schema, options: Mapping[str, Any]) -> pl.Schema:
    """A text file of no data rows says nothing of its columns' types (polars would read every
    one as text): each is Null, except those `schema` or `schema_overrides` type. Stores create
    no table from Null columns, and the first rows decide (`stores.known_columns`)."""
    if "schema" in options:
        return schema
    typed = options.get("schema_overrides") or {}
    return pl.Schema(
        {name: dtype if name in typed else pl.Null() for name, dtype in schema.items()}
    )


def read_batches(
    path: Path,
    fmt: str,
    options: Mapping[str, Any],
    *,
    schema: pl.Schema | None,
    start_row: int,
    batch_size: int,
) -> Iterator[pl.DataFrame]:
    """Batches of at most `batch_size` rows of `path` from row `start_row` (an empty file: none)."""
    try:
        if path.stat().st_size == 0:
            return
        if fmt == "parquet":
            yield from _parquet_batches(path, options, start_row, batch_size)
        else:
            yield from _text_batches(
                path, fmt, options, schema, start_row=start_row, batch_size=batch_size
            )
    except _READ_ERRORS as exc:
        raise read_error(fmt, path, exc, options) from exc


def read_text_rows(
    path: Path,
    fmt: str,
    options: Mapping[str, Any],
    *,
    schema: pl.Schema | None,
    start_row: int,
    start_byte: int | None,
    batch_size: int,
    source: ByteSource | None = None,
) -> Iterator[tuple[pl.DataFrame, int | None]]:
    """Batches of a csv/ndjson file from row `start_row`, which starts at byte `start_byte`
    when known, each with the byte offset of the row after it (None: not known, because the
    file's options move rows in ways `hygge.io.text_pieces` does not follow, or the start's
    offset was not known). `source`: the file's bytes (default: read from `path`)."""
    try:
        if path.stat().st_size == 0:
            return
        syntax = RowSyntax(fmt, options)
        if not syntax.cuttable or (start_row and start_byte is None):
            batches = _text_batches(
                path, fmt, options, schema, start_row=start_row, batch_size=batch_size
            )
            yield from ((batch, None) for batch in batches)
            return
        with LocalBytes(path) if source is None else nullcontext(source) as data:
            cut = _cut_batches(
                path, data, fmt=fmt, options=options, schema=schema, syntax=syntax,
                batch_size=batch_size,
            )  # fmt: skip
            yield from cut(start_row, start_byte)
    except _READ_ERRORS as exc:
        raise read_error(fmt, path, exc, options) from exc


def parquet_row_count(path: Path) -> int:
    """Rows in a parquet file, from its footer (no data read): decoded here, else by polars."""
    rows = footer_row_count(path)
    if rows is not None:
        return rows
    try:
        return int(pl.scan_parquet(path).select(pl.len()).collect().item())
    except _READ_ERRORS as exc:
        raise read_error("parquet", path, exc) from exc


def _parquet_batches(
    path: Path, options: Mapping[str, Any], start_row: int, batch_size: int
) -> Iterator[pl.DataFrame]:
    # polars' streaming scan: the offset is pushed down (row groups before it are not decoded)
    # and batches come out in polars' own string layout, so nothing is converted per batch.
    lf = pl.scan_parquet(path, **options).slice(start_row)
    yield from _collect_batches(lf, batch_size)


def _text_batches(
    path: Path,
    fmt: str,
    options: Mapping[str, Any],
    schema: pl.Schema | None,
    *,
    start_row: int,
    batch_size: int,
) -> Iterator[pl.DataFrame]:
    schema = schema if schema is not None else infer_schema(path, fmt, options)
    assert schema is not None  # text formats always have one
    wire = pl.Schema({name: _wire(fmt, dtype) for name, dtype in schema.items()})
    with _utf8_source(path, options.get("encoding")) as source:
        if fmt == "ndjson":
            check_ndjson_keys(source, path, schema, options)
        lf = _scan(fmt, source, _plain(options) | {"schema": wire})
        if start_row:  # polars reads a csv whose first record is broken as no rows under slice(0)
            lf = lf.slice(start_row)
        converted = [
            convert_expr(n, wire[n], t)
            for n, t in schema.items()
            if wire[n] != t and not reads_as_text(fmt, t)
        ]
        if converted:
            lf = lf.with_columns(converted)
        row = start_row
        for batch in _collect_batches(lf, batch_size):
            yield parse_integers(batch, schema, path, row, options) if fmt == "csv" else batch
            row += batch.height


def _cut_batches(
    path: Path,
    source: ByteSource,
    *,
    fmt: str,
    options: Mapping[str, Any],
    schema: pl.Schema | None,
    syntax: RowSyntax,
    batch_size: int,
) -> Callable[[int, int | None], Iterator[tuple[pl.DataFrame, int | None]]]:
    """A reader of pieces of whole rows, each parsed with the file's head in front."""
    schema = schema if schema is not None else infer_schema(path, fmt, options)
    assert schema is not None  # text formats always have one
    wire = pl.Schema({name: _wire(fmt, dtype) for name, dtype in schema.items()})
    converted = [
        convert_expr(n, wire[n], t)
        for n, t in schema.items()
        if wire[n] != t and not reads_as_text(fmt, t)
    ]
    size = path.stat().st_size

    def read(row: int, start_byte: int | None) -> Iterator[tuple[pl.DataFrame, int | None]]:
        head = data_start(source, size, syntax)
        prefix = source.read_at(0, head) if fmt == "csv" else b""
        # Rows never start before the data does: a file recorded empty (0 bytes) and written
        # since starts with its header, which is the prefix, not a row.
        start = head if start_byte is None else max(start_byte, head)
        line = 1 + prefix.count(b"\n") if start_byte is None else None  # ndjson key errors
        for piece, end in pieces(source, start, size, batch_size, syntax):
            if fmt == "ndjson":
                check_ndjson_keys(piece, path, schema, options, first_line=line, at_byte=start)
            lf = _scan(fmt, io.BytesIO(prefix + piece), _plain(options) | {"schema": wire})
            batch = (lf.with_columns(converted) if converted else lf).collect()
            if fmt == "csv":
                batch = parse_integers(batch, schema, path, row, options)
            row += batch.height
            line = None if line is None else line + piece.count(b"\n")
            start = end
            yield batch, end
        if row == 0 and start == head:  # a header and no rows: its columns, as a 0-row batch
            yield pl.DataFrame(schema=schema), head  # (a store creates its table from them)

    return read


def _wire(fmt: str, dtype: pl.DataType) -> pl.DataType:
    return pl.String() if reads_as_text(fmt, dtype) else wire_type(fmt, dtype)


def _collect_batches(lf: pl.LazyFrame, batch_size: int) -> Iterator[pl.DataFrame]:
    rows = 0
    for frame in lf.collect_batches(chunk_size=batch_size, lazy=True):
        rows += frame.height
        for offset in range(0, frame.height, batch_size):
            yield frame.slice(offset, batch_size)
    if not rows:  # a file of columns and no rows: its columns, for a store creating a table
        yield pl.DataFrame(schema=lf.collect_schema())


def _scan(fmt: str, source: Path | io.BytesIO, options: Mapping[str, Any]) -> pl.LazyFrame:
    if fmt == "csv":
        return pl.scan_csv(source, **options)
    return pl.scan_ndjson(source, **options)


def _plain(options: Mapping[str, Any]) -> dict[str, Any]:
    """Reader options without the ones hygge turns into the window schema."""
    plain = {k: v for k, v in options.items() if k not in _SCHEMA_OPTIONS}
    if str(plain.get("encoding", "utf8")).lower() not in _POLARS_ENCODINGS:
        plain.pop("encoding")  # the file was transcoded to UTF-8 first
    return plain


@contextmanager
def _utf8_source(path: Path, encoding: object) -> Iterator[Path]:
    """`path` itself, or a streamed UTF-8 copy when the file uses another encoding."""
    if encoding is None or str(encoding).lower() in _POLARS_ENCODINGS:
        yield path
        return
    try:
        codecs.lookup(str(encoding))
    except LookupError as exc:
        raise DataError(f"unknown encoding {encoding!r} for {path}; use e.g. utf8, latin1") from exc
    with tempfile.TemporaryDirectory(prefix="hygge-") as folder:
        copy = Path(folder) / path.name
        with (
            path.open(encoding=str(encoding), newline="") as src,
            copy.open("w", encoding="utf-8", newline="") as dst,
        ):
            shutil.copyfileobj(src, dst, 1 << 20)
        yield copy
