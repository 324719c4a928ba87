"""The SQL store configs (`postgres`, `sqlite`, `mssql`): what a store block says.

Nothing here imports a driver or a data library: a store's behaviour (`sql.store`, each
technology's module) is imported when a config opens its store.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field, model_validator

from hygge.connections import MssqlConnection, PostgresConnection, SqliteConnection
from hygge.connections.sql import ODBC_DRIVER_18, YesNo
from hygge.errors import ConfigError
from hygge.stores.base import StoreCapabilities, StoreConfig
from hygge.stores.sql.names import entity_table
from hygge.types import Place, RunType

if TYPE_CHECKING:
    from hygge.stores.sql.mssql import MssqlDatabase
    from hygge.stores.sql.postgres import PostgresDatabase
    from hygge.stores.sql.store import SqlStore

RUN_TYPES = frozenset(RunType)
ROWGROUP = 102_400  # the original's mssql batch_size: one compressed columnstore rowgroup
LOCK_TIMEOUT = 600  # seconds an mssql publish waits for another publish of its table


class SqlStoreConfig(StoreConfig):
    """What every SQL store takes: a `table` (with `{entity}`), `if_exists`, merge keys."""

    type: str
    table: str = Field("{entity}", description="`name` or `schema.name`; may hold {entity}.")
    db_schema: str | None = Field(None, alias="schema", description="The table's schema.")
    if_exists: Literal["fail", "append", "replace"] = Field(
        "fail",
        description="A table hygge did not create: fail (refuse, the default), append (write "
        "into it, keeping its rows: no full_drop), replace (drop it, create it from the data).",
    )
    key_columns: list[str] = Field(
        default_factory=list, description="Merge keys (set from the entity's key_columns)."
    )

    entity_fields: ClassVar[tuple[str, ...]] = ("table",)
    capabilities: ClassVar[StoreCapabilities] = StoreCapabilities(
        run_types=RUN_TYPES,
        merge_strategies=frozenset({"upsert"}),
        transactional=True,
        empty_tables=True,
        atomic_visibility=RUN_TYPES,
        preferred_batch_size=100_000,
    )
    # the database's naming rules, as its dialect has them (no dialect is imported here)
    default_schema: ClassVar[str] = ""
    max_name: ClassVar[int] = 128
    folds_case: ClassVar[bool] = False  # names compare without regard to case

    def table_key(self, root: Path, entity: str) -> str | None:
        where = self.database_key(root)
        if where is None:
            return None
        try:
            name = entity_table(
                self.table, self.db_schema, entity, "table",
                default_schema=self.default_schema, max_name=self.max_name,
            )  # fmt: skip
        except ConfigError:
            return None  # the store names the problem when it opens
        key = f"{self.type} {where} {_quoted(name.schema)}.{_quoted(name.table)}"
        return key.casefold() if self.folds_case else key

    def database_key(self, root: Path) -> str | None:
        """The database the table is in, as two stores naming it would spell it alike."""
        return f"connection {self.connection}" if self.connection else None


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class ServerStoreConfig(SqlStoreConfig):
    """A SQL store on a database server (reached by `connection:`)."""

    @property
    def path(self) -> str:
        """What the journal and `hygge list` show after the type: the table."""
        return self.table if self.db_schema is None else f"{self.db_schema}.{self.table}"


class PostgresStoreConfig(ServerStoreConfig):
    """A PostgreSQL table; see the module docstring and `sql.store`."""

    type: Literal["postgres"] = "postgres"
    table: str = "{entity}"
    default_schema: ClassVar[str] = "public"
    max_name: ClassVar[int] = 63  # hygge quotes every name: case is kept, `Orders` ≠ `orders`

    entity_fields: ClassVar[tuple[str, ...]] = ("table",)

    @model_validator(mode="after")
    def _named(self) -> PostgresStoreConfig:
        if self.connection is None:
            raise ValueError("a postgres store needs `connection:` (a type: postgres connection)")
        return self

    def open(self, place: Place) -> SqlStore:
        from hygge.stores.sql.store import SqlStore

        return SqlStore(self, self.database(place), place)

    def database(self, place: Place) -> PostgresDatabase:
        from hygge.stores.sql.postgres import PostgresDatabase

        where = f"postgres store of {place.flow}.{place.entity}"
        found = place.connections.get(self.connection or "")
        if not isinstance(found, PostgresConnection):
            known = ", ".join(sorted(place.connections)) or "none"
            raise ConfigError(
                f"{where}: `connection: {self.connection}` is not a type: postgres connection "
                f"of hygge.yml (connections there: {known})",
                hint="add connections: {pg: {type: postgres, url: postgresql://user@host:5432/"
                "db}} to hygge.yml and set `connection: pg` on the store",
            )
        secrets = found.resolve_secrets(str(self.connection), os.environ)
        return PostgresDatabase(found.libpq_params(secrets), found.label())


class SqliteStoreConfig(SqlStoreConfig):
    """A table in a SQLite database file; see the module docstring and `sql.store`."""

    type: Literal["sqlite"] = "sqlite"
    path: str | None = Field(
        None, description="The database file, relative to the workspace (or `connection:`)."
    )
    lock_timeout: int = Field(
        60, ge=0, le=86_400,
        description="Seconds a write waits for another process's write lock on the file "
        "(SQLite's busy timeout).",
    )  # fmt: skip
    options: dict[str, object] = Field(default_factory=dict, description="Free-form (original).")
    default_schema: ClassVar[str] = "main"
    max_name: ClassVar[int] = 255
    folds_case: ClassVar[bool] = True

    def database_key(self, root: Path) -> str | None:
        if self.path is None or self.path.startswith("~"):
            return None  # a connection's file (the loader passes it as `path`), or refused
        return os.path.realpath(root / self.path)

    entity_fields: ClassVar[tuple[str, ...]] = ("table",)

    @model_validator(mode="after")
    def _path_or_connection(self) -> SqliteStoreConfig:
        if (self.path is None) == (self.connection is None):
            raise ValueError("a sqlite store needs `path` or `connection` (one of them)")
        return self

    def open(self, place: Place) -> SqlStore:
        from hygge.stores.sql.sqlite import SqliteDatabase
        from hygge.stores.sql.store import SqlStore

        database = SqliteDatabase(self.database_path(place), self.lock_timeout)
        store = SqlStore(self, database, place)
        if store.target.schema.casefold() != "main":
            raise ConfigError(
                f"sqlite store of {place.flow}.{place.entity}: table '{self.table}' names "
                f"schema {store.target.schema}; a SQLite store writes the file's main schema",
                hint="write the table without a schema",
            )
        return store

    def database_path(self, place: Place) -> Path:
        if self.path is not None:
            return place.resolve(self.path)
        found = place.connections.get(self.connection or "")
        if not isinstance(found, SqliteConnection):
            known = ", ".join(sorted(place.connections)) or "none"
            raise ConfigError(
                f"sqlite store of {place.flow}.{place.entity}: `connection: {self.connection}` "
                f"is not a type: sqlite connection of hygge.yml (connections there: {known})",
                hint="add connections: {db: {type: sqlite, path: lake.sqlite}}, or set `path`",
            )
        return place.resolve(found.path)


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
    lock_timeout: int = Field(
        LOCK_TIMEOUT, ge=1, le=86_400,
        description="Seconds a publish waits for another publish of the same table.",
    )  # fmt: skip
    table_hints: str | None = Field(
        None, description="Accepted from the original (not applied: hygge loads a staging heap)."
    )
    write_strategy: str | None = Field(None, description="The original's; always staged.")
    options: dict[str, object] = Field(default_factory=dict, description="Free-form (original).")

    capabilities: ClassVar[StoreCapabilities] = StoreCapabilities(
        run_types=RUN_TYPES,
        merge_strategies=frozenset({"upsert"}),
        transactional=True,
        empty_tables=True,
        atomic_visibility=RUN_TYPES,
        preferred_batch_size=ROWGROUP,
    )
    default_schema: ClassVar[str] = "dbo"
    folds_case: ClassVar[bool] = True  # the default collations ignore case

    def database_key(self, root: Path) -> str | None:
        if self.connection is not None:
            return f"connection {self.connection}"
        return f"server {self.server} database {self.database}"

    @model_validator(mode="after")
    def _one_or_the_other(self) -> MssqlStoreConfig:
        inline = self.server is not None or self.database is not None
        if self.connection is not None and inline:
            raise ValueError("give `connection` or `server` + `database`, not both")
        if self.connection is None and (self.server is None or self.database is None):
            raise ValueError("an mssql store needs `connection`, or `server` and `database`")
        return self

    def open(self, place: Place) -> SqlStore:
        from hygge.stores.sql.store import SqlStore

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
        from hygge.stores.sql.mssql import MssqlDatabase
        from hygge.stores.sql.odbc_load import AccessToken, odbc_connector

        connection = self.connection_config(place)
        secrets = connection.resolve_secrets(str(self.connection or "inline"), os.environ)
        token = AccessToken() if connection.auth == "azure_ad" else None
        connect = odbc_connector(
            connection.odbc_string(secrets), connection.label(), connection.timeout, token
        )
        return MssqlDatabase(
            connect, connection.label(), columnstore=self.columnstore,
            batch_size=self.rows_per_batch(), workers=self.parallel_workers,
            lock_timeout=self.lock_timeout,
        )  # fmt: skip
