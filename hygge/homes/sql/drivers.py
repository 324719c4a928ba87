"""The driver seam of SQL homes: a session runs a statement and streams bounded batches.

One `SqlSession` per read; each technology (ADBC, psycopg, pyodbc, sqlite3, duckdb) is a
small class in its own module. Rows-based drivers turn `fetchmany` rows into polars frames
with the column types their cursor described; Arrow-native drivers slice record batches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, Protocol

import polars as pl
import pyarrow as pa

from hygge.homes.sql.dialect import Dialect

SqlSchema = dict[str, pl.DataType | None]
"""The columns of a source in order, with their polars types (None: the driver cannot say
before rows arrive, as sqlite3)."""


class SqlSession(Protocol):
    """An open connection of one read."""

    def columns(self, sql: str, params: Sequence[object]) -> SqlSchema:
        """The columns `sql` returns (it is run to return no row)."""
        ...

    def first(self, sql: str, params: Sequence[object]) -> tuple[object, ...] | None:
        """The first row of `sql`, None if it returns none."""
        ...

    def stream(self, sql: str, params: Sequence[object], batch_size: int) -> Iterator[pl.DataFrame]:
        """The rows of `sql` in frames of at most `batch_size` rows, holding one at a time."""
        ...

    def close(self) -> None: ...


class SqlDriver(Protocol):
    """How a SQL home reaches its database."""

    dialect: Dialect

    def connect(self) -> SqlSession: ...

    def describe(self) -> str:
        """E.g. `postgres db:5432/sales (adbc)`; never a secret."""
        ...


_PYTHON_TYPES: dict[type, pl.DataType] = {
    bool: pl.Boolean(),
    int: pl.Int64(),
    float: pl.Float64(),
    str: pl.String(),
    bytes: pl.Binary(),
    bytearray: pl.Binary(),
    dt.datetime: pl.Datetime("us"),
    dt.date: pl.Date(),
    dt.time: pl.Time(),
    dt.timedelta: pl.Duration("us"),
}


def polars_type(kind: object, precision: int | None, scale: int | None) -> pl.DataType | None:
    """The polars type of a DB-API column described by its Python type (pyodbc)."""
    if kind is Decimal:
        if precision and 0 < precision <= 38:
            return pl.Decimal(precision, scale or 0)
        return pl.Float64()
    if isinstance(kind, type):
        return _PYTHON_TYPES.get(kind)
    return None


def frame_from_rows(
    rows: Sequence[Sequence[object]], schema: SqlSchema, learned: SqlSchema
) -> pl.DataFrame:
    """`rows` as a frame of `schema`'s types; a column the driver could not type takes the
    type its first non-null values show, kept in `learned` for the batches after."""
    names = list(schema)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    series = []
    for name, values in zip(names, columns, strict=True):
        dtype = schema[name] or learned.get(name)
        if dtype is None:
            found = pl.Series(name, values, strict=False)
            if found.dtype != pl.Null:
                learned[name] = found.dtype
            series.append(found)
            continue
        series.append(pl.Series(name, values, dtype=dtype, strict=False))
    return pl.DataFrame(series)


def fetched(cursor: Any, schema: SqlSchema, batch_size: int) -> Iterator[pl.DataFrame]:
    """A DB-API cursor's rows, `fetchmany(batch_size)` at a time, as frames of `schema`."""
    learned: SqlSchema = {}
    while rows := cursor.fetchmany(batch_size):
        yield frame_from_rows(rows, schema, learned)


def arrow_frames(batches: Iterable[pa.RecordBatch], batch_size: int) -> Iterator[pl.DataFrame]:
    """Arrow record batches as polars frames of `batch_size` rows (the last may be shorter).
    The batches are gathered (sliced, not copied) into one Arrow table per frame and each
    table converted once: a driver's batches can be small (arrow-odbc's buffers cap a batch
    at a few hundred rows of wide text columns), and converting each to polars on its own
    cost ~2x the conversion of the gathered rows (measured, README's Performance)."""
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        rest = batch
        while rest.num_rows:
            take = rest.slice(0, batch_size - held)
            pending.append(take)
            held += take.num_rows
            rest = rest.slice(take.num_rows)
            if held == batch_size:
                yield frame_from_arrow(pa.Table.from_batches(pending))
                pending, held = [], 0
    if held:
        yield frame_from_arrow(pa.Table.from_batches(pending))


def frame_from_arrow(batch: pa.RecordBatch | pa.Table) -> pl.DataFrame:
    """An Arrow batch as polars, PostgreSQL's opaque numerics as decimals."""
    table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
    casts = []
    for index, field in enumerate(table.schema):
        if isinstance(field.type, pa.ExtensionType) or str(field.type).startswith("extension"):
            storage = table.column(index).combine_chunks()
            plain = storage.storage if hasattr(storage, "storage") else storage
            table = table.set_column(index, pa.field(field.name, plain.type), plain)
            casts.append((field.name, numeric_type(field.metadata or {})))
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    if casts:
        frame = frame.with_columns(pl.col(name).cast(dtype) for name, dtype in casts)
    return frame


def numeric_type(metadata: dict[bytes, bytes]) -> pl.DataType:
    """PostgreSQL numeric(p, s) from its typmod; Float64 for a numeric of no declared size."""
    typmod = int(metadata.get(b"POSTGRESQL:typmod", b"-1") or -1)
    if typmod < 4:
        return pl.Float64()
    precision, scale = (typmod - 4) >> 16, (typmod - 4) & 0xFFFF
    return pl.Decimal(precision, scale) if precision <= 38 else pl.Float64()
