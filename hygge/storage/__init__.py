"""The object-store seam: what homes, stores and state need from where bytes live.

`ObjectStorage` is the protocol; `LocalStorage` serves a local folder (atomic renames,
fsync), `MemoryStorage` a dict that behaves like an object store (no rename), for tests.
Issue 9 adds Azure blob storage against the same protocol and contract battery.
"""

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
