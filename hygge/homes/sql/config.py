"""SQL home configs: `postgres`, `mssql`, `sqlite`, `duckdb` (a table or a query each).

The connection is a named one (`connection:`), or inline: `server` + `database` for mssql
(the original's rule: one or the other), `path` for sqlite and duckdb. Drivers are imported
only when a home opens.
"""

from __future__ import annotations

import builtins
import os
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, model_validator

from hygge.connections import (
    DuckdbConnection,
    MssqlConnection,
    PostgresConnection,
    SqliteConnection,
)
from hygge.connections.base import ConnectionConfig
from hygge.connections.sql import ODBC_DRIVER_18, YesNo
from hygge.errors import ConfigError
from hygge.homes.base import Home, HomeCapabilities, HomeConfig
from hygge.types import Place

if TYPE_CHECKING:
    from hygge.homes.sql.drivers import SqlDriver


class SqlHomeConfig(HomeConfig):
    """What every SQL home reads: a `table` or a `query` (`{entity}` in either)."""

    type: str  # each subclass's YAML tag
    table: str | None = Field(None, description='e.g. dbo.orders or public."{entity}".')
    query: str | None = Field(None, description="A SELECT; it wins over `table` (original).")
    batch_size: int = Field(10_000, ge=1, description="Rows per batch read.")
    key_columns: list[str] = Field(
        default_factory=list,
        description="Columns the rows are read in order of, to resume mid-table (default: "
        "the entity's key columns, else the table's primary key).",
    )
    options: dict[str, Any] = Field(default_factory=dict, description="Free-form (original).")
    partitions: int | None = Field(
        None, ge=1, le=64, description="Key ranges of the window read at once, each "
        "checkpointed on its own (default: the entity's `parallel`, else 1)."
    )  # fmt: skip
    partition_column: str | None = Field(
        None, min_length=1, description="The numeric, date or timestamp column the ranges cut "
        "(default: the first key column, else the watermark column)."
    )  # fmt: skip
    partition_strategy: Literal["range", "quantile"] = Field(
        "range", description="How the ranges are cut: `range` (the default) in equal widths "
        "of the column's min..max; `quantile` at the column's quantiles, so each holds about "
        "as many rows on a skewed key (one more query at begin, which sorts the column)."
    )  # fmt: skip
    retries: int = Field(
        5, ge=1, le=20, description="Tries in a row of a read after transient errors (lost "
        "connection, deadlock, throttling) before the step fails."
    )  # fmt: skip

    capabilities: ClassVar[HomeCapabilities] = HomeCapabilities(
        watermark=True, partitions=True, splits_window=True
    )
    entity_fields: ClassVar[tuple[str, ...]] = ("table", "query")
    connection_type: ClassVar[builtins.type[ConnectionConfig]]

    @model_validator(mode="after")
    def _table_or_query(self) -> SqlHomeConfig:
        if self.table is None and self.query is None:
            raise ValueError(f"a {self.type} home needs `table` or `query`")
        if self.query is not None:
            from hygge.homes.sql.query_check import query_problem

            problem = query_problem(self.query, self.type)
            if problem is not None:
                raise ValueError(
                    f"`query` must be one SELECT, and {problem}; hygge adds its window and "
                    "order around it, so write one SELECT (or WITH … SELECT) with no ';' inside"
                )
        return self

    def named(self, place: Place) -> ConnectionConfig | None:
        """The `connection:` this home names, checked to be of its type."""
        if self.connection is None:
            return None
        found = place.connections.get(self.connection)
        if not isinstance(found, self.connection_type):
            kind = getattr(found, "type", "missing")
            raise ConfigError(
                f"the {self.type} home of {place.flow}.{place.entity} names connection "
                f"'{self.connection}', which is {kind}, not a {self.type} connection",
                hint=f"name a `type: {self.type}` connection of hygge.yml",
            )
        assert isinstance(found, ConnectionConfig)
        return found

    def sql_home(self, place: Place, driver: SqlDriver) -> Home:
        from hygge.connections.retry import RetryPolicy
        from hygge.homes.sql.home import SqlHome

        return SqlHome(
            driver, place, table=self.table, query=self.query,
            batch_size=self.batch_size, key_columns=self.key_columns,
            retry=RetryPolicy(attempts=self.retries), partitions=self.partitions,
            partition_column=self.partition_column,
            partition_strategy=self.partition_strategy,
        )  # fmt: skip


class ServerHomeConfig(SqlHomeConfig):
    """A home on a database server."""

    @property
    def path(self) -> str:
        """What the journal and `hygge list` show after the type: the table, or `query`."""
        return self.table if self.query is None and self.table is not None else "query"


