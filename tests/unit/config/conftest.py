"""Builders for workspaces on disk (in tmp_path) and in memory."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

WriteWorkspace = Callable[[dict[str, str]], Path]

MINIMAL_PROJECT = "name: shop\n"


@pytest.fixture
def write_workspace(tmp_path: Path) -> WriteWorkspace:
    """Write `{relative path: YAML text}` under tmp_path/ws (hygge.yml added if missing)."""

    def write(files: dict[str, str]) -> Path:
        root = tmp_path / "ws"
        all_files = {"hygge.yml": MINIMAL_PROJECT, **files}
        for rel, text in all_files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return root

    return write


@pytest.fixture
def memory_source() -> type[MemorySource]:
    return MemorySource


class MemorySource:
    """A WorkspaceSource over a dict, standing in for a blob container prefix."""

    def __init__(self, files: dict[str, str], label: str = "az://container/prefix") -> None:
        self.files = {rel: textwrap.dedent(text).lstrip("\n") for rel, text in files.items()}
        self.label = label
        self.reads: list[str] = []

    def describe(self, rel_path: str) -> str:
        return f"{self.label}/{rel_path}" if rel_path else self.label

    def read_text(self, rel_path: str) -> str:
        self.reads.append(rel_path)
        if rel_path not in self.files:
            raise FileNotFoundError(rel_path)
        return self.files[rel_path]

    def exists(self, rel_path: str) -> bool:
        return rel_path in self.files or self.is_dir(rel_path)

    def is_dir(self, rel_path: str) -> bool:
        prefix = f"{rel_path}/" if rel_path else ""
        return any(name.startswith(prefix) for name in self.files)

    def list_dir(self, rel_path: str) -> list[str]:
        prefix = f"{rel_path}/" if rel_path else ""
        names = {
            name[len(prefix) :].split("/", 1)[0] for name in self.files if name.startswith(prefix)
        }
        return sorted(names)
