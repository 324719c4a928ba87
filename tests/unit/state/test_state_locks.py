"""Entity locks: one writer per entity, stale locks taken over by exactly one run."""

from __future__ import annotations

import logging
import multiprocessing
import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from hygge.errors import EntityLockedError, StateError
from hygge.state.local import LocalStateBackend
from hygge.state.lock_rules import format_age


def _dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _contend(backends: list[LocalStateBackend], owners: list[str]) -> dict[str, str]:
    """Each backend tries to lock orders.customers at the same moment; outcome per owner."""
    barrier = threading.Barrier(len(backends))
    outcomes: dict[str, str] = {}

    def attempt(backend: LocalStateBackend, owner: str) -> None:
        barrier.wait()
        try:
            backend.acquire_lock("orders", "customers", owner)
            outcomes[owner] = "won"
        except EntityLockedError:
            outcomes[owner] = "locked"
        except Exception as error:  # reported in the assertion, not lost in the thread
            outcomes[owner] = f"error: {error!r}"

    threads = [
        threading.Thread(target=attempt, args=pair) for pair in zip(backends, owners, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_acquire_records_owner_host_pid_and_times(backend, state_dir, clock):
    info = backend.acquire_lock("orders", "customers", "run-a")

    assert (info.owner, info.host, info.pid) == ("run-a", "here", os.getpid())
    assert info.acquired_at == info.heartbeat_at == clock.now
    assert backend.list_locks() == {"orders.customers": info}
    assert (state_dir / "locks" / "orders" / "customers.lock").is_file()


def test_second_owner_is_refused_naming_the_holder_and_the_unlock_command(backend, clock):
    backend.acquire_lock("orders", "customers", "run-a")
    clock.advance(seconds=12)

    with pytest.raises(EntityLockedError) as caught:
        backend.acquire_lock("orders", "customers", "run-b")

    message = str(caught.value)
    assert "orders.customers is being moved by run run-a" in message
    assert f"pid {os.getpid()} on host here, heartbeat 12s ago" in message
    assert "run `hygge unlock --flow orders --entity customers`" in message
    assert "remove" not in message
    assert backend.list_locks()["orders.customers"].owner == "run-a"


def test_live_holder_on_another_host_is_not_taken_over(state_dir, clock):
    elsewhere = LocalStateBackend(state_dir, clock=clock, host="far", pid=_dead_pid())
    elsewhere.acquire_lock("orders", "customers", "run-a")
    here = LocalStateBackend(state_dir, clock=clock, host="here")

    with pytest.raises(EntityLockedError, match=r"pid \d+ on host far"):
        here.acquire_lock("orders", "customers", "run-b")


def test_same_owner_reacquires_keeping_acquired_at_and_recording_where_it_runs(
    state_dir, backend, clock
):
    first = backend.acquire_lock("orders", "customers", "run-a")
    clock.advance(minutes=3)
    resumed_elsewhere = LocalStateBackend(state_dir, clock=clock, host="other", pid=77)

    again = resumed_elsewhere.acquire_lock("orders", "customers", "run-a")

    assert again.acquired_at == first.acquired_at
    assert (again.host, again.pid, again.heartbeat_at) == ("other", 77, clock.now)


def test_lock_of_a_dead_process_on_this_host_is_taken_over(state_dir, clock, caplog):
    crashed = LocalStateBackend(state_dir, clock=clock, host="here", pid=_dead_pid())
    crashed.acquire_lock("orders", "customers", "run-a")
    clock.advance(seconds=30)  # well inside the stale timeout: the dead pid alone decides
    alive = LocalStateBackend(state_dir, clock=clock, host="here")

    with caplog.at_level(logging.WARNING, logger="hygge.state.lock"):
        info = alive.acquire_lock("orders", "customers", "run-b")

    assert info.owner == "run-b"
    assert info.acquired_at == clock.now
    assert "stale lock of orders.customers held by run run-a" in caplog.text
    assert "no longer exists" in caplog.text


def test_lock_with_a_stale_heartbeat_is_taken_over(state_dir, clock, caplog):
    LocalStateBackend(state_dir, clock=clock, host="far", pid=1).acquire_lock(
        "orders", "customers", "run-a"
    )
    clock.advance(minutes=10, seconds=1)
    here = LocalStateBackend(state_dir, clock=clock, host="here")

    with caplog.at_level(logging.WARNING, logger="hygge.state.lock"):
        info = here.acquire_lock("orders", "customers", "run-b")

    assert info.owner == "run-b"
    assert "heartbeat 10m 1s ago" in caplog.text


def test_heartbeat_exactly_at_the_stale_timeout_still_holds(state_dir, clock):
    LocalStateBackend(state_dir, clock=clock, host="far", pid=1).acquire_lock(
        "orders", "customers", "run-a"
    )
    clock.advance(minutes=10)

    with pytest.raises(EntityLockedError, match="heartbeat 10m 0s ago"):
        LocalStateBackend(state_dir, clock=clock, host="here").acquire_lock(
            "orders", "customers", "run-b"
        )


def test_stale_timeout_is_configurable(state_dir, clock):
    LocalStateBackend(state_dir, clock=clock, host="far", pid=1).acquire_lock(
        "orders", "customers", "run-a"
    )
    clock.advance(seconds=31)
    impatient = LocalStateBackend(
        state_dir, clock=clock, host="here", stale_after=timedelta(seconds=30)
    )

    assert impatient.acquire_lock("orders", "customers", "run-b").owner == "run-b"


def test_refresh_moves_the_heartbeat_forward_and_keeps_the_lock_fresh(state_dir, backend, clock):
    backend.acquire_lock("orders", "customers", "run-a")
    clock.advance(minutes=9)
    backend.refresh_lock("orders", "customers", "run-a")
    clock.advance(minutes=9)  # 18 minutes since acquiring, 9 since the heartbeat

    assert backend.list_locks()["orders.customers"].heartbeat_at == clock.now - timedelta(minutes=9)
    with pytest.raises(EntityLockedError):
        LocalStateBackend(state_dir, clock=clock, host="far").acquire_lock(
            "orders", "customers", "run-b"
        )


def test_refresh_after_a_takeover_tells_the_old_run_to_stop(state_dir, backend, clock):
    backend.acquire_lock("orders", "customers", "run-a")
    clock.advance(minutes=11)
    LocalStateBackend(state_dir, clock=clock, host="far").acquire_lock(
        "orders", "customers", "run-b"
    )

    with pytest.raises(EntityLockedError, match=r"run run-a no longer holds .* run run-b"):
        backend.refresh_lock("orders", "customers", "run-a")
    assert backend.list_locks()["orders.customers"].owner == "run-b"


def test_refresh_after_the_lock_file_was_removed_raises_entity_locked_error(backend):
    backend.acquire_lock("orders", "customers", "run-a")
    backend.lock_path("orders", "customers").unlink()

    with pytest.raises(
        EntityLockedError, match=r"lock of orders\.customers held by run run-a is gone"
    ):
        backend.refresh_lock("orders", "customers", "run-a")


def test_release_by_the_owner_removes_the_lock(backend):
    backend.acquire_lock("orders", "customers", "run-a")

    backend.release_lock("orders", "customers", "run-a")

    assert backend.list_locks() == {}
    assert backend.acquire_lock("orders", "customers", "run-b").owner == "run-b"


def test_release_by_another_run_leaves_the_lock_in_place(backend, caplog):
    backend.acquire_lock("orders", "customers", "run-a")

    with caplog.at_level(logging.WARNING, logger="hygge.state.lock"):
        backend.release_lock("orders", "customers", "run-b")

    assert backend.list_locks()["orders.customers"].owner == "run-a"
    assert "held by run run-a, not by run run-b" in caplog.text


def test_releasing_an_unlocked_entity_is_harmless(backend):
    backend.release_lock("orders", "customers", "run-a")

    assert backend.list_locks() == {}


def test_locks_of_different_entities_are_independent(backend):
    backend.acquire_lock("orders", "customers", "run-a")
    backend.acquire_lock("orders", "lines", "run-b")

    assert {k: v.owner for k, v in backend.list_locks().items()} == {
        "orders.customers": "run-a",
        "orders.lines": "run-b",
    }


def test_corrupt_lock_file_raises_state_error_naming_it(backend):
    path = backend.lock_path("orders", "customers")
    path.parent.mkdir(parents=True)
    path.write_text('{"owner": "run-a", "ho')

    with pytest.raises(StateError) as caught:
        backend.acquire_lock("orders", "customers", "run-b")

    assert str(path) in str(caught.value)
    assert (
        "If no run of orders.customers is active, remove it with "
        "`hygge unlock --flow orders --entity customers --force`"
    ) in str(caught.value)


def test_concurrent_acquire_from_threads_has_exactly_one_winner(state_dir, clock):
    owners = [f"run-{n}" for n in range(8)]
    backends = [LocalStateBackend(state_dir, clock=clock, host="here") for _ in owners]

    outcomes = _contend(backends, owners)

    assert sorted(outcomes.values()) == ["locked"] * 7 + ["won"]
    winner = next(owner for owner, outcome in outcomes.items() if outcome == "won")
    assert backends[0].list_locks()["orders.customers"].owner == winner


def test_concurrent_takeover_of_a_stale_lock_has_exactly_one_winner(state_dir, clock):
    LocalStateBackend(state_dir, clock=clock, host="far", pid=1).acquire_lock(
        "orders", "customers", "run-old"
    )
    clock.advance(hours=1)
    owners = [f"run-{n}" for n in range(8)]
    backends = [LocalStateBackend(state_dir, clock=clock, host="here") for _ in owners]

    outcomes = _contend(backends, owners)

    assert sorted(outcomes.values()) == ["locked"] * 7 + ["won"]
    winner = next(owner for owner, outcome in outcomes.items() if outcome == "won")
    assert backends[0].list_locks()["orders.customers"].owner == winner


def _acquire_in_process(
    state_dir: str, owner: str, stale_clock: bool, barrier: object, results: object
) -> None:
    from datetime import UTC, datetime

    from hygge.state.local import LocalStateBackend as Backend

    now = datetime(2030, 1, 1, tzinfo=UTC) if stale_clock else datetime.now(UTC)
    backend = Backend(Path(state_dir), clock=lambda: now)
    barrier.wait()  # type: ignore[attr-defined]
    try:
        backend.acquire_lock("orders", "customers", owner)
        results.put((owner, "won"))  # type: ignore[attr-defined]
    except EntityLockedError:
        results.put((owner, "locked"))  # type: ignore[attr-defined]
    except Exception as error:  # reported to the parent, so it never waits for a dead child
        results.put((owner, f"error: {error!r}"))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "stale_lock_present",
    [pytest.param(False, id="fresh"), pytest.param(True, id="stale-takeover")],
)
def test_concurrent_acquire_from_processes_has_exactly_one_winner(state_dir, stale_lock_present):
    if stale_lock_present:
        LocalStateBackend(state_dir, host="far", pid=1).acquire_lock(
            "orders", "customers", "run-old"
        )
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(4)
    results = context.Queue()
    processes = [
        context.Process(
            target=_acquire_in_process,
            args=(str(state_dir), f"run-{n}", stale_lock_present, barrier, results),
        )
        for n in range(4)
    ]
    for process in processes:
        process.start()
    outcomes = dict(results.get(timeout=60) for _ in processes)
    for process in processes:
        process.join()

    assert sorted(outcomes.values()) == ["locked"] * 3 + ["won"]
    winner = next(owner for owner, outcome in outcomes.items() if outcome == "won")
    assert LocalStateBackend(state_dir).list_locks()["orders.customers"].owner == winner


@pytest.mark.parametrize(
    ("age", "text"),
    [
        pytest.param(timedelta(seconds=-3), "0s", id="clock-skew"),
        pytest.param(timedelta(seconds=12), "12s", id="seconds"),
        pytest.param(timedelta(minutes=3, seconds=4), "3m 4s", id="minutes"),
        pytest.param(timedelta(hours=2, minutes=5, seconds=9), "2h 5m", id="hours"),
        pytest.param(timedelta(days=3, hours=4), "3d 4h", id="days"),
    ],
)
def test_ages_read_like_a_person_would_say_them(age, text):
    assert format_age(age) == text


def test_live_process_on_this_host_is_never_taken_over_however_old_its_heartbeat(
    state_dir, backend, clock
):
    # The holder is this test's own process: alive, on host "here", silent for an hour.
    backend.acquire_lock("orders", "customers", "run-a")
    clock.advance(hours=1)
    rival = LocalStateBackend(state_dir, clock=clock, host="here", pid=os.getpid() + 1)

    with pytest.raises(EntityLockedError, match="heartbeat 1h 0m ago"):
        rival.acquire_lock("orders", "customers", "run-b")
    assert backend.list_locks()["orders.customers"].owner == "run-a"


def test_where_the_process_table_cannot_tell_the_heartbeat_decides(state_dir, clock):
    def unknown(pid: int) -> None:
        return None  # as on Windows

    LocalStateBackend(state_dir, clock=clock, host="here", pid=7, alive=unknown).acquire_lock(
        "orders", "customers", "run-a"
    )
    rival = LocalStateBackend(state_dir, clock=clock, host="here", pid=8, alive=unknown)
    clock.advance(minutes=5)
    with pytest.raises(EntityLockedError):
        rival.acquire_lock("orders", "customers", "run-b")
    with pytest.raises(EntityLockedError, match="cannot tell whether process 7 still runs"):
        rival.remove_lock("orders", "customers")
    clock.advance(minutes=5, seconds=1)

    assert rival.acquire_lock("orders", "customers", "run-b").owner == "run-b"


def test_unlock_force_removes_a_fresh_lock_whose_process_this_host_cannot_see(state_dir, clock):
    def unknown(pid: int) -> None:
        return None

    LocalStateBackend(state_dir, clock=clock, host="here", pid=7, alive=unknown).acquire_lock(
        "orders", "customers", "run-a"
    )
    rival = LocalStateBackend(state_dir, clock=clock, host="here", pid=8, alive=unknown)

    assert rival.remove_lock("orders", "customers", force=True).owner == "run-a"
    assert rival.list_locks() == {}


def test_unlock_force_removes_an_unreadable_lock_file(backend):
    path = backend.lock_path("orders", "customers")
    path.parent.mkdir(parents=True)
    path.write_text("[]")

    with pytest.raises(StateError, match="is corrupt"):
        backend.remove_lock("orders", "customers")
    assert backend.remove_lock("orders", "customers", force=True) is None
    assert not path.exists()


def test_a_fence_moments_after_the_last_heartbeat_checks_the_owner_without_rewriting(
    state_dir, backend, clock
):
    backend.acquire_lock("orders", "customers", "run-a")
    lock = state_dir / "locks" / "orders" / "customers.lock"
    written = lock.stat().st_ino
    clock.advance(seconds=5)

    backend.refresh_lock("orders", "customers", "run-a")

    assert lock.stat().st_ino == written  # not replaced: the heartbeat is 5 s old
    assert backend.get_lock("orders", "customers").heartbeat_at == clock.now - timedelta(seconds=5)


def test_a_fence_moments_after_a_takeover_still_raises(state_dir, backend, clock):
    backend.acquire_lock("orders", "customers", "run-a")
    clock.advance(minutes=11)
    LocalStateBackend(state_dir, clock=clock, host="far", pid=1).acquire_lock(
        "orders", "customers", "run-b"
    )

    with pytest.raises(EntityLockedError, match="run run-b"):
        backend.refresh_lock("orders", "customers", "run-a")


def test_a_refresh_by_another_process_of_the_same_run_records_that_process(
    state_dir, backend, clock
):
    backend.acquire_lock("orders", "customers", "run-a")
    resumed = LocalStateBackend(state_dir, clock=clock, host="here", pid=os.getpid() + 1)
    clock.advance(seconds=1)

    resumed.refresh_lock("orders", "customers", "run-a")

    held = backend.get_lock("orders", "customers")
    assert (held.pid, held.heartbeat_at) == (os.getpid() + 1, clock.now)


@pytest.mark.skipif(sys.platform == "win32", reason="flock: the Windows branch retries 10 s")
def test_a_lock_mutex_held_by_a_stopped_process_fails_the_run_instead_of_hanging_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl

    from hygge.state import lock

    backend = LocalStateBackend(tmp_path / ".hygge")
    backend.acquire_lock("orders", "customers", "attempt-1")
    mutex = next((tmp_path / ".hygge").rglob("customers.lock.mutex"))
    monkeypatch.setattr(lock, "MUTEX_WAIT", 0.2)
    held = os.open(mutex, os.O_RDWR)  # as a SIGSTOPped process inside a lock write holds it
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        # (re-)taking the lock writes it, under the mutex; a fresh refresh only reads it
        with pytest.raises(StateError, match=r"held by another process for 0 s.*stopped or hung"):
            backend.acquire_lock("orders", "customers", "attempt-1")
    finally:
        os.close(held)

    backend.acquire_lock("orders", "customers", "attempt-1")  # free again: it goes on
