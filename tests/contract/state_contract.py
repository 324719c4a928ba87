"""The StateBackend contract: what every state backend (local folder, memory, blob) must do.

A backend is done when a subclass of `StateBackendContract` passes, unchanged. It provides:

- `open_backend` fixture: `(host, pid) -> StateBackend`, a *new* backend object over the one
  state of the test, posing as process `pid` on `host` (a new object stands for another
  process), built with the contract's `clock`, `processes.alive` as its check whether a pid
  lives on its host, and `STALE_AFTER` as its stale timeout;
- `crash_write` fixture: a context manager under which the backend's next state write dies
  inside the write (InjectedFault): what was stored before must stay readable and unchanged.

Hosts and pids: `HERE` and `FAR` are two machines; pids in `LIVE` are running (on any host:
only the holder's own host can look), every other pid is gone.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hygge.errors import EntityLockedError, InjectedFault, StateError
from hygge.state.base import FileRecord, StateBackend, Watermark
from hygge.state.journal import JournalRow

STALE_AFTER = timedelta(minutes=10)
T0 = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
HERE, FAR = "here", "far"
LIVE = frozenset({100, 200})
GONE = 300

OpenBackend = Callable[[str, int], StateBackend]
CrashWrite = Callable[[], contextlib.AbstractContextManager[None]]


class FakeClock:
    """A clock that only moves when a test moves it."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Processes:
    """A process table: which pids are running."""

    def __init__(self) -> None:
        self.live = set(LIVE)

    def alive(self, pid: int) -> bool:
        return pid in self.live


def watermark(value: int, **overrides: Any) -> Watermark:
    record = FileRecord(
        path="a.csv", size=10, mtime_ns=1, rows=2, digest="d" * 64, whole_lines=True
    )
    fields: dict[str, Any] = {
        "column": "id",
        "value": value,
        "value_type": "int",
        "files": ["a.csv@1"],
        "file_records": [record],
        "entity_run_id": f"run-{value}",
        "updated_at": T0,
    }
    return Watermark(**(fields | overrides))


def journal_row(run: str, start: datetime, **overrides: Any) -> JournalRow:
    fields: dict[str, Any] = {
        "entity_run_id": run,
        "coordinator_run_id": "coord1",
        "flow_run_id": "flowrun1",
        "coordinator": "shop",
        "flow": "orders",
        "entity": "customers",
        "start_time": start,
        "finish_time": start + timedelta(seconds=5),
        "status": "success",
        "run_type": "incremental",
        "row_count": 10,
        "duration": 5.0,
        "window_from": "1",
        "window_to": "9",
        "host": HERE,
    }
    return JournalRow(**(fields | overrides))


