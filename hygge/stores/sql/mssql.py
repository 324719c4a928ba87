"""`type: mssql`: an entity's rows in a SQL Server / Azure SQL table, through pyodbc.

    store:
      type: mssql
      connection: warehouse            # or server: + database: inline (Azure AD auth)
      table: dbo.{entity}
      batch_size: 102400               # rows per fast_executemany (a columnstore rowgroup)
      parallel_workers: 8              # connections loading the staging table at once

Batches load into a heap staging table in `_hygge` by `fast_executemany` over
`parallel_workers` connections (`odbc_load`), after the step's own transaction (which creates
or widens the staging table) commits. The publish is one transaction, which first takes the
table's publish lock (`sp_getapplock`, waiting up to `lock_timeout` seconds): full_drop swaps the
staged heap in (`MssqlDialect.swap`: old table dropped, `ALTER SCHEMA … TRANSFER`, `sp_rename`,
clustered columnstore built by default), incremental inserts, merge runs one
`MERGE … WITH (HOLDLOCK)`; the table's mark (an extended property) and the commit record with
them. No `TABLOCK` on the load: `fast_executemany` is no bulk-load API, so the hint would be an
exclusive table lock serialising the parallel connections (README.md, SQL Server).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import polars as pl

from hygge.stores.sql.config import LOCK_TIMEOUT
from hygge.stores.sql.mssql_dialect import MssqlDialect
from hygge.stores.sql.names import TableName
from hygge.stores.sql.odbc_load import Connect, insert_rows


def insert_statement(dialect: MssqlDialect, table: TableName, columns: Sequence[str]) -> str:
    listed = ", ".join(dialect.quote(c) for c in columns)
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {dialect.sql(table)} ({listed}) VALUES ({marks})"


class MssqlSession:
    """One transaction on a pyodbc connection; bulk loads queued for after it commits."""

    def __init__(self, connection: Any, database: MssqlDatabase) -> None:
        self.connection, self.database = connection, database
        self.pending: list[tuple[str, pl.DataFrame]] = []

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        with contextlib.closing(self.connection.cursor()) as cursor:
            cursor.execute(sql, *params)

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with contextlib.closing(self.connection.cursor()) as cursor:
            cursor.execute(sql, *params)
            while cursor.description is None and cursor.nextset():
                pass  # a batch's row counts before its result (a DECLARE … SELECT)
            return [tuple(row) for row in cursor.fetchall()]

    def load(self, table: TableName, frame: pl.DataFrame) -> None:
        statement = insert_statement(self.database.dialect, table, frame.columns)
        if self.database.workers <= 1:
            insert_rows(
                self.database.connect, statement, frame,
                batch_size=self.database.batch_size, workers=1, connection=self.connection,
            )  # fmt: skip
            return
        self.pending.append((statement, frame))


class MssqlDatabase:
    """A SQL Server database reached by pyodbc (ODBC Driver 18)."""

    def __init__(
        self,
        connect: Connect,
        label: str,
        *,
        columnstore: bool,
        batch_size: int,
        workers: int,
        lock_timeout: int = LOCK_TIMEOUT,
    ) -> None:
        self.connect, self._label = connect, label
        self.dialect = MssqlDialect(columnstore, lock_timeout)
        self.batch_size, self.workers = batch_size, workers

    @contextlib.contextmanager
    def transaction(self) -> Iterator[MssqlSession]:
        connection = self.connect()
        try:
            session = MssqlSession(connection, self)
            try:
                yield session
            except BaseException:
                connection.rollback()
                raise
            connection.commit()
        finally:
            connection.close()
        for statement, frame in session.pending:  # the staging table is committed now
            insert_rows(
                self.connect, statement, frame,
                batch_size=self.batch_size, workers=self.workers,
            )  # fmt: skip

    def label(self) -> str:
        return self._label

    def missing(self) -> bool:
        return False

    def problem(self) -> str | None:
        return None
