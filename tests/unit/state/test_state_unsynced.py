"""Unsynced state writes (locks, a moving run's checkpoints): no fsync at all, and what a power
cut can leave of them — the name with no bytes, or its first bytes then zeros (a torn file) —
reads as no file, with a warning naming it."""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from hygge.errors import EntityLockedError, StateError
from hygge.state.atomic import is_torn
from hygge.state.local import LocalStateBackend
from hygge.state.lock_rules import boot_began, this_boot

CHECKPOINT = {"rows": 3, "generation": 1}


@contextmanager
def _fsyncs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every fsync made meanwhile, as `file` or `dir`."""
    seen: list[str] = []
    real = os.fsync

    def counting(fd: int) -> None:
        seen.append("dir" if Path(f"/proc/self/fd/{fd}").is_dir() else "file")
        real(fd)

    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", counting)
        yield seen


def _checkpoint_file(state_dir: Path) -> Path:
    return state_dir / "checkpoints" / "orders" / "customers.json"


def _lock_file(state_dir: Path) -> Path:
    return state_dir / "locks" / "orders" / "customers.lock"


@pytest.mark.parametrize(
    ("raw", "torn"),
    [
        (b"", True),
        (b"\0" * 512, True),
        (b'{"rows": 3' + b"\0" * 100, True),  # its first bytes written back, the rest not
        (b"\0{}", False),  # zeros, then bytes: damage of another kind (reported as corrupt)
        (b"{}", False),
        (b" ", False),
        (b'{"note": "\\u0000"}', False),  # JSON's escaped NUL is no NUL byte
    ],
)
def test_an_empty_file_or_one_with_a_nul_byte_counts_as_torn(raw, torn):
    assert is_torn(raw) is torn


def test_an_unsynced_checkpoint_save_fsyncs_nothing_and_a_synced_one_file_and_folder(
    tmp_path, monkeypatch
):
    backend = LocalStateBackend(tmp_path / ".hygge")
    backend.save_checkpoint("orders", "customers", {"rows": 0})  # folders made
    with _fsyncs(monkeypatch) as unsynced:
        backend.save_checkpoint("orders", "customers", CHECKPOINT, synced=False)
        assert backend.replace_checkpoint("orders", "customers", CHECKPOINT, 1, synced=False)
    with _fsyncs(monkeypatch) as synced:
        backend.save_checkpoint("orders", "customers", CHECKPOINT)

    assert unsynced == []
    assert synced == ["file", "dir"]  # the bytes before the name, then the name
    assert backend.load_checkpoint("orders", "customers") == CHECKPOINT


@pytest.mark.parametrize(
    "torn", [b"", b"\0" * 300, b'{"rows": 3' + b"\0" * 300], ids=["empty", "zeros", "first-bytes"]
)
def test_a_checkpoint_torn_by_a_power_cut_reads_as_none_and_is_replaced(tmp_path, torn, caplog):
    backend = LocalStateBackend(tmp_path / ".hygge")
    path = _checkpoint_file(backend.layout.state_dir)
    path.parent.mkdir(parents=True)
    path.write_bytes(torn)

    with caplog.at_level(logging.WARNING):
        assert backend.load_checkpoint("orders", "customers") is None
    assert f"the checkpoint {path} is torn by a power cut" in caplog.text, caplog.text
    assert backend.list_checkpoints() == {}
    # a compare-and-swap finds nothing to swap; a plain save replaces the torn file
    assert not backend.replace_checkpoint("orders", "customers", CHECKPOINT, 0)
    backend.save_checkpoint("orders", "customers", CHECKPOINT, synced=False)
    assert backend.load_checkpoint("orders", "customers") == CHECKPOINT


def test_a_half_written_checkpoint_is_still_refused_as_corrupt(tmp_path):
    """A tear ends in zeros: half a JSON document without them is damage hygge did not leave."""
    backend = LocalStateBackend(tmp_path / ".hygge")
    path = _checkpoint_file(backend.layout.state_dir)
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"rows": 3, "gen')
    with pytest.raises(StateError, match="corrupt"):
        backend.load_checkpoint("orders", "customers")


def test_taking_and_refreshing_a_lock_fsyncs_nothing_and_a_release_its_folder(
    tmp_path, monkeypatch
):
    backend = LocalStateBackend(tmp_path / ".hygge")
    backend.acquire_lock("orders", "other", "attempt-0")  # folders made
    with _fsyncs(monkeypatch) as taking:
        backend.acquire_lock("orders", "customers", "attempt-1")
        backend.acquire_lock("orders", "customers", "attempt-1")  # re-taken: rewritten
        backend.refresh_lock("orders", "customers", "attempt-1")
    with _fsyncs(monkeypatch) as releasing:
        backend.release_lock("orders", "customers", "attempt-1")

    assert taking == []
    # The lock names this boot: should a power cut bring it back, the next run takes it over
    # (`test_a_lock_of_an_earlier_boot_is_taken_over_though_its_pid_is_alive`).
    assert releasing == []


def test_a_lock_without_a_boot_is_released_synced(tmp_path, monkeypatch):
    """An older hygge's lock (or one of a system without boot ids): a removal that did not
    survive a power cut would bring back a lock whose pid may be alive again after the reboot
    (another process), and block the entity."""
    backend = LocalStateBackend(tmp_path / ".hygge")
    info = backend.acquire_lock("orders", "customers", "attempt-1")
    path = _lock_file(backend.layout.state_dir)
    path.write_text(info.model_dump_json(exclude={"boot"}))  # as an older hygge wrote it
    assert backend.get_lock("orders", "customers") == info.model_copy(update={"boot": None})
    with _fsyncs(monkeypatch) as releasing:
        backend.release_lock("orders", "customers", "attempt-1")
    assert releasing == ["dir"]
    assert not path.exists()


def test_a_lock_records_this_hosts_boot(tmp_path):
    backend = LocalStateBackend(tmp_path / ".hygge")
    info = backend.acquire_lock("orders", "customers", "attempt-1")
    assert info.boot == this_boot()
    assert backend.get_lock("orders", "customers") == info


@pytest.mark.skipif(
    None in (this_boot(), boot_began()), reason="this system has no boot id to compare"
)
def test_a_lock_of_an_earlier_boot_is_taken_over_though_its_pid_is_alive(tmp_path, caplog):
    """What an unsynced release can leave after a power cut: the lock, from the boot before;
    its pid may belong to another process now (here: this test's own, alive)."""
    backend = LocalStateBackend(tmp_path / ".hygge")
    info = backend.acquire_lock("orders", "customers", "attempt-1")
    path = _lock_file(backend.layout.state_dir)
    beaten = boot_began() - timedelta(minutes=1)  # its last heartbeat, before this boot began
    update = {"boot": "an-earlier-boot", "heartbeat_at": beaten}
    path.write_text(info.model_copy(update=update).model_dump_json())

    with caplog.at_level(logging.WARNING):
        taken = backend.acquire_lock("orders", "customers", "attempt-2")
    assert taken.owner == "attempt-2"
    assert "restarted since process" in caplog.text


def test_a_lock_of_this_boot_or_without_one_is_not_taken_while_its_pid_lives(tmp_path):
    backend = LocalStateBackend(tmp_path / ".hygge")
    info = backend.acquire_lock("orders", "customers", "attempt-1")
    path = _lock_file(backend.layout.state_dir)
    for boot in (this_boot(), None):
        path.write_text(info.model_copy(update={"boot": boot}).model_dump_json())
        with pytest.raises(EntityLockedError):
            backend.acquire_lock("orders", "customers", "attempt-2")


@pytest.mark.parametrize(
    "torn", [b"", b"\0" * 200, b'{"owner": "a' + b"\0" * 200], ids=["empty", "zeros", "first-bytes"]
)
def test_a_lock_torn_by_a_power_cut_is_no_lock_and_the_next_run_takes_it(tmp_path, torn):
    backend = LocalStateBackend(tmp_path / ".hygge")
    path = _lock_file(backend.layout.state_dir)
    path.parent.mkdir(parents=True)
    path.write_bytes(torn)

    assert backend.get_lock("orders", "customers") is None
    assert backend.list_locks() == {}
    assert backend.remove_lock("orders", "customers") is None  # `hygge unlock`: nothing held

    taken = backend.acquire_lock("orders", "customers", "attempt-2")
    assert backend.get_lock("orders", "customers") == taken
    backend.refresh_lock("orders", "customers", "attempt-2")
    backend.release_lock("orders", "customers", "attempt-2")
    assert not path.exists()


def test_a_fresh_refresh_does_not_wait_for_the_mutex_and_still_fences(tmp_path):
    """The fence at every step boundary reads the lock; the mutex is for writing it."""
    backend = LocalStateBackend(tmp_path / ".hygge")
    backend.acquire_lock("orders", "customers", "attempt-1")
    mutex = next((tmp_path / ".hygge").rglob("customers.lock.mutex"))
    held = os.open(mutex, os.O_RDWR)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)  # another process in the middle of a lock write
        backend.refresh_lock("orders", "customers", "attempt-1")
    finally:
        os.close(held)
    with pytest.raises(EntityLockedError, match="no longer holds the lock"):
        backend.refresh_lock("orders", "customers", "attempt-9")
    _lock_file(tmp_path / ".hygge").unlink()  # removed by hand (or `hygge unlock --force`)
    with pytest.raises(EntityLockedError, match="is gone"):
        backend.refresh_lock("orders", "customers", "attempt-1")