class StateBackendContract:
    """Every StateBackend behaves like this."""

    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock()

    @pytest.fixture
    def processes(self) -> Processes:
        return Processes()

    @pytest.fixture
    def state(self, open_backend: OpenBackend) -> StateBackend:
        """This process: pid 100 (alive) on HERE."""
        return open_backend(HERE, 100)

    # Watermarks

    def test_watermark_set_get_clear_round_trip(self, state, open_backend):
        assert state.get_watermark("orders", "customers") is None
        state.set_watermark("orders", "customers", watermark(5))

        assert open_backend(FAR, 1).get_watermark("orders", "customers") == watermark(5)
        assert state.list_watermarks() == {"orders.customers": watermark(5)}
        assert state.clear_watermark("orders", "customers") is True
        assert state.clear_watermark("orders", "customers") is False
        assert state.get_watermark("orders", "customers") is None
        assert state.list_watermarks() == {}

    def test_watermark_set_again_replaces_it_and_entities_are_independent(self, state):
        state.set_watermark("orders", "customers", watermark(5))
        state.set_watermark("orders", "customers", watermark(7))
        state.set_watermark("orders", "lines", watermark(1))

        assert state.get_watermark("orders", "customers") == watermark(7)
        assert set(state.list_watermarks()) == {"orders.customers", "orders.lines"}

    def test_failed_watermark_write_leaves_the_old_value(self, state, crash_write):
        state.set_watermark("orders", "customers", watermark(5))

        with crash_write(), pytest.raises(InjectedFault):
            state.set_watermark("orders", "customers", watermark(7))

        assert state.get_watermark("orders", "customers") == watermark(5)

    # Checkpoints

    def test_checkpoint_save_load_clear_round_trip(self, state, open_backend):
        checkpoint: dict[str, Any] = {"run": "r1", "chunks": [1, 2], "at": None, "ok": True}
        state.save_checkpoint("orders", "customers", checkpoint)
        checkpoint["chunks"].append(3)  # the caller's later change is not stored

        stored = open_backend(FAR, 1).load_checkpoint("orders", "customers")
        assert stored == {"run": "r1", "chunks": [1, 2], "at": None, "ok": True}
        assert state.list_checkpoints() == {"orders.customers": stored}
        state.clear_checkpoint("orders", "customers")
        state.clear_checkpoint("orders", "customers")  # harmless when already gone
        assert state.load_checkpoint("orders", "customers") is None
        assert state.list_checkpoints() == {}

    def test_failed_checkpoint_write_leaves_the_old_checkpoint(self, state, crash_write):
        state.save_checkpoint("orders", "customers", {"chunk": 1})

        with crash_write(), pytest.raises(InjectedFault):
            state.save_checkpoint("orders", "customers", {"chunk": 2})

        assert state.load_checkpoint("orders", "customers") == {"chunk": 1}

    def test_checkpoint_that_is_not_plain_json_is_refused(self, state):
        with pytest.raises(StateError, match="not plain JSON"):
            state.save_checkpoint("orders", "customers", {"bad": float("nan")})
        assert state.load_checkpoint("orders", "customers") is None

    # Margins

    def test_margin_save_promote_clear(self, state):
        state.save_margin("orders", "customers", b"chunk-1", pending="run1.1")
        state.save_margin("orders", "customers", b"chunk-2", pending="run1.2")

        assert state.load_margin("orders", "customers") is None
        assert state.load_margin("orders", "customers", pending="run1.1") == b"chunk-1"
        state.promote_margin("orders", "customers", pending="run1.2")
        assert state.load_margin("orders", "customers") == b"chunk-2"
        assert state.load_margin("orders", "customers", pending="run1.1") is None
        assert state.load_margin("orders", "customers", pending="run1.2") is None
        state.save_margin("orders", "customers", b"chunk-3", pending="run2.1")
        state.clear_margin("orders", "customers")
        assert state.load_margin("orders", "customers") is None
        assert state.load_margin("orders", "customers", pending="run2.1") is None

    # Locks: exclusion and re-acquiring

    def test_lock_excludes_another_owner_naming_the_holder(self, state, open_backend, clock):
        state.acquire_lock("orders", "customers", "run-a")
        clock.advance(seconds=12)

        with pytest.raises(EntityLockedError) as caught:
            open_backend(HERE, 200).acquire_lock("orders", "customers", "run-b")

        message = str(caught.value)
        assert "orders.customers is being moved by run run-a" in message
        assert "(pid 100 on host here, heartbeat 12s ago)" in message
        assert "`hygge unlock --flow orders --entity customers`" in message
        assert state.get_lock("orders", "customers").owner == "run-a"

    def test_reacquire_by_the_same_owner_is_idempotent(self, state, open_backend, clock):
        first = state.acquire_lock("orders", "customers", "run-a")
        clock.advance(minutes=3)

        again = open_backend(FAR, 1).acquire_lock("orders", "customers", "run-a")

        assert again.acquired_at == first.acquired_at
        assert (again.owner, again.host, again.pid, again.heartbeat_at) == (
            "run-a",
            FAR,
            1,
            clock.now,
        )
        assert list(state.list_locks()) == ["orders.customers"]

    def test_locks_of_different_entities_are_independent(self, state):
        state.acquire_lock("orders", "customers", "run-a")
        state.acquire_lock("orders", "lines", "run-b")

        assert {k: v.owner for k, v in state.list_locks().items()} == {
            "orders.customers": "run-a",
            "orders.lines": "run-b",
        }

    def test_concurrent_acquire_from_threads_has_exactly_one_winner(self, open_backend):
        backends = [open_backend(HERE, 100) for _ in range(8)]
        barrier = threading.Barrier(len(backends))
        outcomes: dict[str, str] = {}

        def attempt(backend: StateBackend, owner: str) -> None:
            barrier.wait()
            try:
                backend.acquire_lock("orders", "customers", owner)
                outcomes[owner] = "won"
            except EntityLockedError:
                outcomes[owner] = "locked"
            except Exception as error:  # reported in the assertion, not lost in the thread
                outcomes[owner] = f"error: {error!r}"

        threads = [
            threading.Thread(target=attempt, args=(backend, f"run-{n}"))
            for n, backend in enumerate(backends)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert sorted(outcomes.values()) == ["locked"] * 7 + ["won"]
        winner = next(owner for owner, outcome in outcomes.items() if outcome == "won")
        assert backends[0].get_lock("orders", "customers").owner == winner

    # Locks: takeover only when the holder is dead

    def test_lock_of_a_dead_pid_on_the_same_host_is_taken_over(self, open_backend, clock):
        open_backend(HERE, GONE).acquire_lock("orders", "customers", "run-a")
        clock.advance(seconds=30)

        info = open_backend(HERE, 100).acquire_lock("orders", "customers", "run-b")

        assert (info.owner, info.acquired_at) == ("run-b", clock.now)

    def test_lock_of_another_host_is_taken_over_once_its_heartbeat_is_stale(
        self, open_backend, clock
    ):
        open_backend(FAR, GONE).acquire_lock("orders", "customers", "run-a")
        clock.advance(minutes=10)
        with pytest.raises(EntityLockedError, match="heartbeat 10m 0s ago"):
            open_backend(HERE, 100).acquire_lock("orders", "customers", "run-b")
        clock.advance(seconds=1)

        assert open_backend(HERE, 100).acquire_lock("orders", "customers", "run-b").owner == (
            "run-b"
        )

    def test_live_pid_on_the_same_host_is_never_taken_over(self, state, open_backend, clock):
        state.acquire_lock("orders", "customers", "run-a")
        clock.advance(days=1)

        with pytest.raises(EntityLockedError, match="heartbeat 1d 0h ago"):
            open_backend(HERE, 200).acquire_lock("orders", "customers", "run-b")
        assert state.get_lock("orders", "customers").owner == "run-a"

    # Locks: fencing

    def test_refresh_moves_the_heartbeat_and_keeps_the_lock_fresh(self, state, open_backend, clock):
        state.acquire_lock("orders", "customers", "run-a")
        clock.advance(minutes=9)
        state.refresh_lock("orders", "customers", "run-a")
        clock.advance(minutes=9)

        assert state.get_lock("orders", "customers").heartbeat_at == clock.now - timedelta(
            minutes=9
        )
        with pytest.raises(EntityLockedError):
            open_backend(FAR, 1).acquire_lock("orders", "customers", "run-b")

    def test_refresh_by_a_taken_over_owner_raises(self, state, open_backend, clock):
        state.acquire_lock("orders", "customers", "run-a")
        clock.advance(minutes=11)
        open_backend(FAR, 1).acquire_lock("orders", "customers", "run-b")

        with pytest.raises(EntityLockedError, match=r"run run-a no longer holds .* run run-b"):
            state.refresh_lock("orders", "customers", "run-a")
        assert state.get_lock("orders", "customers").owner == "run-b"

    def test_refresh_of_a_removed_lock_raises_state_error(self, open_backend, clock):
        far = open_backend(FAR, 1)
        far.acquire_lock("orders", "customers", "run-a")
        open_backend(HERE, 100).remove_lock("orders", "customers", force=True)

        with pytest.raises(
            StateError, match=r"lock of orders\.customers held by run run-a is gone"
        ):
            far.refresh_lock("orders", "customers", "run-a")

    def test_release_by_a_non_owner_leaves_the_lock(self, state):
        state.acquire_lock("orders", "customers", "run-a")

        state.release_lock("orders", "customers", "run-b")

        assert state.get_lock("orders", "customers").owner == "run-a"

    def test_release_by_the_owner_frees_the_entity(self, state, open_backend):
        state.acquire_lock("orders", "customers", "run-a")

        state.release_lock("orders", "customers", "run-a")
        state.release_lock("orders", "customers", "run-a")  # harmless when already free

        assert state.list_locks() == {}
        assert open_backend(HERE, 200).acquire_lock("orders", "customers", "run-b").owner == (
            "run-b"
        )

    # Locks: removal by `hygge unlock`

    def test_remove_lock_of_an_unlocked_entity_returns_none(self, state):
        assert state.remove_lock("orders", "customers") is None

    @pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
    def test_remove_never_takes_the_lock_of_a_live_pid_on_this_host(
        self, state, open_backend, clock, force
    ):
        state.acquire_lock("orders", "customers", "run-a")
        clock.advance(days=1)

        with pytest.raises(EntityLockedError, match="still running on this host"):
            open_backend(HERE, 200).remove_lock("orders", "customers", force=force)
        assert state.get_lock("orders", "customers").owner == "run-a"

    def test_remove_of_a_fresh_lock_of_another_host_needs_force(self, state, open_backend):
        open_backend(FAR, 1).acquire_lock("orders", "customers", "run-a")

        with pytest.raises(EntityLockedError, match="--force"):
            state.remove_lock("orders", "customers")
        removed = state.remove_lock("orders", "customers", force=True, holder="run-a")

        assert removed is not None and removed.owner == "run-a"
        assert state.get_lock("orders", "customers") is None

    def test_remove_of_a_dead_or_stale_holder_needs_no_force(self, state, open_backend, clock):
        open_backend(HERE, GONE).acquire_lock("orders", "customers", "run-a")
        open_backend(FAR, 1).acquire_lock("orders", "lines", "run-b")
        clock.advance(minutes=11)

        assert state.remove_lock("orders", "customers").owner == "run-a"
        assert state.remove_lock("orders", "lines").owner == "run-b"
        assert state.list_locks() == {}

    def test_remove_refuses_when_the_lock_changed_hands(self, state, open_backend):
        open_backend(HERE, GONE).acquire_lock("orders", "customers", "run-a")

        with pytest.raises(EntityLockedError, match="changed hands"):
            state.remove_lock("orders", "customers", holder="run-old")
        assert state.get_lock("orders", "customers").owner == "run-a"

    # Journal

    def test_journal_append_read_returns_equal_rows_newest_first(self, state, open_backend):
        first = journal_row("r1", T0)
        second = journal_row("r2", T0 + timedelta(minutes=1), status="fail", message="boom")
        other = journal_row("r3", T0 + timedelta(minutes=2), flow="sales", entity="lines")
        for row in (first, second, other):
            state.append_journal(row)

        reader = open_backend(FAR, 1)
        assert reader.read_journal() == [other, second, first]
        assert reader.read_journal(flows=["orders"]) == [second, first]
        assert reader.read_journal(entities=["sales.lines"]) == [other]
        assert reader.read_journal(entities=["customers"], limit=1) == [second]

    def test_journal_of_nothing_is_empty(self, state):
        assert state.read_journal() == []
