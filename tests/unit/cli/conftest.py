"""Fixtures for CLI specifications: a runner and a freshly initialised sample project."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from hygge.cli.app import app
from hygge.config import load_workspace
from hygge.engine.models import Checkpoint
from hygge.engine.plan import Selection, plan_run
from hygge.engine.steps import ChunkBudget, begin, move_chunk
from hygge.state.local import LocalStateBackend
from tests.support.context import LOCAL

Invoke = Callable[..., Result]


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """Run `hygge ARGS…` in-process (stdout is not a terminal, so output is plain)."""
    monkeypatch.delenv("COLUMNS", raising=False)
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return run


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """A console wide enough that no table cell wraps, so lines can be matched whole."""
    monkeypatch.setenv("COLUMNS", "300")


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


Interrupt = Callable[..., Checkpoint]


@pytest.fixture
def interrupt() -> Interrupt:
    """Leave an interrupted run of `flow.entity` behind: begin, one chunk, then the lock freed.

    That is what a crashed `hygge go` leaves: a checkpoint and staged files, and a lock the
    next run may take (here released, as a takeover of a dead process's lock would do).
    """

    def stop_after(name: str, rows: int = 1_000, phase: str | None = None) -> Checkpoint:
        workspace = load_workspace()
        state = LocalStateBackend(workspace.state_dir, workspace.journal_dir)
        [task] = plan_run(workspace, Selection(entities=[name])).tasks
        checkpoint = begin(task, state, context=LOCAL)
        checkpoint = move_chunk(
            task, checkpoint, state, budget=ChunkBudget(max_rows=rows), context=LOCAL
        )
        if phase is not None:
            checkpoint = checkpoint.model_copy(update={"phase": phase})
            state.save_checkpoint(task.flow, task.entity, checkpoint.model_dump(mode="json"))
        state.release_lock(task.flow, task.entity, checkpoint.attempt_id)
        return checkpoint

    return stop_after
