"""SQL Server's spelling of the SQL store (T-SQL): type map, catalog queries, MERGE.

Type map (polars -> SQL Server), the original hygge's with its overflows fixed: Int8/Int16
SMALLINT (TINYINT is unsigned there), UInt8 TINYINT, Int32/UInt16 INT, Int64/UInt32 BIGINT,
UInt64 DECIMAL(20,0), Float32 REAL, Float64 FLOAT, Decimal(p,s) DECIMAL(p,s),
String/Categorical/Enum NVARCHAR(n) sized from the data (longest value x 1.25, at least 16;
NVARCHAR(MAX) past 4000), Null NVARCHAR(16), Binary VARBINARY(MAX), Boolean BIT, Date DATE,
Datetime DATETIME2(6) (DATETIME2(7) for nanoseconds; a time zone is stored as UTC), Time
TIME(6), Duration BIGINT (microseconds). Lists and structs are refused. Tables hygge creates
get a clustered columnstore index unless the store says `columnstore: false`.

A publish first takes an exclusive application lock of its table (`sp_getapplock`, owned by
the transaction, so released by its commit or rollback): two publishes into one table (two
workspaces, or two runs of one) take turns, the second reading the first's owner record. One
that waits `lock_timeout` seconds stops with an error naming the table and, where the login
may read `sys.dm_tran_locks`, the session holding the lock.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import ClassVar

import polars as pl

from hygge.stores.sql.config import LOCK_TIMEOUT
from hygge.stores.sql.dialect import (
    ROW_COLUMN,
    SEQUENCE_COLUMN,
    SqlDialect,
    decimal_args,
    decimal_widens,
)
from hygge.stores.sql.names import HYGGE_SCHEMA, TableName

_INTEGERS = ("TINYINT", "SMALLINT", "INT", "BIGINT")
_DIGITS = {"tinyint": 3, "smallint": 5, "int": 10, "bigint": 19}
_SIMPLE: dict[type[pl.DataType], str] = {
    pl.Int8: "SMALLINT",
    pl.Int16: "SMALLINT",
    pl.UInt8: "TINYINT",
    pl.Int32: "INT",
    pl.UInt16: "INT",
    pl.Int64: "BIGINT",
    pl.UInt32: "BIGINT",
    pl.UInt64: "DECIMAL(20,0)",
    pl.Float32: "REAL",
    pl.Float64: "FLOAT",
    pl.Null: "NVARCHAR(16)",
    pl.Binary: "VARBINARY(MAX)",
    pl.Boolean: "BIT",
    pl.Date: "DATE",
    pl.Time: "TIME(6)",
    pl.Duration: "BIGINT",
}
_BACK: dict[str, pl.DataType] = {
    "TINYINT": pl.UInt8(),
    "SMALLINT": pl.Int16(),
    "INT": pl.Int32(),
    "BIGINT": pl.Int64(),
    "REAL": pl.Float32(),
    "FLOAT": pl.Float64(),
    "BIT": pl.Boolean(),
    "DATE": pl.Date(),
    "VARBINARY(MAX)": pl.Binary(),
}
_MARK = "N'hygge'"  # the extended property holding hygge's mark on a table it created
MAX_SIZED = 4000  # NVARCHAR(n) up to here; NVARCHAR(MAX) past it
_MARGIN = 1.25
# sp_getapplock's return codes below 0: the lock was not granted
_NOT_GRANTED = {
    -1: "it waited its timeout out",
    -2: "the request was cancelled",
    -3: "it was chosen as a deadlock victim",
    -999: "SQL Server refused the request (a parameter or another error)",
}


def literal(text: str) -> str:
    """`text` as a T-SQL N'' literal (for DDL, where T-SQL binds no parameters)."""
    return "N'" + text.replace("'", "''") + "'"


def nvarchar_size(kind: str) -> int | None:
    """n of NVARCHAR(n) (MAX as a size past any n); None for another type."""
    upper = kind.upper().replace(" ", "")
    if not upper.startswith("NVARCHAR(") or not upper.endswith(")"):
        return None
    inner = upper[len("NVARCHAR(") : -1]
    return MAX_SIZED + 1 if inner == "MAX" else int(inner) if inner.isdigit() else None


class MssqlDialect(SqlDialect):
    name: ClassVar[str] = "mssql"
    default_schema: ClassVar[str] = "dbo"
    max_name: ClassVar[int] = 128
    case_insensitive: ClassVar[bool] = True
    widenings: ClassVar[str] = (
        "TINYINT to SMALLINT to INT to BIGINT, REAL to FLOAT, integers and decimals to decimals "
        "with room for every digit, NVARCHAR(n) to a longer NVARCHAR or NVARCHAR(MAX)"
    )

    def __init__(self, columnstore: bool = True, lock_timeout: int = LOCK_TIMEOUT) -> None:
        self.columnstore, self.lock_timeout = columnstore, lock_timeout

    def quote(self, name: str) -> str:
        return "[" + name.replace("]", "]]") + "]"

    def column_type(self, table: TableName, series: pl.Series) -> str:
        dtype = series.dtype
        if isinstance(dtype, pl.Datetime):
            return "DATETIME2(7)" if dtype.time_unit == "ns" else "DATETIME2(6)"
        if isinstance(dtype, pl.Decimal):
            return f"DECIMAL({dtype.precision or 38},{dtype.scale})"
        if isinstance(dtype, pl.String | pl.Categorical | pl.Enum):
            longest = series.cast(pl.String).str.len_chars().max()
            size = max(16, math.ceil(int(str(longest or 0)) * _MARGIN))
            return "NVARCHAR(MAX)" if size > MAX_SIZED else f"NVARCHAR({size})"
        found = _SIMPLE.get(dtype.base_type())
        if found is None:
            raise self.refuse(
                table, series.name, dtype,
                "SQL Server columns hold no nested values as hygge writes them. Cast it to "
                "JSON text in the home, or use a parquet or Delta store",
            )  # fmt: skip
        return found

    def polars_type(self, column_type: str) -> pl.DataType | None:
        upper = column_type.upper().replace(" ", "")
        args = decimal_args(upper)
        if args is not None:
            return pl.Decimal(*args)
        if nvarchar_size(upper) is not None:
            return pl.String()
        if upper.startswith("DATETIME2"):
            return pl.Datetime("ns" if upper == "DATETIME2(7)" else "us")
        if upper.startswith("TIME"):
            return pl.Time()
        return _BACK.get(upper)

    def widens(self, old: str, new: str) -> bool:
        old, new = old.upper().replace(" ", ""), new.upper().replace(" ", "")
        if old == new:
            return True
        if old in _INTEGERS and new in _INTEGERS:
            return _INTEGERS.index(old) < _INTEGERS.index(new)
        if new == "FLOAT":
            return old in {"REAL", "TINYINT", "SMALLINT", "INT"}
        sizes = nvarchar_size(old), nvarchar_size(new)
        if sizes[0] is not None and sizes[1] is not None:
            return sizes[0] <= sizes[1]
        return decimal_widens(old.lower(), new.lower(), _DIGITS)

    def wire(self, frame: pl.DataFrame) -> pl.DataFrame:
        frame = super().wire(frame)
        changes = []
        for name, dtype in frame.schema.items():
            if isinstance(dtype, pl.Datetime) and dtype.time_zone:
                utc = pl.col(name).dt.convert_time_zone("UTC").dt.replace_time_zone(None)
                changes.append(utc.alias(name))
            elif isinstance(dtype, pl.Duration):
                changes.append(pl.col(name).dt.total_microseconds().alias(name))
        return frame.with_columns(changes) if changes else frame

    def kind_query(self, table: TableName) -> tuple[str, list[object]]:
        return (
            "SELECT o.type FROM sys.objects AS o JOIN sys.schemas AS s ON s.schema_id = "
            "o.schema_id WHERE s.name = ? AND o.name = ? AND o.type IN ('U', 'V')",
            [table.schema, table.table],
        )

    def table_kind(self, found: object) -> str:
        return {"U": "BASE TABLE", "V": "VIEW"}.get(str(found).strip(), str(found))

    mark_place: ClassVar[str] = "the table's extended property hygge"

    def mark_query(self, table: TableName) -> tuple[str, list[object]]:
        return (
            "SELECT CAST(p.value AS NVARCHAR(200)) FROM sys.extended_properties AS p WHERE "
            f"p.class = 1 AND p.major_id = OBJECT_ID(?) AND p.minor_id = 0 AND p.name = {_MARK}",
            [self.sql(table)],
        )

    def mark_table(self, table: TableName, mark: str) -> list[str]:
        # name, value, level0 type and name, level1 type and name (positional: sqlglot reads
        # no `@name =` arguments, and the tests parse every statement sent)
        arguments = (
            f"{_MARK}, {literal(mark)}, N'SCHEMA', {literal(table.schema)}, N'TABLE', "
            f"{literal(table.table)}"
        )
        found = (
            "SELECT 1 FROM sys.extended_properties WHERE class = 1 AND major_id = "
            f"OBJECT_ID({literal(self.sql(table))}) AND minor_id = 0 AND name = {_MARK}"
        )
        return [
            f"IF EXISTS ({found}) BEGIN EXEC sys.sp_updateextendedproperty {arguments} END "
            f"ELSE BEGIN EXEC sys.sp_addextendedproperty {arguments} END"
        ]

    def columns_query(self, table: TableName) -> tuple[str, list[object]]:
        size = (
            "CASE WHEN c.max_length = -1 THEN 'MAX' ELSE CAST(c.max_length / 2 AS VARCHAR(10)) END"
        )
        kind = (
            "CASE WHEN t.name IN ('nvarchar', 'nchar') THEN 'NVARCHAR(' + "
            f"{size} + ')' WHEN t.name IN ('varbinary') THEN 'VARBINARY(' + CASE WHEN "
            "c.max_length = -1 THEN 'MAX' ELSE CAST(c.max_length AS VARCHAR(10)) END + ')' "
            "WHEN t.name IN ('decimal', 'numeric') THEN 'DECIMAL(' + CAST(c.precision AS "
            "VARCHAR(10)) + ',' + CAST(c.scale AS VARCHAR(10)) + ')' WHEN t.name IN "
            "('datetime2', 'time') THEN UPPER(t.name) + '(' + CAST(c.scale AS VARCHAR(10)) + "
            "')' ELSE UPPER(t.name) END"
        )
        return (
            f"SELECT c.name, {kind} FROM sys.columns AS c JOIN sys.types AS t ON "
            "t.user_type_id = c.user_type_id WHERE c.object_id = OBJECT_ID(?) ORDER BY "
            "c.column_id",
            [self.sql(table)],
        )

    def create_records(self) -> list[str]:
        tables = {
            "owners": "target NVARCHAR(300) NOT NULL PRIMARY KEY, owner NVARCHAR(MAX) NOT NULL",
            "commits": "target NVARCHAR(300) NOT NULL PRIMARY KEY, record NVARCHAR(MAX) NOT NULL",
            "runs": "target NVARCHAR(300) NOT NULL, run_id NVARCHAR(128) NOT NULL, "
            "PRIMARY KEY (target, run_id)",
            "stagings": "location NVARCHAR(128) NOT NULL PRIMARY KEY, target NVARCHAR(300) "
            "NOT NULL, run_id NVARCHAR(128) NOT NULL",
        }
        statements = self.create_schema(HYGGE_SCHEMA)
        for name, columns in tables.items():
            table = self.bookkeeping(name)
            statements.append(
                f"IF OBJECT_ID({literal(table)}, N'U') IS NULL CREATE TABLE {table} ({columns})"
            )
        return statements

    def create_schema(self, schema: str) -> list[str]:
        create = literal(f"CREATE SCHEMA {self.quote(schema)}")
        return [f"IF SCHEMA_ID({literal(schema)}) IS NULL BEGIN EXEC sp_executesql {create} END"]

    def create_table(
        self, table: TableName, columns: dict[str, str], mark: str | None = None
    ) -> str:
        listed = ", ".join(f"{self.quote(n)} {kind} NULL" for n, kind in columns.items())
        create = f"CREATE TABLE {self.sql(table)} ({listed})"
        if not self.columnstore or self.is_staging(table):
            return create  # staging is a heap: the fastest to load
        index = self.quote(f"cci_{self.index_name(table)}")
        return f"{create};\nCREATE CLUSTERED COLUMNSTORE INDEX {index} ON {self.sql(table)}"

    def add_column(self, table: TableName, column: str, kind: str) -> str:
        return f"ALTER TABLE {self.sql(table)} ADD {self.quote(column)} {kind} NULL"

    def alter_column(self, table: TableName, column: str, kind: str) -> list[str]:
        return [f"ALTER TABLE {self.sql(table)} ALTER COLUMN {self.quote(column)} {kind} NULL"]

    def staging_columns(self) -> dict[str, str]:
        return {SEQUENCE_COLUMN: "INT", ROW_COLUMN: "BIGINT"}

    swaps: ClassVar[bool] = True

    def swap(
        self, target: TableName, staging: TableName, reserved: Sequence[str]
    ) -> list[str] | None:
        """The staged heap becomes the table (its old one dropped already, in the same
        transaction): readers wait on the schema lock, then see the new rows, never none."""
        moved = TableName(target.schema, staging.table)
        drops = ", ".join(self.quote(name) for name in reserved)
        statements = [
            *([f"ALTER TABLE {self.sql(staging)} DROP COLUMN {drops}"] if reserved else []),
            f"ALTER SCHEMA {self.quote(target.schema)} TRANSFER {self.sql(staging)}",
            f"EXEC sp_rename {literal(self.sql(moved))}, {literal(target.table)}, N'OBJECT'",
        ]
        if self.columnstore:
            index = self.quote(f"cci_{self.index_name(target)}")
            statements.append(f"CREATE CLUSTERED COLUMNSTORE INDEX {index} ON {self.sql(target)}")
        return statements

    def lock_resource(self, target: TableName) -> str:
        """The application lock's name for `target` (short enough that `sys.dm_tran_locks`
        shows it whole: it truncates names past 32 characters)."""
        return "hygge:" + hashlib.sha256(self.key(target).encode()).hexdigest()[:24]

    def lock_target(self, target: TableName) -> list[str]:
        # positional arguments: @Resource, @LockMode, @LockOwner, @LockTimeout (milliseconds);
        # the return code is the batch's one result (NOCOUNT: no row counts before it)
        return [
            "SET NOCOUNT ON; DECLARE @granted INT; EXEC @granted = sys.sp_getapplock "
            f"{literal(self.lock_resource(target))}, N'Exclusive', N'Transaction', "
            f"{self.lock_timeout * 1000}; SELECT @granted"
        ]

    def lock_granted(self, found: list[tuple[object, ...]]) -> bool:
        return bool(found) and _code(found) >= 0

    def lock_holder_query(self, target: TableName) -> tuple[str, list[object]] | None:
        return (
            "SELECT TOP 1 CAST(l.request_session_id AS NVARCHAR(20)), s.login_name, "
            "s.host_name, s.program_name FROM sys.dm_tran_locks AS l LEFT JOIN "
            "sys.dm_exec_sessions AS s ON s.session_id = l.request_session_id WHERE "
            "l.resource_type = N'APPLICATION' AND l.request_status = N'GRANT' AND "
            "l.resource_database_id = DB_ID() AND l.request_session_id <> @@SPID AND "
            "l.resource_description LIKE ?",
            [f"%[[]{self.lock_resource(target)}]%"],
        )

    def lock_refused(self, target: TableName, found: list[tuple[object, ...]]) -> str:
        code = _code(found) if found else None
        why = _NOT_GRANTED.get(code, f"it returned {code}") if code is not None else "no result"
        return (
            f"the publish lock of table {target} (sp_getapplock of "
            f"{self.lock_resource(target)!r}, exclusive, waiting up to {self.lock_timeout} s) "
            f"was not granted: {why}"
        )

    def merge(
        self, target: TableName, staging: TableName, columns: Sequence[str], keys: Sequence[str]
    ) -> list[str]:
        on = " AND ".join(
            f"(t.{self.quote(k)} = s.{self.quote(k)} OR (t.{self.quote(k)} IS NULL AND "
            f"s.{self.quote(k)} IS NULL))"
            for k in keys
        )
        listed = ", ".join(self.quote(c) for c in columns)
        values = ", ".join(f"s.{self.quote(c)}" for c in columns)
        updates = ", ".join(
            f"t.{self.quote(c)} = s.{self.quote(c)}" for c in columns if c not in keys
        )
        matched = f" WHEN MATCHED THEN UPDATE SET {updates}" if updates else ""
        return [
            f"MERGE INTO {self.sql(target)} WITH (HOLDLOCK) AS t USING ("
            f"{self.latest(staging, columns, keys)}) AS s ON {on}{matched} WHEN NOT MATCHED BY "
            f"TARGET THEN INSERT ({listed}) VALUES ({values});"
        ]


def _code(found: list[tuple[object, ...]]) -> int:
    value = found[0][0]
    return int(str(value)) if value is not None else -999
