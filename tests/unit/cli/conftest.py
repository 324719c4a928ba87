"""Fixtures for CLI specifications: a runner and a freshly initialised sample project."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from hygge.cli.app import app

Invoke = Callable[..., Result]


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """Run `hygge ARGS…` in-process (stdout is not a terminal, so output is plain)."""
    monkeypatch.delenv("COLUMNS", raising=False)
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, list(args), catch_exceptions=False)

    return run


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, invoke: Invoke) -> Path:
    """`hygge init shop` in a temporary folder, with the current directory inside it."""
    monkeypatch.chdir(tmp_path)
    result = invoke("init", "shop")
    assert result.exit_code == 0, result.output
    root = tmp_path / "shop"
    monkeypatch.chdir(root)
    return root


Snapshot = Callable[[Path], dict[str, tuple[int, int]]]


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under `root` (hidden ones too) with size and mtime."""
    return {
        path.relative_to(root).as_posix(): (
            -1 if path.is_dir() else path.stat().st_size,
            path.stat().st_mtime_ns,
        )
        for path in sorted(root.rglob("*"))
    }


@pytest.fixture
def snapshot() -> Snapshot:
    """A function listing a folder tree, to prove a command wrote nothing."""
    return _snapshot
