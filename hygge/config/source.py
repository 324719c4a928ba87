"""Where workspace files are read from: a local folder, or a prefix of any ObjectStorage.

Paths are POSIX strings relative to the workspace root (`""` is the root itself), so the same
loader reads a folder on disk and a container prefix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable

from hygge.storage import Location, ObjectStorage, check_key, join_key


@runtime_checkable
class WorkspaceSource(Protocol):
    """Read-only access to the files of one workspace."""

    label: str  # shown in errors and kept as Workspace.location: "/home/u/proj", "az://c/p"

    def describe(self, rel_path: str) -> str:
        """How messages name the file at `rel_path` (a local workspace keeps it relative)."""
        ...

    def read_text(self, rel_path: str) -> str:
        """The UTF-8 text of a file; raises FileNotFoundError when it does not exist."""
        ...

    def exists(self, rel_path: str) -> bool:
        """True when a file or folder exists at `rel_path`."""
        ...

    def list_dir(self, rel_path: str) -> list[str]:
        """Names of the entries directly under `rel_path`, sorted."""
        ...

    def is_dir(self, rel_path: str) -> bool:
        """True when `rel_path` is a folder."""
        ...


class LocalFolderSource:
    """A workspace in a local folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.label = str(root)

    def _path(self, rel_path: str) -> Path:
        return self.root / rel_path if rel_path else self.root

    def describe(self, rel_path: str) -> str:
        return rel_path

    def read_text(self, rel_path: str) -> str:
        return self._path(rel_path).read_text(encoding="utf-8")

    def exists(self, rel_path: str) -> bool:
        return self._path(rel_path).exists()

    def list_dir(self, rel_path: str) -> list[str]:
        folder = self._path(rel_path)
        if not folder.is_dir():
            return []
        return sorted(entry.name for entry in folder.iterdir())

    def is_dir(self, rel_path: str) -> bool:
        return self._path(rel_path).is_dir()


class StorageWorkspaceSource:
    """A workspace under `prefix` of any ObjectStorage (a blob container prefix, memory)."""

    def __init__(self, storage: ObjectStorage, prefix: str = "") -> None:
        self.storage = storage
        self.prefix = check_key(prefix.strip("/"))
        self.label = storage.describe(self.prefix)

    def _key(self, rel_path: str) -> str:
        return join_key(self.prefix, check_key(rel_path.strip("/")))

    def describe(self, rel_path: str) -> str:
        return self.storage.describe(self._key(rel_path))

    def read_text(self, rel_path: str) -> str:
        with self.storage.open_read(self._key(rel_path)) as handle:
            return handle.read().decode("utf-8")

    def exists(self, rel_path: str) -> bool:
        return self.storage.stat(self._key(rel_path)) is not None or self.is_dir(rel_path)

    def list_dir(self, rel_path: str) -> list[str]:
        folder = self._key(rel_path)
        start = len(folder) + 1 if folder else 0
        return sorted({info.key[start:].split("/", 1)[0] for info in self.storage.list(folder)})

    def is_dir(self, rel_path: str) -> bool:
        return next(iter(self.storage.list(self._key(rel_path))), None) is not None


def open_workspace_source(uri: str, env: Mapping[str, str] | None = None) -> WorkspaceSource:
    """The source a workspace URI names: a local path or file:// folder, or an
    az://container/prefix on the account `env` names (`hygge.config.blob_workspace`)."""
    location = Location.parse(uri)
    folder = location.local_path()
    if folder is not None:
        return LocalFolderSource(folder.resolve())
    from hygge.config.blob_workspace import open_blob_workspace

    return open_blob_workspace(location, os.environ if env is None else env)
