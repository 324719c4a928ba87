"""The Delta store (hygge/stores/delta/) passes the store contract, on a local folder."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import polars as pl
import pytest

from hygge.faults import reset_faults
from hygge.stores.base import Store, StoreCapabilities
from hygge.stores.delta import DeltaStoreConfig
from hygge.types import Place, RunType
from tests.contract.store_contract import CrashPublish, OpenStore, ReadPublished, StoreContract
from tests.support.data import orders

pytest.importorskip("deltalake", reason="the delta extra (pip install 'hygge-el[delta]')")


def read_delta(table: Path, schema: pl.Schema | None = None) -> pl.DataFrame | None:
    """Every row of the Delta table at `table` (cast to `schema`); None if there is none."""
    if not (table / "_delta_log").is_dir():
        return None
    frame = pl.read_delta(str(table))
    if schema is None:
        return frame
    return frame.select(pl.col(name).cast(dtype) for name, dtype in schema.items())


class TestDeltaStore(StoreContract):
    # The battery's mid-publish reader test expects a non-incremental publish to replace the
    # table, which a merge does not: merge's atomic publish is shown in test_delta_store.py.
    capabilities: ClassVar[StoreCapabilities] = DeltaStoreConfig.capabilities.model_copy(
        update={"atomic_visibility": frozenset({RunType.FULL_DROP, RunType.INCREMENTAL})}
    )
    unwritable_columns: ClassVar[frozenset[str]] = frozenset({"uint64", "time", "duration", "null"})
    publish_crash_points: ClassVar[tuple[str, ...]] = ("during_publish",)

    @pytest.fixture
    def open_store(self, tmp_path: Path) -> OpenStore:
        def open_() -> Store:
            config = DeltaStoreConfig(path="lake/orders", key_columns=["id"])
            store: Store = config.open(Place(tmp_path, "sales", "orders", workspace="shop"))
            return store

        return open_

    @pytest.fixture
    def read_published(self, tmp_path: Path) -> ReadPublished:
        return lambda schema: read_delta(tmp_path / "lake" / "orders", schema)

    @pytest.fixture
    def fill_foreign(self, tmp_path: Path) -> Callable[[], None]:
        def fill() -> None:
            from deltalake import write_deltalake

            write_deltalake(str(tmp_path / "lake" / "orders"), orders(2).to_arrow())

        return fill

    @pytest.fixture
    def crash_publish(self, monkeypatch: pytest.MonkeyPatch) -> CrashPublish:
        @contextlib.contextmanager
        def crash(point: str, run_type: RunType) -> Iterator[None]:
            monkeypatch.setenv("HYGGE_FAULT", f"{point}:raise")
            reset_faults()
            try:
                yield
            finally:
                monkeypatch.delenv("HYGGE_FAULT")

        return crash


# delta-rs 1.6.6 against Azurite 3.35 cannot commit a table's third version ("Invalid table
# version: 1": the log listing from an offset comes back short on the emulator); the tests
# that need a third commit show it, strictly, so a fixed delta-rs or Azurite turns them red.
THIRD_COMMIT = pytest.mark.xfail(
    strict=True, reason="delta-rs 1.6.6 on Azurite: no third commit (Invalid table version: 1)"
)


@pytest.mark.azurite
class TestDeltaStoreOnAzurite(TestDeltaStore):
    """The same battery with the table in a blob container (Azurite, a fresh one per test),
    reached through an azure_blob connection with the account key."""

    @THIRD_COMMIT
    def test_incremental_appends_to_what_was_published(self, open_store, read_published):
        super().test_incremental_appends_to_what_was_published(open_store, read_published)

    @THIRD_COMMIT
    def test_a_reader_mid_publish_sees_a_whole_run_where_visibility_is_declared_atomic(
        self, open_store, read_published, monkeypatch
    ):
        super().test_a_reader_mid_publish_sees_a_whole_run_where_visibility_is_declared_atomic(
            open_store, read_published, monkeypatch
        )

    @pytest.fixture
    def options(self, azurite) -> dict[str, str]:
        from tests.support.azurite import ACCOUNT, KEY

        return {
            "account_name": ACCOUNT,
            "account_key": KEY,
            "endpoint": azurite.account_url,
            "allow_http": "true",
        }

    @pytest.fixture
    def uri(self, blob_container) -> str:
        return f"az://{blob_container}/Tables/orders"

    @pytest.fixture
    def open_store(self, tmp_path, monkeypatch, azurite, blob_container) -> OpenStore:
        from hygge.connections import AzureBlobConnection
        from tests.support.azurite import KEY

        monkeypatch.setenv("HYGGE_TEST_BLOB_KEY", KEY)
        lake = AzureBlobConnection(
            account_url=azurite.account_url,
            container=blob_container,
            credential="key",
            key="${HYGGE_TEST_BLOB_KEY}",
        )
        place = Place(tmp_path, "sales", "orders", workspace="shop", connections={"lake": lake})

        def open_() -> Store:
            config = DeltaStoreConfig(path="Tables/orders", connection="lake", key_columns=["id"])
            store: Store = config.open(place)
            return store

        return open_

    @pytest.fixture
    def read_published(self, uri, options) -> ReadPublished:
        from deltalake import DeltaTable
        from deltalake.exceptions import TableNotFoundError

        def read(schema: pl.Schema) -> pl.DataFrame | None:
            try:
                DeltaTable(uri, storage_options=options)
            except TableNotFoundError:
                return None
            frame = pl.read_delta(uri, storage_options=options)
            return frame.select(pl.col(name).cast(dtype) for name, dtype in schema.items())

        return read

    @pytest.fixture
    def fill_foreign(self, uri, options) -> Callable[[], None]:
        def fill() -> None:
            from deltalake import write_deltalake

            write_deltalake(uri, orders(2).to_arrow(), storage_options=options)

        return fill
