"""Where workspace files are read from: a local folder today, a blob container prefix later.

Paths are POSIX strings relative to the workspace root (`""` is the root itself), so the same
loader reads a folder on disk and a container prefix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable


@runtime_checkable
class WorkspaceSource(Protocol):
    """Read-only access to the files of one workspace."""

    label: str  # shown in errors, e.g. "/home/u/proj" or "az://c/prefix"

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
