"""The transactional test store (SQLite, tests/support/sqlite_store.py) passes the contract."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest

from hygge.stores.base import Store, StoreCapabilities
from hygge.types import Place
from tests.contract.store_contract import OpenStore, ReadPublished, StoreContract
from tests.support.data import orders
from tests.support.sqlite_store import SqliteStoreConfig, read_entity, transaction

PLACE = ("sales", "orders")


class TestSqliteStore(StoreContract):
    capabilities: ClassVar[StoreCapabilities] = SqliteStoreConfig.capabilities

    @pytest.fixture
    def open_store(self, tmp_path: Path) -> OpenStore:
        def open_() -> Store:
            return SqliteStoreConfig().open(Place(tmp_path, *PLACE))

        return open_

    @pytest.fixture
    def read_published(self, tmp_path: Path) -> ReadPublished:
        return lambda schema: read_entity(tmp_path / "lake.sqlite", "sales.orders")

    @pytest.fixture
    def fill_foreign(self, tmp_path: Path) -> Callable[[], None]:
        def fill() -> None:
            buffer = io.BytesIO()
            orders(2).write_parquet(buffer)
            with transaction(tmp_path / "lake.sqlite") as db:
                db.execute(
                    "INSERT INTO published VALUES (?, ?, ?, ?)",
                    ("sales.orders", "someone", "0", buffer.getvalue()),
                )

        return fill
