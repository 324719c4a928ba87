"""Stores: where data goes. `StoreConfigUnion` parses any store block of the workspace.

A store block is validated by the one config class its `type` names (`STORE_TYPES`, tag →
import path): loading a workspace imports the configs of the kinds it uses, not every store's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

from pydantic import PlainSerializer, PlainValidator

from hygge.stores.base import Staging, Store, StoreCapabilities, StoreConfig
from hygge.tagged import TaggedConfigs

if TYPE_CHECKING:
    from hygge.stores.azure_files import AdlsStoreConfig, BlobStoreConfig, OneLakeStoreConfig
    from hygge.stores.delta import DeltaStoreConfig
    from hygge.stores.duckdb_config import DuckdbStoreConfig
    from hygge.stores.files import LocalStoreConfig, ParquetStoreConfig
    from hygge.stores.open_mirroring import OpenMirroringStoreConfig
    from hygge.stores.sql.config import (
        MssqlStoreConfig,
        PostgresStoreConfig,
        SqliteStoreConfig,
    )

# In the order error messages list them.
STORE_TYPES: TaggedConfigs[StoreConfig] = TaggedConfigs(
    StoreConfig,
    {
        "parquet": "hygge.stores.files:ParquetStoreConfig",
        "local": "hygge.stores.files:LocalStoreConfig",
        "adls": "hygge.stores.azure_files:AdlsStoreConfig",
        "onelake": "hygge.stores.azure_files:OneLakeStoreConfig",
        "blob": "hygge.stores.azure_files:BlobStoreConfig",
        "duckdb": "hygge.stores.duckdb_config:DuckdbStoreConfig",
        "delta": "hygge.stores.delta.config:DeltaStoreConfig",
        "postgres": "hygge.stores.sql.config:PostgresStoreConfig",
        "sqlite": "hygge.stores.sql.config:SqliteStoreConfig",
        "mssql": "hygge.stores.sql.config:MssqlStoreConfig",
        "open_mirroring": "hygge.stores.open_mirroring.config:OpenMirroringStoreConfig",
    },
)

if TYPE_CHECKING:  # what a validated block is: one of these classes
    StoreConfigUnion: TypeAlias = (
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
        | OpenMirroringStoreConfig
    )
else:  # validated by the class its tag names, imported then (`hygge.tagged`)
    StoreConfigUnion: TypeAlias = Annotated[
        StoreConfig, PlainValidator(STORE_TYPES.validate), PlainSerializer(STORE_TYPES.dump)
    ]


def __getattr__(name: str) -> Any:
    """The config classes, imported when first named (`from hygge.stores import …Config`)."""
    return STORE_TYPES.class_named(__name__, name)


__all__ = [
    "STORE_TYPES",
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
