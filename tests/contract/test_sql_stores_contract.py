"""The SQL stores (hygge/stores/sql/: postgres, sqlite) pass the store contract unchanged."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest

from hygge.connections import PostgresConnection
from hygge.stores.base import Store, StoreCapabilities
from hygge.stores.sql.config import PostgresStoreConfig, SqliteStoreConfig
from hygge.types import Place, RunType
from tests.contract.store_contract import OpenStore, ReadPublished, StoreContract
from tests.support.sql_stores import (
    PASSWORD_VARIABLE,
    execute_postgres,
    execute_sqlite,
    read_postgres,
    read_sqlite,
)

# The battery's mid-publish reader test expects a non-incremental publish to replace the
# table, which a merge does not: merge's atomic publish is shown in test_sql_stores.py.
ATOMIC = frozenset({RunType.FULL_DROP, RunType.INCREMENTAL})


@pytest.mark.postgres
class TestPostgresStore(StoreContract):
    capabilities: ClassVar[StoreCapabilities] = PostgresStoreConfig.capabilities.model_copy(
        update={"atomic_visibility": ATOMIC}
    )
    unwritable_columns: ClassVar[frozenset[str]] = frozenset({"list", "struct"})

    @pytest.fixture
    def open_store(self, tmp_path: Path, postgres, pg_schema, monkeypatch) -> OpenStore:
        monkeypatch.setenv(PASSWORD_VARIABLE, postgres.password)
        connection = PostgresConnection(url=postgres.url, password=f"${{{PASSWORD_VARIABLE}}}")

        def open_() -> Store:
            config = PostgresStoreConfig(connection="pg", table=f'{pg_schema}."orders"')
            place = Place(tmp_path, "sales", "orders", "shop", connections={"pg": connection})
            return config.open(place)

        return open_

    @pytest.fixture
    def read_published(self, postgres, pg_schema) -> ReadPublished:
        return lambda schema: read_postgres(postgres.conninfo, pg_schema, "orders", schema)

    @pytest.fixture
    def fill_foreign(self, postgres, pg_schema) -> Callable[[], None]:
        def fill() -> None:
            execute_postgres(
                postgres.conninfo,
                f"CREATE TABLE \"{pg_schema}\".orders AS SELECT g AS id, 'someone' AS customer, "
                "1.5::float8 AS amount, TIMESTAMP '2024-01-01' AS updated_at "
                "FROM generate_series(0, 1) AS g",
            )

        return fill


class TestSqliteStore(StoreContract):
    capabilities: ClassVar[StoreCapabilities] = SqliteStoreConfig.capabilities.model_copy(
        update={"atomic_visibility": ATOMIC}
    )
    unwritable_columns: ClassVar[frozenset[str]] = frozenset(
        {"uint64", "duration", "list", "struct"}
    )

    @pytest.fixture
    def open_store(self, tmp_path: Path) -> OpenStore:
        def open_() -> Store:
            config = SqliteStoreConfig(path="lake.sqlite", table="orders")
            return config.open(Place(tmp_path, "sales", "orders", "shop"))

        return open_

    @pytest.fixture
    def read_published(self, tmp_path: Path) -> ReadPublished:
        return lambda schema: read_sqlite(tmp_path / "lake.sqlite", "orders", schema)

    @pytest.fixture
    def fill_foreign(self, tmp_path: Path) -> Callable[[], None]:
        def fill() -> None:
            execute_sqlite(
                tmp_path / "lake.sqlite",
                "CREATE TABLE orders (id INTEGER, customer TEXT, amount REAL, updated_at TEXT)",
                "INSERT INTO orders VALUES (0, 'someone', 1.5, '2024-01-01 00:00:00')",
            )

        return fill
