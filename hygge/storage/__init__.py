"""The object-store seam: what homes, stores and state need from where bytes live.

`ObjectStorage` is the protocol; `LocalStorage` serves a local folder (atomic renames,
fsync), `MemoryStorage` a dict that behaves like an object store (no rename), for tests.
Issue 9 adds Azure blob storage against the same protocol and contract battery.
`MemoryStorage` loads on first use: a run on local folders never imports it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from hygge.storage.base import (
    LIVE_MARKER,
    Clock,
    Location,
    ObjectInfo,
    ObjectStorage,
    PreconditionFailedError,
    StorageCapabilities,
    UnsupportedOperationError,
    check_key,
    join_key,
)
from hygge.storage.local import LocalStorage

if TYPE_CHECKING:
    from hygge.storage.memory import MemoryStorage

__all__ = [
    "LIVE_MARKER",
    "Clock",
    "LocalStorage",
    "Location",
    "MemoryStorage",
    "ObjectInfo",
    "ObjectStorage",
    "PreconditionFailedError",
    "StorageCapabilities",
    "UnsupportedOperationError",
    "check_key",
    "join_key",
]


def __getattr__(name: str) -> object:
    if name != "MemoryStorage":
        raise AttributeError(f"module 'hygge.storage' has no attribute {name!r}")
    return import_module("hygge.storage.memory").MemoryStorage
