"""The storage protocol: keys, object facts, capabilities, and the errors of conditional writes.

Keys are POSIX strings relative to the storage's root ("sales/orders/part-0.parquet"); ""
is the root itself. A prefix names a folder-like group: `list("sales")` yields keys under
"sales/". Nothing here knows about homes, stores or hygge's markers: callers decide what
they own before they delete it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict

from hygge.errors import ConfigError, HyggeError

Clock = Callable[[], datetime]
Data = bytes | BinaryIO

SCHEMES = ("file", "az")
# In a prefix a store publishes to without renames: {"run_id", "set"}, the live set's folder.
LIVE_MARKER = "_hygge_live.json"


class PreconditionFailedError(HyggeError):
    """A conditional write lost: the key exists (if_absent) or changed (if_match)."""


class UnsupportedOperationError(HyggeError):
    """The storage cannot do this (a rename on an object store); check its capabilities."""


class ObjectInfo(BaseModel):
    """One stored object: its key, size in bytes, modification time (ns) and version tag.

    `version` changes whenever the content is replaced (an ETag on blob storage; on a local
    disk a tag built from inode, size and mtime), so it fingerprints a file without reading it.
    """

    model_config = ConfigDict(frozen=True)

    key: str
    size: int
    mtime_ns: int
    version: str
    ctime_ns: int | None = None  # a local file's inode change time (None: not known)


class StorageCapabilities(BaseModel):
    """What a storage can do, declared (never probed) so a store picks its publish strategy."""

    model_config = ConfigDict(frozen=True)

    atomic_rename: bool  # rename(src, dst) of a key or a whole prefix in one step
    atomic_exchange: bool  # exchange(a, b) of two prefixes in one step
    durable_fsync: bool  # a finished put survives a power cut
    local_paths: bool  # local_path(key) gives a filesystem path (polars' fast path)


class Location(BaseModel):
    """Where a storage lives: a URI plus the name of the connection that opens it.

    `file:///abs/path` or a plain path is a local folder; `az://container/prefix` a blob
    container prefix. The connection is a reference (a name in hygge.yml's connections), never
    a secret, so a Location may travel in tasks and checkpoints.
    """

    model_config = ConfigDict(frozen=True)

    uri: str
    connection: str | None = None

    @classmethod
    def parse(cls, text: str, *, connection: str | None = None) -> Location:
        """A Location from a URI or a local path; ConfigError for an unknown scheme."""
        parts = urlsplit(text)
        if len(parts.scheme) <= 1:  # a plain path (or a Windows drive letter)
            return cls(uri=Path(text).absolute().as_uri(), connection=connection)
        if parts.scheme not in SCHEMES:
            raise ConfigError(
                f"'{text}' has the scheme '{parts.scheme}:'; hygge reads and writes local "
                "paths, file:// and az:// locations",
                hint="use a local path, file:///abs/path or az://container/prefix",
            )
        if parts.scheme == "az" and not parts.netloc:
            raise ConfigError(f"'{text}' names no container; write az://container/prefix")
        if parts.scheme == "az" and {".", ".."} & set(unquote(parts.path).split("/")):
            raise ConfigError(
                f"'{text}' has a '.' or '..' folder; an az:// location names its folders "
                "plainly, from the container down",
                hint="write az://container/prefix, e.g. az://config/shop",
            )
        return cls(uri=text.rstrip("/") if parts.path.strip("/") else text, connection=connection)

    @property
    def scheme(self) -> str:
        return urlsplit(self.uri).scheme

    @property
    def container(self) -> str:
        """The blob container ("" for a local folder)."""
        return urlsplit(self.uri).netloc if self.scheme == "az" else ""

    @property
    def prefix(self) -> str:
        """The key prefix inside the container, without slashes at either end."""
        return unquote(urlsplit(self.uri).path).strip("/") if self.scheme == "az" else ""

    def local_path(self) -> Path | None:
        """The folder of a file:// location; None for object storage."""
        if self.scheme != "file":
            return None
        return Path(unquote(urlsplit(self.uri).path))


@runtime_checkable
class ObjectStorage(Protocol):
    """Bytes under keys. Every method takes keys relative to the storage's root."""

    capabilities: StorageCapabilities
    label: str  # shown in errors: a folder path or an az:// URI

    def describe(self, key: str) -> str:
        """Where `key` is, for messages (a path or a URI)."""
        ...

    def address(self, key: str) -> str:
        """Where `key` is, naming all that tells two places apart (`describe` may leave some
        out: an az:// URI names no account); state records it to notice a moved store."""
        ...

    def list(
        self, prefix: str = "", *, recursive: bool = True, skip_hidden: bool = False
    ) -> Iterator[ObjectInfo]:
        """Objects under `prefix`, sorted by key; with `skip_hidden`, none below a name

        starting with '.' or '_' (tools' metadata and hygge's staging)."""
        ...

    def stat(self, key: str) -> ObjectInfo | None:
        """The object at `key`, or None when there is none."""
        ...

    def open_read(self, key: str) -> BinaryIO:
        """A binary stream of the object (FileNotFoundError when missing); close it."""
        ...

    def read_range(self, key: str, start: int, length: int) -> bytes:
        """Up to `length` bytes from offset `start` (fewer at the end of the object)."""
        ...

    def put(
        self,
        key: str,
        data: Data,
        *,
        if_absent: bool = False,
        if_match: str | None = None,
        synced: bool = True,
    ) -> ObjectInfo:
        """Write the object whole (never half); PreconditionFailedError if a condition fails.
        `synced=False`: the new name need not survive a power cut until the caller syncs its
        folder (a local disk leaves the folder unsynced; the object's bytes are synced
        either way; object storage is durable when the call returns)."""
        ...

    def copy(self, src: str, dst: str) -> ObjectInfo:
        """Copy one object; the copy at `dst` is whole or absent."""
        ...

    def delete(self, key: str, *, synced: bool = True) -> None:
        """Delete one object; nothing to do when it is gone. `synced=False`: its removal need
        not survive a power cut (a local disk leaves its folder unsynced)."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under `prefix` (the caller owns it); how many were deleted."""
        ...

    def rename(self, src: str, dst: str, *, no_replace: bool = True, synced: bool = True) -> None:
        """Move a key or a whole prefix in one step (only with capabilities.atomic_rename).
        `synced=False` leaves the folder's fsync to the caller's next synced write into it."""
        ...

    def exchange(self, a: str, b: str, *, synced: bool = True) -> None:
        """Swap two prefixes in one step (only with capabilities.atomic_exchange).
        `synced=False` leaves the fsync of `a`'s folder to the caller's next synced change in
        it; `b`'s folder is synced either way, and with it the exchange (one rename)."""
        ...

    def local_path(self, key: str) -> Path | None:
        """A filesystem path to read `key` directly, or None (object storage)."""
        ...


def check_key(key: str) -> str:
    """`key` if it is a clean relative POSIX key; ValueError for '..', '//' or a leading '/'."""
    if key == "":
        return key
    parts = key.split("/")
    if key.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"'{key}' is not a storage key (relative, '/'-separated, no '..')")
    return key


def join_key(*parts: str) -> str:
    """Keys joined with '/', empty parts dropped."""
    return "/".join(part.strip("/") for part in parts if part.strip("/"))


def is_hidden_key(key: str) -> bool:
    """True when any segment of `key` starts with '.' or '_'."""
    return any(part.startswith((".", "_")) for part in key.split("/"))


def under(prefix: str, key: str) -> bool:
    """True when `key` is inside the prefix `prefix` ("" holds every key)."""
    return not prefix or key.startswith(f"{prefix}/")
