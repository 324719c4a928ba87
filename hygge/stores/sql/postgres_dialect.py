"""PostgreSQL's spelling of the SQL store: type map, catalog queries, swap and ON CONFLICT.

Type map (polars -> PostgreSQL): Int8/Int16/UInt8 smallint, Int32/UInt16 integer,
Int64/UInt32 bigint, UInt64 numeric(20,0), Float32 real, Float64 double precision,
Decimal(p,s) numeric(p,s), String/Categorical/Enum/Null text, Binary bytea, Boolean boolean,
Date date, Datetime timestamp (with a time zone: timestamptz; nanoseconds are kept to the
microsecond PostgreSQL holds), Time time, Duration interval. Lists, structs and arrays are
refused (cast them to JSON text in the home, or use a parquet/Delta store).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import ClassVar

import polars as pl

from hygge.stores.sql.dialect import SqlDialect, decimal_args, decimal_widens
from hygge.stores.sql.names import HYGGE_SCHEMA, TableName

_INTEGERS = ("smallint", "integer", "bigint")
_DIGITS = {"smallint": 5, "integer": 10, "bigint": 19}
_SIMPLE: dict[type[pl.DataType], str] = {
    pl.Int8: "smallint",
    pl.Int16: "smallint",
    pl.UInt8: "smallint",
    pl.Int32: "integer",
    pl.UInt16: "integer",
    pl.Int64: "bigint",
    pl.UInt32: "bigint",
    pl.Float32: "real",
    pl.Float64: "double precision",
    pl.String: "text",
    pl.Categorical: "text",
    pl.Enum: "text",
    pl.Null: "text",
    pl.Binary: "bytea",
    pl.Boolean: "boolean",
    pl.Date: "date",
    pl.Time: "time without time zone",
    pl.Duration: "interval",
}
_BACK: dict[str, pl.DataType] = {
    "smallint": pl.Int16(),
    "integer": pl.Int32(),
    "bigint": pl.Int64(),
    "real": pl.Float32(),
    "double precision": pl.Float64(),
    "text": pl.String(),
    "bytea": pl.Binary(),
    "boolean": pl.Boolean(),
    "date": pl.Date(),
    "time without time zone": pl.Time(),
    "interval": pl.Duration("us"),
    "timestamp without time zone": pl.Datetime("us"),
    "timestamp with time zone": pl.Datetime("us", "UTC"),
}


class PostgresDialect(SqlDialect):
    name: ClassVar[str] = "postgres"
    mark: ClassVar[str] = "%s"
    default_schema: ClassVar[str] = "public"
    max_name: ClassVar[int] = 63
    widenings: ClassVar[str] = (
        "smallint to integer to bigint, real to double precision, integers and numerics to "
        "numerics with room for every digit, any type to text"
    )

    def quote(self, name: str) -> str:
        # psycopg reads `%` as a marker in a statement with parameters: every statement hygge
        # runs passes some (maybe none), so a `%` in a name is written `%%`.
        return '"' + name.replace('"', '""').replace("%", "%%") + '"'

    def column_type(self, table: TableName, series: pl.Series) -> str:
        dtype = series.dtype
        if isinstance(dtype, pl.Datetime):
            return "timestamp with time zone" if dtype.time_zone else "timestamp without time zone"
        if isinstance(dtype, pl.Decimal):
            return f"numeric({dtype.precision or 38},{dtype.scale})"
        if dtype == pl.UInt64:
            return "numeric(20,0)"
        found = _SIMPLE.get(dtype.base_type())
        if found is None:
            raise self.refuse(
                table, series.name, dtype,
                "PostgreSQL columns hold no nested values as hygge writes them. Cast it to "
                "JSON text in the home, or use a parquet or Delta store",
            )  # fmt: skip
        return found

    def polars_type(self, column_type: str) -> pl.DataType | None:
        args = decimal_args(column_type)
        if args is not None:
            return pl.Decimal(*args)
        return _BACK.get(column_type)

    def widens(self, old: str, new: str) -> bool:
        if new in (old, "text"):
            return True
        if old in _INTEGERS and new in _INTEGERS:
            return _INTEGERS.index(old) < _INTEGERS.index(new)
        if new == "double precision":
            return old in {"real", "smallint", "integer"}
        return decimal_widens(old, new, _DIGITS)

    def wire(self, frame: pl.DataFrame) -> pl.DataFrame:
        frame = super().wire(frame)
        casts: dict[str, pl.DataType] = {}
        for name, dtype in frame.schema.items():
            if isinstance(dtype, pl.Datetime) and dtype.time_unit != "us":
                casts[name] = pl.Datetime("us", dtype.time_zone)
            elif isinstance(dtype, pl.Duration) and dtype.time_unit != "us":
                casts[name] = pl.Duration("us")
            elif isinstance(dtype, pl.Datetime) and dtype.time_zone not in (None, "UTC"):
                casts[name] = pl.Datetime("us", "UTC")
        return frame.cast(casts) if casts else frame  # type: ignore[arg-type]

    def kind_query(self, table: TableName) -> tuple[str, list[object]]:
        return (
            "SELECT c.relkind FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s",
            [table.schema, table.table],
        )

    def table_kind(self, found: object) -> str:
        kinds = {"r": "BASE TABLE", "p": "partitioned table", "v": "VIEW", "m": "materialized view"}
        kinds |= {"f": "foreign table", "S": "sequence", "i": "index", "c": "composite type"}
        return kinds.get(str(found), f"relation of kind {found}")

    mark_place: ClassVar[str] = "the table's comment"
    # The staged batches are rows of `_hygge.batches`, committed with each ingest: no index on
    # the staging table's `_hygge_seq` and no scan of it per write (README, PostgreSQL figures).
    batch_records: ClassVar[bool] = True

    def relaxed_commit(self) -> list[str]:
        # A staged batch's commit need not wait for its WAL flush: no checkpoint lists the
        # batch until `sync` has committed a write of its own with the session's setting (on
        # by default), and PostgreSQL's WAL is one sequence, so that commit is durable only
        # with every batch committed before it. A server crash before then (kill -9, power)
        # may lose the last batches, each with its `_hygge.batches` row (one transaction):
        # `sync` then finds them missing and the chunk is read again; they were never listed.
        # The publish commits with the session's setting, as every other step does.
        return ["SET LOCAL synchronous_commit = off"]

    def mark_query(self, table: TableName) -> tuple[str, list[object]]:
        return (
            "SELECT pg_catalog.obj_description(c.oid, 'pg_class') FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s "
            "AND c.relname = %s",
            [table.schema, table.table],
        )

    def mark_table(self, table: TableName, mark: str) -> list[str]:
        # DDL binds no parameters; a mark is `hygge:` and hex digits, quoted all the same.
        return [f"COMMENT ON TABLE {self.sql(table)} IS '{mark.replace(chr(39), chr(39) * 2)}'"]

    def columns_query(self, table: TableName) -> tuple[str, list[object]]:
        return (
            "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) "
            "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s "
            "AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            [table.schema, table.table],
        )

    def create_schema(self, schema: str) -> list[str]:
        # Two sessions' `CREATE ... IF NOT EXISTS` of one name at once: the second fails on
        # the catalog's unique index (pg_namespace, pg_type) instead of finding it made, so a
        # transaction lock per schema makes it wait for the first, then find it.
        return [self._xact_lock(f"schema {schema}"), *super().create_schema(schema)]

    def _xact_lock(self, key: str) -> str:
        digest = hashlib.sha256(key.encode()).digest()[:8]
        return f"SELECT pg_advisory_xact_lock({int.from_bytes(digest, 'big', signed=True)})"

    def create_records(self) -> list[str]:
        return [
            *self.create_schema(HYGGE_SCHEMA),  # its tables made under the same lock
            f"CREATE TABLE IF NOT EXISTS {self.bookkeeping('owners')} (target text PRIMARY "
            "KEY, owner text NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.bookkeeping('commits')} (target text PRIMARY "
            "KEY, record text NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.bookkeeping('runs')} (target text, run_id text, "
            "PRIMARY KEY (target, run_id))",
            f"CREATE TABLE IF NOT EXISTS {self.bookkeeping('stagings')} (location text PRIMARY "
            "KEY, target text NOT NULL, run_id text NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.bookkeeping('batches')} (location text, seq "
            "integer, PRIMARY KEY (location, seq))",
        ]

    def alter_column(self, table: TableName, column: str, kind: str) -> list[str]:
        return [f"ALTER TABLE {self.sql(table)} ALTER COLUMN {self.quote(column)} TYPE {kind}"]

    swaps: ClassVar[bool] = True

    def swap(
        self, target: TableName, staging: TableName, reserved: Sequence[str]
    ) -> list[str] | None:
        moved = TableName(target.schema, staging.table)
        drops = ", ".join(f"DROP COLUMN {self.quote(name)}" for name in reserved)
        return [
            *([f"ALTER TABLE {self.sql(staging)} {drops}"] if reserved else []),
            f"ALTER TABLE {self.sql(staging)} SET SCHEMA {self.quote(target.schema)}",
            f"ALTER TABLE {self.sql(moved)} RENAME TO {self.quote(target.table)}",
        ]

    def lock_target(self, target: TableName) -> list[str]:
        # READ COMMITTED: a publish that read no owner while another one ran would write over
        # it once that commits; a transaction lock per table makes the second wait, then read.
        return [self._xact_lock(self.key(target))]

    def merge(
        self, target: TableName, staging: TableName, columns: Sequence[str], keys: Sequence[str]
    ) -> list[str]:
        listed = ", ".join(self.quote(c) for c in columns)
        conflict = ", ".join(self.quote(k) for k in keys)
        updates = ", ".join(
            f"{self.quote(c)} = EXCLUDED.{self.quote(c)}" for c in columns if c not in keys
        )
        action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        return [
            f"CREATE UNIQUE INDEX IF NOT EXISTS {self.quote(self.index_name(target))} ON "
            f"{self.sql(target)} ({conflict})",
            f"INSERT INTO {self.sql(target)} ({listed}) {self.latest(staging, columns, keys)} "
            f"ON CONFLICT ({conflict}) {action}",
        ]
