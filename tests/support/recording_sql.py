"""A SQL store database that runs nothing: it records every statement the store sends and
answers the catalog and bookkeeping queries from a small model of the tables (SQL Server
cannot run here; tests/unit/stores/test_mssql_statements.py parses what it records)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import polars as pl

from hygge.stores.ownership import StoreOwner, table_mark
from hygge.stores.sql.dialect import SqlDialect
from hygge.stores.sql.names import TableName


class RecordingSession:
    def __init__(self, database: RecordingDatabase) -> None:
        self.database = database

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        self.database.sent.append((sql, list(params)))
        self.database.model(sql, list(params))

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        self.database.sent.append((sql, list(params)))
        return self.database.answer(sql, list(params))

    def load(self, table: TableName, frame: pl.DataFrame) -> None:
        self.database.loaded.append((table, frame.height))


class RecordingDatabase:
    """`tables`: the tables that exist, with their (name -> type) columns; `owner`: who owns
    the target per hygge's owners table (None: nobody); `marked`: the tables carrying the
    owner's mark (the owned table by default: `mark_owned`)."""

    def __init__(self, dialect: SqlDialect) -> None:
        self.dialect = dialect
        self.sent: list[tuple[str, list[object]]] = []
        self.loaded: list[tuple[TableName, int]] = []
        self.tables: dict[TableName, dict[str, str]] = {}
        self.owner: StoreOwner | None = None
        self.marked: set[TableName] = set()
        self.begun: list[int] = []  # where in `sent` each transaction began
        self.target: TableName | None = None  # the store's table, made when created
        # tables that come to exist, with these columns, when a CREATE TABLE of them is sent
        self.creates: dict[TableName, dict[str, str]] = {}
        self.lock_code = 0  # what a publish lock's request (sp_getapplock) returns
        self.holder: list[tuple[object, ...]] = []  # who holds that lock, as asked

    def own(self, table: TableName, owner: StoreOwner, *, mark: bool = True) -> None:
        """`table` is `owner`'s per the owners table; marked as hygge marks it unless not."""
        self.owner = owner
        if mark:
            self.marked.add(table)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[RecordingSession]:
        self.begun.append(len(self.sent))
        yield RecordingSession(self)

    def model(self, sql: str, params: list[object]) -> None:
        """What a statement changes of the model: the owners row hygge records; the table
        `target` once a statement creates it (CREATE TABLE, or the swap's sp_rename), gone
        with its mark when dropped, marked by the extended property statement."""
        if sql.startswith(f"INSERT INTO {self.dialect.bookkeeping('owners')}"):
            self.owner = StoreOwner.model_validate_json(str(params[1]))
        for table, columns in self.creates.items():
            if sql.startswith(f"CREATE TABLE {self.dialect.sql(table)} "):
                self.tables[table] = columns
        target = self.target
        if target is None:
            return
        if sql == self.dialect.drop_table(target):
            self.tables.pop(target, None)
            self.marked.discard(target)
        if "sp_addextendedproperty" in sql and f"N'{target.table}' END" in sql:
            self.marked.add(target)
        if target in self.tables:
            return
        created = f"CREATE TABLE {self.dialect.sql(target)} "
        renamed = f", N'{target.table}', N'OBJECT'"
        if sql.startswith(created) or (sql.startswith("EXEC sp_rename") and renamed in sql):
            self.tables[target] = {}

    def transaction_of(self, index: int) -> list[str]:
        """The statements sent in the transaction holding `sent[index]`."""
        start = max(b for b in self.begun if b <= index)
        end = min([b for b in self.begun if b > index] + [len(self.sent)])
        return [text for text, _ in self.sent[start:end]]

    def label(self) -> str:
        return f"recording {self.dialect.name}"

    def missing(self) -> bool:
        return False

    def problem(self) -> str | None:
        return None

    def answer(self, sql: str, params: list[object]) -> list[tuple[object, ...]]:
        for table, columns in self.tables.items():
            if (sql, params) == self.dialect.kind_query(table):
                return [("U",)]
            if (sql, params) == self.dialect.columns_query(table):
                return list(columns.items())
            if (sql, params) == self.dialect.mark_query(table):
                marked = table in self.marked and self.owner is not None
                return [(table_mark(self.owner),)] if marked and self.owner else [(None,)]
        owner = [(self.owner.model_dump_json(),)] if self.owner is not None else []
        answers = {
            "sp_getapplock": [(self.lock_code,)],
            "sys.dm_tran_locks": self.holder,
            "SELECT owner": owner,
            self.dialect.bookkeeping("stagings"): [(1,)],
            "SELECT DISTINCT": [(0,), (1,)],  # the two batches a run writes
            "count(*)": [(0,)],
        }
        return next((rows for part, rows in answers.items() if part in sql), [])
