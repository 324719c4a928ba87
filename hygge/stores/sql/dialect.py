"""The dialect seam of the SQL stores: how one database spells what a store does.

A dialect quotes identifiers, maps polars types to column types (and back, to cast a batch to
a staging table's columns), and writes every statement the generic store (`sql.store`) runs:
DDL, hygge's bookkeeping tables, the publish of each run type. Values are always bound
parameters (`mark`); only identifiers, quoted here, and integers hygge computes are in the text.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

import polars as pl

from hygge.errors import DataError
from hygge.stores.sql.names import HYGGE_SCHEMA, TableName

SEQUENCE_COLUMN = "_hygge_seq"  # the artefact (batch) a staged row belongs to
ROW_COLUMN = "_hygge_row"  # the row's place in its batch: staging order, the last of a key
RANK_COLUMN = "_hygge_rank"
_BOOKKEEPING = ("owners", "commits", "runs", "stagings", "batches")


class SqlDialect(ABC):
    """One database's SQL, as the SQL stores write it."""

    name: ClassVar[str]
    mark: ClassVar[str] = "?"  # the bound-parameter marker
    default_schema: ClassVar[str] = ""
    max_name: ClassVar[int] = 128
    case_insensitive: ClassVar[bool] = False  # names compare without regard to case
    key_type: ClassVar[str] = "TEXT"  # bookkeeping key columns
    json_type: ClassVar[str] = "TEXT"  # bookkeeping JSON documents
    mark_place: ClassVar[str] = "the table's mark"  # where the mark is, as refusals say
    # True: each staged batch is recorded in `_hygge.batches` in the transaction that loads it,
    # so the store learns which batches a staging table holds without scanning it. Only for a
    # database whose `load` runs in the session's own transaction (not SQL Server's parallel
    # loaders, which commit on connections of their own).
    batch_records: ClassVar[bool] = False

    # --- names ---------------------------------------------------------------------------

    def quote(self, name: str) -> str:
        """`name` as an identifier: double-quoted, inner quotes doubled."""
        return '"' + name.replace('"', '""') + '"'

    def sql(self, table: TableName) -> str:
        """The quoted table name to put into a statement."""
        if not table.schema:
            return self.quote(table.table)
        return f"{self.quote(table.schema)}.{self.quote(table.table)}"

    def key(self, table: TableName) -> str:
        """The name as hygge's bookkeeping records it (case folded where names ignore case)."""
        text = f"{self.quote(table.schema)}.{self.quote(table.table)}"
        return text.casefold() if self.case_insensitive else text

    def hygge_table(self, name: str) -> TableName:
        """A table of hygge's own (bookkeeping or staging)."""
        return TableName(HYGGE_SCHEMA, name)

    def staging_table(self, target: TableName, run_id: str) -> TableName:
        digest = hashlib.sha256(f"{self.key(target)}\0{run_id}".encode()).hexdigest()[:24]
        return self.hygge_table(f"stage_{digest}")

    def is_staging(self, table: TableName) -> bool:
        return table == self.hygge_table(table.table) and "stage_" in table.table

    def index_name(self, target: TableName) -> str:
        digest = hashlib.sha256(self.key(target).encode()).hexdigest()[:16]
        return f"_hygge_key_{digest}"

    # --- types ---------------------------------------------------------------------------

    @abstractmethod
    def column_type(self, table: TableName, series: pl.Series) -> str:
        """The column type a staged column of `series` gets; DataError naming the column (and
        what to do) for a type this database cannot hold as hygge writes it."""

    @abstractmethod
    def polars_type(self, column_type: str) -> pl.DataType | None:
        """The polars type a batch column is cast to before it loads into a column of
        `column_type` (as the catalog spells it); None: load it as it is."""

    @abstractmethod
    def widens(self, old: str, new: str) -> bool:
        """True if every value of column type `old` is exactly a value of `new`."""

    widenings: ClassVar[str] = "integers to larger integers, REAL to DOUBLE"

    def kept_types(self, frame: pl.DataFrame) -> dict[str, str]:
        """Column types decided by `frame`'s types before `wire` turns them into what the
        loader sends (SQLite's dates and decimals, sent as text); {} for most dialects."""
        return {}

    def wire(self, frame: pl.DataFrame) -> pl.DataFrame:
        """`frame` as the loader sends it (categoricals as text, …)."""
        casts = {
            name: pl.String()
            for name, dtype in frame.schema.items()
            if isinstance(dtype, pl.Categorical | pl.Enum | pl.Null)
        }
        return frame.cast(casts) if casts else frame  # type: ignore[arg-type]

    # --- catalog -------------------------------------------------------------------------

    @abstractmethod
    def kind_query(self, table: TableName) -> tuple[str, list[object]]:
        """A query of one row (one column, the kind: `BASE TABLE`, `VIEW`, …) if `table`
        exists, none if it does not."""

    @abstractmethod
    def columns_query(self, table: TableName) -> tuple[str, list[object]]:
        """A query of `table`'s columns as (name, type) rows, in order."""

    def table_kind(self, found: object) -> str:
        """What `kind_query` returned, as `BASE TABLE`, `VIEW`, …"""
        return str(found)

    # --- the table's mark (whose the table is, on the table itself) ----------------------

    @abstractmethod
    def mark_query(self, table: TableName) -> tuple[str, list[object]]:
        """A query of at most one row, one column: where `table` keeps hygge's mark."""

    def read_mark(self, found: object) -> str | None:
        """The mark in what `mark_query` returned (None: the table carries none)."""
        return None if found is None else str(found)

    @abstractmethod
    def mark_table(self, table: TableName, mark: str) -> list[str]:
        """Statements leaving `mark` on `table` ([] where only `create_table` can)."""

    # --- DDL -----------------------------------------------------------------------------

    @abstractmethod
    def create_records(self) -> list[str]:
        """Statements creating hygge's schema and bookkeeping tables where missing."""

    def bookkeeping(self, name: str) -> str:
        if name not in _BOOKKEEPING:
            raise ValueError(name)
        return self.sql(self.hygge_table(name))

    def create_table(
        self, table: TableName, columns: dict[str, str], mark: str | None = None
    ) -> str:
        """CREATE TABLE; `mark` is for a dialect that keeps it in the creation SQL."""
        listed = ", ".join(f"{self.quote(n)} {kind}" for n, kind in columns.items())
        return f"CREATE TABLE {self.sql(table)} ({listed})"

    def drop_table(self, table: TableName) -> str:
        return f"DROP TABLE IF EXISTS {self.sql(table)}"

    def create_schema(self, schema: str) -> list[str]:
        return [f"CREATE SCHEMA IF NOT EXISTS {self.quote(schema)}"] if schema else []

    def add_column(self, table: TableName, column: str, kind: str) -> str:
        return f"ALTER TABLE {self.sql(table)} ADD COLUMN {self.quote(column)} {kind}"

    @abstractmethod
    def alter_column(self, table: TableName, column: str, kind: str) -> list[str]:
        """Statements widening `column` to `kind` ([] where types are not enforced)."""

    def staging_columns(self) -> dict[str, str]:
        return {SEQUENCE_COLUMN: "INTEGER", ROW_COLUMN: "BIGINT"}

    def relaxed_commit(self) -> list[str]:
        """Statements letting the transaction of one staged batch commit without waiting for
        its log to reach disk; [] where every commit waits. A dialect with them makes the
        store's `sync` wait once for all of them before a checkpoint lists any (`sql.store`)."""
        return []

    def index_staging(self, staging: TableName) -> list[str]:
        """Statements indexing a new staging table's batch column, so each write's delete of
        its own batch (a retried write) does not scan every batch staged before it."""
        return []

    # --- publish -------------------------------------------------------------------------

    def lock_target(self, target: TableName) -> list[str]:
        """Queries making publishes of `target` take turns, so a second publisher (another
        workspace, at once) sees the first's owner record; [] where the database's own
        locks already make it wait before it reads them."""
        return []

    def lock_granted(self, found: list[tuple[object, ...]]) -> bool:
        """Whether a query of `lock_target` that returned `found` took its lock (False: it
        waited its timeout out, and the publish must stop)."""
        return True

    def lock_holder_query(self, target: TableName) -> tuple[str, list[object]] | None:
        """A query of who holds `target`'s publish lock (one row of text columns), for the
        error of a lock not granted; None where the database cannot tell."""
        return None

    def lock_refused(self, target: TableName, found: list[tuple[object, ...]]) -> str:
        """Why the publish lock of `target` was not granted (what `lock_target` returned)."""
        return f"the publish lock of table {target} was not granted ({found})"

    def order(self) -> str:
        return f"{self.quote(SEQUENCE_COLUMN)}, {self.quote(ROW_COLUMN)}"

    def insert(self, target: TableName, staging: TableName, columns: Sequence[str]) -> str:
        """Append every staged row, in staging order."""
        listed = ", ".join(self.quote(c) for c in columns)
        return (
            f"INSERT INTO {self.sql(target)} ({listed}) SELECT {listed} FROM "
            f"{self.sql(staging)} ORDER BY {self.order()}"
        )

    def latest(self, staging: TableName, columns: Sequence[str], keys: Sequence[str]) -> str:
        """The SELECT of the last staged row of each key."""
        listed = ", ".join(self.quote(c) for c in columns)
        partition = ", ".join(self.quote(k) for k in keys)
        ranked = (
            f"SELECT {listed}, row_number() OVER (PARTITION BY {partition} ORDER BY "
            f"{self.quote(SEQUENCE_COLUMN)} DESC, {self.quote(ROW_COLUMN)} DESC) AS "
            f"{self.quote(RANK_COLUMN)} FROM {self.sql(staging)}"
        )
        return f"SELECT {listed} FROM ({ranked}) AS s WHERE {self.quote(RANK_COLUMN)} = 1"

    @abstractmethod
    def merge(
        self, target: TableName, staging: TableName, columns: Sequence[str], keys: Sequence[str]
    ) -> list[str]:
        """Statements upserting the last staged row of each key into `target`."""

    swaps: ClassVar[bool] = False  # a full_drop makes the staging table the target (`swap`)

    def swap(
        self, target: TableName, staging: TableName, reserved: Sequence[str]
    ) -> list[str] | None:
        """Statements making the staging table the target (its old one dropped already),
        dropping hygge's `reserved` columns it has; None: the store creates the target and
        inserts the rows instead."""
        return None

    def refuse(self, table: TableName, column: str, dtype: pl.DataType, why: str) -> DataError:
        return DataError(f"table {table}: column {column} is a {dtype}; {why}")


def decimal_args(text: str) -> tuple[int, int] | None:
    """(precision, scale) of `numeric(p,s)` / `DECIMAL(p, s)`; None for another type."""
    head, _, rest = text.partition("(")
    if head.strip().lower() not in {"numeric", "decimal"} or not rest.endswith(")"):
        return None
    numbers = [part.strip() for part in rest[:-1].split(",")]
    if not all(n.isdigit() for n in numbers) or not 1 <= len(numbers) <= 2:
        return None
    return int(numbers[0]), int(numbers[1]) if len(numbers) == 2 else 0


def decimal_widens(old: str, new: str, integer_digits: dict[str, int]) -> bool:
    """An integer or a decimal into a decimal with room for every digit on both sides."""
    target = decimal_args(new)
    if target is None:
        return False
    precision, scale = target
    if old.lower() in integer_digits:
        return precision - scale >= integer_digits[old.lower()]
    source = decimal_args(old)
    if source is None:
        return False
    return scale >= source[1] and precision - scale >= source[0] - source[1]
