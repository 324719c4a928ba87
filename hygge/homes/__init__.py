"""Homes: where data lives. `HomeConfigUnion` parses any home block of the workspace.

A home block is validated by the one config class its `type` names (`HOME_TYPES`, tag → import
path): loading a workspace imports the configs of the kinds it uses, not every home's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

from pydantic import PlainSerializer, PlainValidator

from hygge.homes.base import (
    DEFAULT_PARTITION,
    FilePosition,
    Home,
    HomeCapabilities,
    HomeConfig,
    KeysetPosition,
    PageTokenPosition,
    PartitionSpec,
    Position,
    ReadSpec,
    Window,
    file_partitions,
)
from hygge.tagged import TaggedConfigs
from hygge.types import Place

if TYPE_CHECKING:
    from hygge.homes.files import LocalHomeConfig, ParquetHomeConfig
    from hygge.homes.sql import (
        DuckdbHomeConfig,
        MssqlHomeConfig,
        PostgresHomeConfig,
        SqliteHomeConfig,
    )

# In the order error messages list them.
HOME_TYPES: TaggedConfigs[HomeConfig] = TaggedConfigs(
    HomeConfig,
    {
        "parquet": "hygge.homes.files:ParquetHomeConfig",
        "local": "hygge.homes.files:LocalHomeConfig",
        "postgres": "hygge.homes.sql.config:PostgresHomeConfig",
        "mssql": "hygge.homes.sql.config:MssqlHomeConfig",
        "sqlite": "hygge.homes.sql.config:SqliteHomeConfig",
        "duckdb": "hygge.homes.sql.config:DuckdbHomeConfig",
    },
)

if TYPE_CHECKING:  # what a validated block is: one of these classes
    HomeConfigUnion: TypeAlias = (
        ParquetHomeConfig
        | LocalHomeConfig
        | PostgresHomeConfig
        | MssqlHomeConfig
        | SqliteHomeConfig
        | DuckdbHomeConfig
    )
else:  # validated by the class its tag names, imported then (`hygge.tagged`)
    HomeConfigUnion: TypeAlias = Annotated[
        HomeConfig, PlainValidator(HOME_TYPES.validate), PlainSerializer(HOME_TYPES.dump)
    ]


def __getattr__(name: str) -> Any:
    """The config classes, imported when first named (`from hygge.homes import …Config`)."""
    return HOME_TYPES.class_named(__name__, name)


__all__ = [
    "DEFAULT_PARTITION",
    "HOME_TYPES",
    "DuckdbHomeConfig",
    "FilePosition",
    "Home",
    "HomeCapabilities",
    "HomeConfig",
    "HomeConfigUnion",
    "KeysetPosition",
    "LocalHomeConfig",
    "MssqlHomeConfig",
    "PageTokenPosition",
    "ParquetHomeConfig",
    "PartitionSpec",
    "Place",
    "Position",
    "PostgresHomeConfig",
    "ReadSpec",
    "SqliteHomeConfig",
    "Window",
    "file_partitions",
]
