"""Stores: where data goes. `StoreConfigUnion` parses any store block of the workspace."""

from __future__ import annotations

from typing import Annotated, TypeAlias

from pydantic import Field

from hygge.stores.azure_files import AdlsStoreConfig, BlobStoreConfig, OneLakeStoreConfig
from hygge.stores.base import Staging, Store, StoreCapabilities, StoreConfig
from hygge.stores.delta import DeltaStoreConfig
from hygge.stores.duckdb_store import DuckdbStoreConfig
from hygge.stores.files import LocalStoreConfig, ParquetStoreConfig
from hygge.stores.open_mirroring import OpenMirroringStoreConfig
from hygge.stores.sql.config import MssqlStoreConfig, PostgresStoreConfig, SqliteStoreConfig

StoreConfigUnion: TypeAlias = Annotated[
    ParquetStoreConfig
    | LocalStoreConfig
    | AdlsStoreConfig
    | OneLakeStoreConfig
    | BlobStoreConfig
    | DuckdbStoreConfig
    | DeltaStoreConfig
    | PostgresStoreConfig
    | SqliteStoreConfig
    | MssqlStoreConfig
    | OpenMirroringStoreConfig,
    Field(discriminator="type"),
]

__all__ = [
    "AdlsStoreConfig",
    "BlobStoreConfig",
    "DeltaStoreConfig",
    "DuckdbStoreConfig",
    "LocalStoreConfig",
    "MssqlStoreConfig",
    "OneLakeStoreConfig",
    "OpenMirroringStoreConfig",
    "ParquetStoreConfig",
    "PostgresStoreConfig",
    "SqliteStoreConfig",
    "Staging",
    "Store",
    "StoreCapabilities",
    "StoreConfig",
    "StoreConfigUnion",
]
