"""A SQL store database that runs nothing: it records every statement the store sends and
answers the catalog and bookkeeping queries from a small model of the tables (SQL Server
cannot run here; tests/unit/stores/test_mssql_statements.py parses what it records)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import polars as pl

from hygge.stores.ownership import StoreOwner
from hygge.stores.sql.dialect import SqlDialect
from hygge.stores.sql.names import TableName


class RecordingSession:
    def __init__(self, database: RecordingDatabase) -> None:
        self.database = database

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        self.database.sent.append((sql, list(params)))

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        self.database.sent.append((sql, list(params)))
        return self.database.answer(sql, list(params))

    def load(self, table: TableName, frame: pl.DataFrame) -> None:
        self.database.loaded.append((table, frame.height))


class RecordingDatabase:
    """`tables`: the tables that exist, with their (name -> type) columns; `owner`: who owns
    the target per hygge's owners table (None: nobody)."""

    def __init__(self, dialect: SqlDialect) -> None:
        self.dialect = dialect
        self.sent: list[tuple[str, list[object]]] = []
        self.loaded: list[tuple[TableName, int]] = []
        self.tables: dict[TableName, dict[str, str]] = {}
        self.owner: StoreOwner | None = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[RecordingSession]:
        yield RecordingSession(self)

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
        owner = [(self.owner.model_dump_json(),)] if self.owner is not None else []
        answers = {
            "SELECT owner": owner,
            self.dialect.bookkeeping("stagings"): [(1,)],
            "SELECT DISTINCT": [(0,), (1,)],  # the two batches a run writes
            "count(*)": [(0,)],
        }
        return next((rows for part, rows in answers.items() if part in sql), [])
