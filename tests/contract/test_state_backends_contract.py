"""The local folder and the in-memory state backends pass the StateBackend contract unchanged."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

import hygge.state.atomic
import hygge.state.memory
from hygge.errors import InjectedFault
from hygge.state.local import LocalStateBackend
from hygge.state.memory import MemoryState, MemoryStateBackend
from tests.contract.state_contract import (
    STALE_AFTER,
    CrashWrite,
    FakeClock,
    OpenBackend,
    Processes,
    StateBackendContract,
)


class TestLocalStateBackend(StateBackendContract):
    @pytest.fixture
    def open_backend(self, tmp_path: Path, clock: FakeClock, processes: Processes) -> OpenBackend:
        def open_(host: str, pid: int) -> LocalStateBackend:
            return LocalStateBackend(
                tmp_path / ".hygge",
                clock=clock,
                host=host,
                pid=pid,
                stale_after=STALE_AFTER,
                alive=processes.alive,
            )

        return open_

    @pytest.fixture
    def crash_write(self, monkeypatch: pytest.MonkeyPatch) -> CrashWrite:
        """The next file write stops half way: half the new bytes are on disk, then it dies."""
        real = hygge.state.atomic._write_synced

        def half_then_die(path: Path, data: bytes) -> None:
            real(path, data[: len(data) // 2])
            raise InjectedFault(f"crash while writing {path}")

        @contextlib.contextmanager
        def crashing() -> Iterator[None]:
            with monkeypatch.context() as patch:
                patch.setattr(hygge.state.atomic, "_write_synced", half_then_die)
                yield

        return crashing


class TestMemoryStateBackend(StateBackendContract):
    @pytest.fixture
    def open_backend(self, clock: FakeClock, processes: Processes) -> OpenBackend:
        shared = MemoryState()

        def open_(host: str, pid: int) -> MemoryStateBackend:
            return MemoryStateBackend(
                shared,
                clock=clock,
                host=host,
                pid=pid,
                stale_after=STALE_AFTER,
                alive=processes.alive,
            )

        return open_

    @pytest.fixture
    def crash_write(self, monkeypatch: pytest.MonkeyPatch) -> CrashWrite:
        """The next write dies while it encodes the new value, before anything is stored."""

        def die(*args: object, **kwargs: object) -> bytes:
            raise InjectedFault("crash while writing a state value")

        @contextlib.contextmanager
        def crashing() -> Iterator[None]:
            with monkeypatch.context() as patch:
                patch.setattr(hygge.state.memory, "_encode", die)
                yield

        return crashing