class PostgresHomeConfig(ServerHomeConfig):
    """A PostgreSQL table or query, read by ADBC (Arrow) or psycopg."""

    type: Literal["postgres"] = "postgres"
    driver: Literal["auto", "adbc", "psycopg"] = Field(
        "auto", description="auto: ADBC when installed, else psycopg."
    )
    connection_type: ClassVar[builtins.type[ConnectionConfig]] = PostgresConnection

    @model_validator(mode="after")
    def _named(self) -> PostgresHomeConfig:
        if self.connection is None:
            raise ValueError("a postgres home needs `connection:` (a type: postgres connection)")
        return self

    def open(self, place: Place) -> Home:
        from hygge.homes.sql.postgres import PostgresDriver

        connection = self.named(place)
        assert isinstance(connection, PostgresConnection)
        secrets = connection.resolve_secrets(str(self.connection), os.environ)
        params = connection.libpq_params(secrets)
        return self.sql_home(place, PostgresDriver(params, connection.label(), self.driver))


class MssqlHomeConfig(ServerHomeConfig):
    """A SQL Server / Azure SQL table or query, through pyodbc and ODBC Driver 18."""

    type: Literal["mssql"] = "mssql"
    server: str | None = Field(None, min_length=1, description="Inline (without connection).")
    database: str | None = Field(None, min_length=1)
    driver: str = Field(ODBC_DRIVER_18, min_length=1)
    encrypt: YesNo = True
    trust_cert: YesNo = True
    timeout: int = Field(30, ge=1)
    reader: Literal["auto", "pyodbc", "arrow-odbc"] = Field(
        "auto", description="How rows are fetched: arrow-odbc (columnar) or pyodbc fetchmany; "
        "auto: arrow-odbc when installed and the auth is no Azure AD token, else pyodbc."
    )  # fmt: skip
    row_multiplier: int | None = Field(
        None, ge=1, description="The original's progress interval: progress is now per batch."
    )
    connection_type: ClassVar[builtins.type[ConnectionConfig]] = MssqlConnection

    @model_validator(mode="after")
    def _one_or_the_other(self) -> MssqlHomeConfig:
        inline = self.server is not None or self.database is not None
        if self.connection is not None and inline:
            raise ValueError("give `connection` or `server` + `database`, not both")
        if self.connection is None and (self.server is None or self.database is None):
            raise ValueError("an mssql home needs `connection`, or `server` and `database`")
        return self

    def connection_config(self, place: Place) -> MssqlConnection:
        """The named connection, or one made of the inline fields (Azure AD auth)."""
        named = self.named(place)
        if named is not None:
            assert isinstance(named, MssqlConnection)
            return named
        return MssqlConnection(
            server=self.server, database=self.database, driver=self.driver,
            encrypt=self.encrypt, trust_cert=self.trust_cert, timeout=self.timeout,
        )  # fmt: skip

    def open(self, place: Place) -> Home:
        from hygge.homes.sql.dialect import MSSQL
        from hygge.homes.sql.odbc import OdbcDriver, connection_limit, shared_token

        connection = self.connection_config(place)
        secrets = connection.resolve_secrets(str(self.connection or "inline"), os.environ)
        token = shared_token() if connection.auth == "azure_ad" else None
        driver = OdbcDriver(
            connection.odbc_string(secrets), connection.label(), MSSQL,
            timeout=connection.timeout, token=token,
            limit=connection_limit(connection.label(), connection.pool_size),
            reader=self.reader,
        )  # fmt: skip
        return self.sql_home(place, driver)


class FileDatabaseHomeConfig(SqlHomeConfig):
    """An embedded database file: `path` inline, or a connection's."""

    path: str | None = Field(None, min_length=1, description="The database file.")

    @model_validator(mode="after")
    def _path_or_connection(self) -> FileDatabaseHomeConfig:
        if (self.path is None) == (self.connection is None):
            raise ValueError(f"a {self.type} home needs `path` or `connection` (one of them)")
        return self

    def open(self, place: Place) -> Home:
        from hygge.homes.sql.embedded import FileDatabaseDriver

        named = self.named(place)
        path = self.path if named is None else getattr(named, "path", None)
        assert path is not None
        wait = getattr(self, "lock_timeout", 60)
        driver = FileDatabaseDriver(self.type, place.resolve(path), path, wait)
        return self.sql_home(place, driver)


class SqliteHomeConfig(FileDatabaseHomeConfig):
    """A SQLite table or query (the standard library's sqlite3, read-only)."""

    type: Literal["sqlite"] = "sqlite"
    connection_type: ClassVar[builtins.type[ConnectionConfig]] = SqliteConnection
    lock_timeout: int = Field(
        60, ge=0, le=86_400,
        description="Seconds a read waits for another process's lock on the file that keeps "
        "readers out (SQLite's busy timeout); then the entity fails naming the file.",
    )  # fmt: skip


class DuckdbHomeConfig(FileDatabaseHomeConfig):
    """A DuckDB table or query (read-only, Arrow batches)."""

    type: Literal["duckdb"] = "duckdb"
    connection_type: ClassVar[builtins.type[ConnectionConfig]] = DuckdbConnection
