"""The lock part of the StateBackend contract (see `tests.contract.state_contract`)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from hygge.errors import EntityLockedError
from hygge.state.base import StateBackend
from tests.contract.state_support import FAR, GONE, HERE, FakeClock, OpenBackend, Processes


class StateLockContract:
    """Every StateBackend's entity locks behave like this."""

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

    def test_refresh_of_a_removed_lock_raises_entity_locked_error(self, open_backend, clock):
        far = open_backend(FAR, 1)
        far.acquire_lock("orders", "customers", "run-a")
        open_backend(HERE, 100).remove_lock("orders", "customers", force=True)

        with pytest.raises(
            EntityLockedError, match=r"lock of orders\.customers held by run run-a is gone"
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
