"""A store writes batches of its `batch_size`, else of its declared `preferred_batch_size`."""

from __future__ import annotations

from hygge.stores.files import ParquetStoreConfig
from tests.support.sqlite_store import SqliteStoreConfig


def test_a_file_store_without_batch_size_writes_its_preferred_100_000_rows() -> None:
    assert ParquetStoreConfig(path="lake").rows_per_batch() == 100_000


def test_a_store_without_batch_size_writes_the_batch_size_its_capabilities_prefer() -> None:
    assert (
        SqliteStoreConfig().rows_per_batch() == SqliteStoreConfig.capabilities.preferred_batch_size
    )


def test_a_batch_size_set_in_the_workspace_wins_over_the_preferred_one() -> None:
    assert SqliteStoreConfig(batch_size=2).rows_per_batch() == 2
