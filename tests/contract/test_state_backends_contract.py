"""The local folder, the in-memory and the blob state backends pass the StateBackend contract
unchanged (the blob one against Azurite, a fresh container and prefix per test)."""

from __future__ import annotations

import contextlib
import uuid
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


class TestBlobStateBackend(StateBackendContract):
    pytestmark = pytest.mark.azurite

    @pytest.fixture
    def open_backend(
        self, azurite, blob_container, clock: FakeClock, processes: Processes
    ) -> OpenBackend:
        from hygge.state.blob import BlobStateBackend
        from hygge.storage.blob import container_client

        prefix = f"hygge-state/{uuid.uuid4().hex[:8]}"

        def open_(host: str, pid: int) -> BlobStateBackend:
            client = container_client(
                None, blob_container, connection_string=azurite.connection_string
            )
            return BlobStateBackend(
                client,
                prefix,
                clock=clock,
                host=host,
                pid=pid,
                stale_after=STALE_AFTER,
                alive=processes.alive,
            )

        return open_

    @pytest.fixture
    def crash_write(self, monkeypatch: pytest.MonkeyPatch) -> CrashWrite:
        """The next blob write stops half way: half the new bytes reach the service as an
        uncommitted block, then it dies before the commit."""
        from azure.storage.blob import BlobClient

        def half_then_die(self: BlobClient, data: bytes, *args: object, **kwargs: object) -> None:
            self.stage_block(uuid.uuid4().hex, bytes(data)[: len(data) // 2])
            raise InjectedFault(f"crash while writing {self.blob_name}")

        @contextlib.contextmanager
        def crashing() -> Iterator[None]:
            with monkeypatch.context() as patch:
                patch.setattr(BlobClient, "upload_blob", half_then_die)
                yield

        return crashing
