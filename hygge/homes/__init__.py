"""Homes: where data lives. `HomeConfigUnion` parses any home block of the workspace."""

from __future__ import annotations

from typing import Annotated, TypeAlias

from pydantic import Field

from hygge.homes.base import Home, HomeCapabilities, HomeConfig, Position, Window
from hygge.homes.files import LocalHomeConfig, ParquetHomeConfig
from hygge.types import Place

HomeConfigUnion: TypeAlias = Annotated[
    ParquetHomeConfig | LocalHomeConfig, Field(discriminator="type")
]

__all__ = [
    "Home",
    "HomeCapabilities",
    "HomeConfig",
    "HomeConfigUnion",
    "LocalHomeConfig",
    "ParquetHomeConfig",
    "Place",
    "Position",
    "Window",
]
