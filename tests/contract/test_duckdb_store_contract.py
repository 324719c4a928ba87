"""The DuckDB store (hygge/stores/duckdb_store.py) passes the store contract unchanged."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest

from hygge.stores.base import Store, StoreCapabilities
from hygge.stores.duckdb_names import TableName
from hygge.stores.duckdb_store import DuckdbStoreConfig
from hygge.types import Place, RunType
from tests.contract.store_contract import OpenStore, ReadPublished, StoreContract
from tests.support.duckdb_lake import execute, read_table

pytest.importorskip("duckdb", reason="the duckdb extra (pip install 'hygge-el[duckdb]')")

TABLE = TableName("main", "orders")


class TestDuckdbStore(StoreContract):
    # The battery's mid-publish reader test expects a non-incremental publish to replace the
    # table, which a merge does not: merge's atomic publish is shown in test_duckdb_store.py.
    capabilities: ClassVar[StoreCapabilities] = DuckdbStoreConfig.capabilities.model_copy(
        update={"atomic_visibility": frozenset({RunType.FULL_DROP, RunType.INCREMENTAL})}
    )
    unwritable_columns: ClassVar[frozenset[str]] = frozenset({"duration"})

    @pytest.fixture
    def open_store(self, tmp_path: Path) -> OpenStore:
        def open_() -> Store:
            config = DuckdbStoreConfig(path="lake.duckdb", table="orders")
            return config.open(Place(tmp_path, "sales", "orders", workspace="shop"))

        return open_

    @pytest.fixture
    def read_published(self, tmp_path: Path) -> ReadPublished:
        return lambda schema: read_table(tmp_path / "lake.duckdb", TABLE, schema)

    @pytest.fixture
    def fill_foreign(self, tmp_path: Path) -> Callable[[], None]:
        def fill() -> None:
            execute(
                tmp_path / "lake.duckdb",
                "CREATE TABLE orders AS SELECT range AS id, 'someone' AS customer, "
                "1.5 AS amount, TIMESTAMP '2024-01-01' AS updated_at FROM range(2)",
            )

        return fill
