"""A dict-backed storage that behaves like an object store: no rename, no exchange.

Tests run homes, stores and workspace sources on it to prove they do not depend on a
filesystem. Thread-safe; versions are counters, mtimes come from the injected clock.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from hygge.storage.base import (
    Clock,
    Data,
    ObjectInfo,
    PreconditionFailedError,
    StorageCapabilities,
    UnsupportedOperationError,
    check_key,
    is_hidden_key,
    under,
)

_CAPABILITIES = StorageCapabilities(
    atomic_rename=False, atomic_exchange=False, durable_fsync=True, local_paths=False
)


@dataclass(frozen=True)
class _Blob:
    data: bytes
    info: ObjectInfo


def _utc_now() -> datetime:
    return datetime.now(UTC)


class MemoryStorage:
    """Objects in a dict, under the label `memory://<name>`."""

    capabilities = _CAPABILITIES

    def __init__(self, name: str = "test", *, clock: Clock = _utc_now) -> None:
        self.label = f"memory://{name}"
        self._clock = clock
        self._blobs: dict[str, _Blob] = {}
        self._lock = threading.Lock()
        self._versions = 0

    def describe(self, key: str) -> str:
        return f"{self.label}/{key}" if key else self.label

    def address(self, key: str) -> str:
        return self.describe(key)  # its name tells memory storages apart

    def list(
        self, prefix: str = "", *, recursive: bool = True, skip_hidden: bool = False
    ) -> Iterator[ObjectInfo]:
        prefix = check_key(prefix.strip("/"))
        with self._lock:
            infos = [blob.info for key, blob in self._blobs.items() if under(prefix, key)]
        for info in sorted(infos, key=lambda each: each.key):
            rest = info.key[len(prefix) + 1 :] if prefix else info.key
            if not recursive and "/" in rest:
                continue
            if skip_hidden and is_hidden_key(rest):
                continue
            yield info

    def stat(self, key: str) -> ObjectInfo | None:
        with self._lock:
            blob = self._blobs.get(check_key(key))
        return blob.info if blob else None

    def _get(self, key: str) -> bytes:
        with self._lock:
            blob = self._blobs.get(check_key(key))
        if blob is None:
            raise FileNotFoundError(f"{self.describe(key)} does not exist")
        return blob.data

    def open_read(self, key: str) -> BinaryIO:
        return io.BytesIO(self._get(key))

    def read_range(self, key: str, start: int, length: int) -> bytes:
        return self._get(key)[start : start + length]

    def put(
        self,
        key: str,
        data: Data,
        *,
        if_absent: bool = False,
        if_match: str | None = None,
        synced: bool = True,  # nothing to sync in memory
    ) -> ObjectInfo:
        content = data if isinstance(data, bytes) else data.read()
        with self._lock:
            self._check(check_key(key), if_absent, if_match)
            return self._store(key, content)

    def _check(self, key: str, if_absent: bool, if_match: str | None) -> None:
        current = self._blobs.get(key)
        if if_absent and current is not None:
            raise PreconditionFailedError(f"{self.describe(key)} already exists")
        if if_match is not None and (current is None or current.info.version != if_match):
            found = "is missing" if current is None else f"is at version {current.info.version}"
            raise PreconditionFailedError(
                f"{self.describe(key)} {found}, not {if_match}: another writer changed it"
            )

    def _store(self, key: str, content: bytes) -> ObjectInfo:
        self._versions += 1
        mtime_ns = int(self._clock().timestamp() * 1_000_000_000)
        version = f"v{self._versions}"
        info = ObjectInfo(key=key, size=len(content), mtime_ns=mtime_ns, version=version)
        self._blobs[key] = _Blob(content, info)
        return info

    def copy(self, src: str, dst: str) -> ObjectInfo:
        content = self._get(src)
        with self._lock:
            return self._store(check_key(dst), content)

    def delete(self, key: str, *, synced: bool = True) -> None:
        with self._lock:
            self._blobs.pop(check_key(key), None)

    def delete_prefix(self, prefix: str) -> int:
        prefix = check_key(prefix.strip("/"))
        with self._lock:
            doomed = [key for key in self._blobs if under(prefix, key)]
            for key in doomed:
                del self._blobs[key]
        return len(doomed)

    def rename(self, src: str, dst: str, *, no_replace: bool = True, synced: bool = True) -> None:
        raise UnsupportedOperationError(f"{self.label} cannot rename (it models an object store)")

    def exchange(self, a: str, b: str, *, synced: bool = True) -> None:
        raise UnsupportedOperationError(f"{self.label} cannot exchange prefixes")

    def local_path(self, key: str) -> Path | None:
        return None
