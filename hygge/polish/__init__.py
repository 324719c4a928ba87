"""Polish: last-mile column clean-up (hash ids, names, constants, load timestamps) per batch.

`Polisher` and `polish_batch` load on first use: the config layer imports `PolishConfig`
without importing polars.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from hygge.polish.config import PolishConfig

if TYPE_CHECKING:
    from hygge.polish.polisher import Polisher, polish_batch

__all__ = ["PolishConfig", "Polisher", "polish_batch"]

_LAZY = {"Polisher": "hygge.polish.polisher", "polish_batch": "hygge.polish.polisher"}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hygge.polish' has no attribute {name!r}")
    return getattr(import_module(module), name)
