"""The SQL homes pass the home contract: PostgreSQL (ADBC and psycopg), the mssql home's ODBC
code path (pyodbc through unixODBC and psqlODBC, against PostgreSQL), SQLite and DuckDB."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import polars as pl
import pytest

from hygge.connections import DuckdbConnection, PostgresConnection, SqliteConnection
from hygge.homes.base import Home
from hygge.homes.sql import DuckdbHomeConfig, PostgresHomeConfig, SqliteHomeConfig
from hygge.homes.sql.config import SqlHomeConfig
from hygge.homes.sql.dialect import POSTGRES_QMARK
from hygge.homes.sql.home import SqlHome
from hygge.homes.sql.odbc import OdbcDriver
from hygge.types import Place
from tests.contract.home_contract import HomeContract, HomeSource
from tests.support.sql_sources import write_duckdb, write_postgres, write_sqlite

PASSWORD_VARIABLE = "HYGGE_TEST_PG_PASSWORD"


class PostgresSource:
    def __init__(self, root: Path, postgres, schema: str, driver: str) -> None:
        self.root, self.postgres, self.schema, self.driver = root, postgres, schema, driver
        self.table = f'"{schema}"."orders"'
        self.created = False

    def add(self, frame: pl.DataFrame) -> None:
        write_postgres(self.postgres.conninfo, self.table, frame)
        self.created = True

    def _ensure(self) -> None:
        if not self.created:  # an empty source is an empty table
            write_postgres(
                self.postgres.conninfo, self.table, pl.DataFrame({"id": []}, {"id": pl.Int64})
            )
            self.created = True

    def open(self, batch_size: int) -> Home:
        self._ensure()
        connection = PostgresConnection(url=self.postgres.url, password=f"${{{PASSWORD_VARIABLE}}}")
        config = PostgresHomeConfig(
            connection="pg",
            table=f"{self.schema}.orders",
            batch_size=batch_size,
            driver=self.driver,
        )
        place = Place(self.root, "sales", "orders", connections={"pg": connection})
        return config.open(place)


class OdbcPostgresSource(PostgresSource):
    """The mssql home's driver (pyodbc, or arrow-odbc) and statements, in PostgreSQL's
    dialect."""

    def open(self, batch_size: int) -> Home:
        self._ensure()
        driver = OdbcDriver(
            self.postgres.odbc + "BoolsAsChar=0;", "odbc postgres", POSTGRES_QMARK,
            reader=self.driver,
        )  # fmt: skip
        place = Place(self.root, "sales", "orders")
        return SqlHome(
            driver, place, table=f"{self.schema}.orders", query=None, batch_size=batch_size
        )


class PostgresHomeContract(HomeContract):
    capabilities = SqlHomeConfig.capabilities
    keyless_order = ("int64",)
    driver: ClassVar[str] = "adbc"

    @pytest.fixture
    def source(self, tmp_path, postgres, pg_schema, monkeypatch) -> HomeSource:
        monkeypatch.setenv(PASSWORD_VARIABLE, postgres.password)
        return PostgresSource(tmp_path, postgres, pg_schema, self.driver)


SERVER_TYPES = ("int64", "float32", "float64", "decimal", "string", "binary", "boolean", "date",
                "datetime_us", "time")  # fmt: skip


@pytest.mark.postgres
class TestPostgresHomeOverAdbc(PostgresHomeContract):
    driver = "adbc"
    round_trip_columns = (*SERVER_TYPES, "datetime_utc")


@pytest.mark.postgres
class TestPostgresHomeOverPsycopg(PostgresHomeContract):
    driver = "psycopg"
    round_trip_columns = SERVER_TYPES


@pytest.mark.postgres
class TestMssqlHomeDriverOverOdbc(PostgresHomeContract):
    round_trip_columns = ("int64", "float64", "decimal", "string", "boolean", "date",
                          "datetime_us")  # fmt: skip

    reader: ClassVar[str] = "pyodbc"

    @pytest.fixture
    def source(self, tmp_path, postgres, pg_schema) -> HomeSource:
        return OdbcPostgresSource(tmp_path, postgres, pg_schema, self.reader)


@pytest.mark.postgres
class TestMssqlHomeColumnarReaderOverOdbc(TestMssqlHomeDriverOverOdbc):
    """The mssql home's columnar path: arrow-odbc over the same driver manager and driver."""

    reader = "arrow-odbc"


class EmbeddedSource:
    def __init__(self, root: Path, kind: str) -> None:
        self.root, self.kind = root, kind
        self.path = root / f"shop.{kind}"
        self.created = False

    def add(self, frame: pl.DataFrame) -> None:
        write = write_sqlite if self.kind == "sqlite" else write_duckdb
        write(self.path, "orders", frame)
        self.created = True

    def open(self, batch_size: int) -> Home:
        if not self.created:
            self.add(pl.DataFrame({"id": []}, {"id": pl.Int64}))
        kinds = {
            "sqlite": (SqliteHomeConfig, SqliteConnection),
            "duckdb": (DuckdbHomeConfig, DuckdbConnection),
        }
        config_class, connection_class = kinds[self.kind]
        config = config_class(connection="db", table="orders", batch_size=batch_size)
        connection = connection_class(path=self.path.name)
        return config.open(Place(self.root, "sales", "orders", connections={"db": connection}))


class TestSqliteHome(HomeContract):
    capabilities = SqlHomeConfig.capabilities
    keyless_order = ("int64",)
    round_trip_columns = ("int64", "float64", "string", "binary")

    @pytest.fixture
    def source(self, tmp_path) -> HomeSource:
        return EmbeddedSource(tmp_path, "sqlite")


class TestDuckdbHome(HomeContract):
    capabilities = SqlHomeConfig.capabilities
    keyless_order = ("int64",)
    round_trip_columns = ("int8", "int64", "uint32", "uint64", "float32", "float64", "decimal",
                          "string", "binary", "boolean", "date", "datetime_us", "datetime_ns",
                          "datetime_ms", "time", "list", "struct")  # fmt: skip

    @pytest.fixture
    def source(self, tmp_path) -> HomeSource:
        return EmbeddedSource(tmp_path, "duckdb")
