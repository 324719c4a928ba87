"""`type: mssql`: an entity's rows in a SQL Server / Azure SQL table, through pyodbc.

    store:
      type: mssql
      connection: warehouse            # or server: + database: inline (Azure AD auth)
      table: dbo.{entity}
      batch_size: 102400               # rows per fast_executemany (a columnstore rowgroup)
      parallel_workers: 8              # connections loading the staging table at once

Batches load into a heap staging table in `_hygge` by `fast_executemany` over
`parallel_workers` connections (`odbc_load`), after the step's own transaction (which creates
or widens the staging table) commits. The publish is one transaction: full_drop drops and
recreates the table (clustered columnstore by default) and inserts the staged rows,
incremental inserts, merge runs one `MERGE … WITH (HOLDLOCK)`; the commit record with them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar, Literal

import polars as pl
from pydantic import Field, model_validator

from hygge.connections import MssqlConnection
from hygge.connections.sql import ODBC_DRIVER_18, YesNo
from hygge.errors import ConfigError
from hygge.stores.base import StoreCapabilities
from hygge.stores.sql.mssql_dialect import MssqlDialect
from hygge.stores.sql.names import TableName
from hygge.stores.sql.odbc_load import AccessToken, Connect, insert_rows, odbc_connector
from hygge.stores.sql.store import RUN_TYPES, ServerStoreConfig, SqlStore
from hygge.types import Place

ROWGROUP = 102_400  # the original's batch_size: one compressed columnstore rowgroup


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
        self, connect: Connect, label: str, *, columnstore: bool, batch_size: int, workers: int
    ) -> None:
        self.connect, self._label = connect, label
        self.dialect = MssqlDialect(columnstore)
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


class MssqlStoreConfig(ServerStoreConfig):
    """A SQL Server / Azure SQL table; see the module docstring and `sql.store`."""

    type: Literal["mssql"] = "mssql"
    server: str | None = Field(None, min_length=1, description="Inline (without connection).")
    database: str | None = Field(None, min_length=1)
    driver: str = Field(ODBC_DRIVER_18, min_length=1)
    encrypt: YesNo = True
    trust_cert: YesNo = True
    timeout: int = Field(30, ge=1)
    batch_size: int | None = Field(ROWGROUP, ge=1, description="Rows per fast_executemany.")
    parallel_workers: int = Field(8, ge=1, le=16, description="Connections loading at once.")
    columnstore: bool = Field(True, description="Tables hygge creates get a clustered CCI.")
    table_hints: str | None = Field(
        None, description="Accepted from the original (not applied: hygge loads a staging heap)."
    )
    write_strategy: str | None = Field(None, description="The original's; always staged.")
    options: dict[str, object] = Field(default_factory=dict, description="Free-form (original).")

    capabilities: ClassVar[StoreCapabilities] = StoreCapabilities(
        run_types=RUN_TYPES,
        merge_strategies=frozenset({"upsert"}),
        transactional=True,
        atomic_visibility=RUN_TYPES,
        preferred_batch_size=ROWGROUP,
    )

    @model_validator(mode="after")
    def _one_or_the_other(self) -> MssqlStoreConfig:
        inline = self.server is not None or self.database is not None
        if self.connection is not None and inline:
            raise ValueError("give `connection` or `server` + `database`, not both")
        if self.connection is None and (self.server is None or self.database is None):
            raise ValueError("an mssql store needs `connection`, or `server` and `database`")
        return self

    def open(self, place: Place) -> SqlStore:
        return SqlStore(self, self.open_database(place), place)

    def connection_config(self, place: Place) -> MssqlConnection:
        """The named connection, or one made of the inline fields (Azure AD auth)."""
        if self.connection is None:
            return MssqlConnection(
                server=self.server, database=self.database, driver=self.driver,
                encrypt=self.encrypt, trust_cert=self.trust_cert, timeout=self.timeout,
            )  # fmt: skip
        found = place.connections.get(self.connection)
        if not isinstance(found, MssqlConnection):
            known = ", ".join(sorted(place.connections)) or "none"
            raise ConfigError(
                f"mssql store of {place.flow}.{place.entity}: `connection: {self.connection}` "
                f"is not a type: mssql connection of hygge.yml (connections there: {known})",
                hint="add connections: {warehouse: {type: mssql, server: …, database: …}}",
            )
        return found

    def open_database(self, place: Place) -> MssqlDatabase:
        connection = self.connection_config(place)
        secrets = connection.resolve_secrets(str(self.connection or "inline"), os.environ)
        token = AccessToken() if connection.auth == "azure_ad" else None
        connect = odbc_connector(
            connection.odbc_string(secrets), connection.label(), connection.timeout, token
        )
        return MssqlDatabase(
            connect, connection.label(), columnstore=self.columnstore,
            batch_size=self.rows_per_batch(), workers=self.parallel_workers,
        )  # fmt: skip
