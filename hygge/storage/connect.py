"""A file home's or store's storage, from the connection it names, opened when it opens.

The connection travels in the task as hygge.yml wrote it (secrets as `${VAR}`); only here,
when a home or store opens, are its secrets read from the environment, and they live only
in the storage object it returns: never in a task, a checkpoint, a journal row or a log.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from hygge.connections import AzureBlobConnection, ConnectionConfig, LocalConnection
from hygge.errors import ConfigError
from hygge.storage.base import ObjectStorage
from hygge.storage.local import LocalStorage
from hygge.types import Place


def connection_root(place: Place, connection: ConnectionConfig | None) -> Path | None:
    """The local folder a file home's or store's `path` is relative to: the workspace root
    without a connection, a `local` connection's `root`; None for any other connection."""
    if connection is None:
        return place.root
    if isinstance(connection, LocalConnection):
        return place.resolve(connection.root) if connection.root else place.root
    return None


def named_connection(place: Place, name: str | None) -> ConnectionConfig | None:
    """The connection `name` of hygge.yml (None for none); ConfigError if the place lacks it."""
    if name is None:
        return None
    found = place.connections.get(name)
    if not isinstance(found, ConnectionConfig):
        raise ConfigError(
            f"{place.flow}.{place.entity} names connection '{name}', which was not handed to it "
            "when it opened; known here: " + (", ".join(place.connections) or "none"),
            hint="name one of hygge.yml's `connections:`, or add it there",
        )
    return found


def open_storage(
    place: Place, name: str | None, *, env: Mapping[str, str] | None = None
) -> ObjectStorage:
    """The storage a file home or store with `connection: name` reads and writes.

    Secrets are resolved now, from `env` (default: the process environment).
    """
    connection = named_connection(place, name)
    secrets = {}
    if connection is not None:
        secrets = connection.resolve_secrets(str(name), os.environ if env is None else env)
    root = connection_root(place, connection)
    if root is not None:
        if isinstance(connection, LocalConnection) and connection.root:
            _check_root_folder(place, str(name), root)
        return LocalStorage(root)
    if isinstance(connection, AzureBlobConnection):
        from hygge.storage.blob_credentials import open_connection

        return open_connection(connection, str(name), secrets)
    kind = connection.type if connection is not None else "unknown"
    raise ConfigError(
        f"{place.flow}.{place.entity}: connection '{name}' is a {kind} connection; a file "
        "home or store needs a `local` connection (a folder) or none",
        hint="name a `type: local` connection, or drop `connection:` to use the workspace",
    )


def _check_root_folder(place: Place, name: str, root: Path) -> None:
    """ConfigError when a `local` connection's root is there but is no folder."""
    if root.is_dir() or not (root.exists() or root.is_symlink()):
        return  # a folder, or missing: a store creates it
    what = "a link to nothing" if not root.exists() else "a file, not a folder"
    raise ConfigError(
        f"{place.flow}.{place.entity}: connection '{name}' has root {root}, which is {what}",
        hint=f"set connections.{name}.root in hygge.yml to a folder",
    )
