"""Builders and fakes for the local state specifications."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hygge.state.journal import JournalRow
from hygge.state.local import LocalStateBackend

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


class FakeClock:
    """A clock that only moves when a test moves it."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / ".hygge"


@pytest.fixture
def backend(state_dir: Path, clock: FakeClock) -> LocalStateBackend:
    # This process's pid on host "here", so the holder is alive as far as the lock can tell.
    return LocalStateBackend(state_dir, clock=clock, host="here", pid=os.getpid())


def _row(**overrides: Any) -> JournalRow:
    values: dict[str, Any] = {
        "entity_run_id": "run1",
        "coordinator_run_id": "coord1",
        "flow_run_id": "flowrun1",
        "coordinator": "shop",
        "flow": "orders",
        "entity": "customers",
        "start_time": T0,
        "finish_time": T0 + timedelta(seconds=5),
        "status": "success",
        "run_type": "incremental",
        "row_count": 10,
        "duration": 5.0,
    }
    values.update(overrides)
    return JournalRow(**values)


@pytest.fixture
def make_row() -> Callable[..., JournalRow]:
    """Builds a successful journal row for `orders.customers`; keywords override fields."""
    return _row


@pytest.fixture
def make_clock() -> Callable[[datetime], FakeClock]:
    return FakeClock
