"""Stores: where data goes. `StoreConfigUnion` parses any store block of the workspace."""

from __future__ import annotations

from typing import Annotated, TypeAlias

from pydantic import Field

from hygge.stores.base import Staging, Store, StoreCapabilities, StoreConfig
from hygge.stores.duckdb_store import DuckdbStoreConfig
from hygge.stores.files import LocalStoreConfig, ParquetStoreConfig

StoreConfigUnion: TypeAlias = Annotated[
    ParquetStoreConfig | LocalStoreConfig | DuckdbStoreConfig, Field(discriminator="type")
]

__all__ = [
    "DuckdbStoreConfig",
    "LocalStoreConfig",
    "ParquetStoreConfig",
    "Staging",
    "Store",
    "StoreCapabilities",
    "StoreConfig",
    "StoreConfigUnion",
]
