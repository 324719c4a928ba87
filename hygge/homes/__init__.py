"""Homes: where data lives. `HomeConfigUnion` parses any home block of the workspace."""

from __future__ import annotations

from typing import Annotated, TypeAlias

from pydantic import Field

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
from hygge.homes.files import LocalHomeConfig, ParquetHomeConfig
from hygge.homes.sql import (
    DuckdbHomeConfig,
    MssqlHomeConfig,
    PostgresHomeConfig,
    SqliteHomeConfig,
)
from hygge.types import Place

HomeConfigUnion: TypeAlias = Annotated[
    ParquetHomeConfig
    | LocalHomeConfig
    | PostgresHomeConfig
    | MssqlHomeConfig
    | SqliteHomeConfig
    | DuckdbHomeConfig,
    Field(discriminator="type"),
]

__all__ = [
    "DEFAULT_PARTITION",
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
