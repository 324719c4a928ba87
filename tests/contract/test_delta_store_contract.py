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
