"""The blob state under real concurrency, against Azurite: writers racing in separate processes
lose no update, and entity locks are blob leases that lapse, are renewed by the heartbeat,
and are taken over only once their holder is gone."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from typing import Any

import polars as pl
import pytest

from hygge.errors import EntityLockedError
from hygge.state.base import FileRecord
from hygge.state.blob import BlobStateBackend
from hygge.state.heartbeat import Heartbeat
from hygge.state.journal import JournalRow
from hygge.state.ledger import shard_of
from hygge.storage.blob import container_client
from tests.support.azurite import ACCOUNT, KEY

pytestmark = pytest.mark.azurite

WRITERS = 3
ROUNDS = 25
WAIT = 90.0  # seconds a lease may take to lapse before a test gives up (not a timing check)


def _backend(
    connection_string: str, container: str, prefix: str, host: str = "h", **options: object
) -> BlobStateBackend:
    client = container_client(None, container, connection_string=connection_string)
    return BlobStateBackend(client, prefix, host=host, **options)  # type: ignore[arg-type]


@pytest.fixture
def where(azurite, blob_container) -> tuple[str, str, str]:
    return azurite.connection_string, blob_container, f"s/{uuid.uuid4().hex[:8]}"


def _bump_checkpoint(where: tuple[str, str, str], writer: int, start: Any) -> tuple[list[int], int]:
    """Read the checkpoint and replace it with the next generation until ROUNDS are won;
    the generations won, and how many replaces lost the race."""
    state = _backend(*where, host=f"writer-{writer}")
    won: list[int] = []
    lost = 0
    start.wait()
    while len(won) < ROUNDS:
        stored = state.load_checkpoint("orders", "customers")
        assert stored is not None
        generation = int(stored["generation"])  # type: ignore[arg-type]
        seen = [*stored["seen"], writer]  # type: ignore[misc]
        mine = {"generation": generation + 1, "by": writer, "seen": seen}
        if state.replace_checkpoint("orders", "customers", mine, generation):
            won.append(generation + 1)
        else:
            lost += 1
    return won, lost


def _record_files(where: tuple[str, str, str], paths: list[str], start: Any) -> None:
    state = _backend(*where)
    start.wait()
    for path in paths:
        record = FileRecord(path=path, size=1, mtime_ns=1, rows=1, digest=None, whole_lines=True)
        state.write_file_ledger("orders", "customers", [record])


def _set_watermarks(where: tuple[str, str, str], writer: int, start: Any) -> None:
    from tests.contract.state_contract import watermark

    state = _backend(*where)
    start.wait()
    for n in range(ROUNDS):
        state.set_watermark("orders", "customers", watermark(writer * 1000 + n))


@contextlib.contextmanager
def _racing() -> Iterator[tuple[ProcessPoolExecutor, Any]]:
    """WRITERS processes, and a barrier they pass together so that their writes overlap."""
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(WRITERS, mp_context=context) as pool:
        yield pool, manager.Barrier(WRITERS)


def test_processes_racing_replace_checkpoint_lose_no_generation(where):
    _backend(*where).save_checkpoint("orders", "customers", {"generation": 0, "seen": []})

    with _racing() as (pool, start):
        results = list(
            pool.map(_bump_checkpoint, [where] * WRITERS, range(WRITERS), [start] * WRITERS)
        )

    won = [wins for wins, _ in results]
    assert sum(lost for _, lost in results) > 0  # they did race
    final = _backend(*where).load_checkpoint("orders", "customers")
    assert final is not None
    every = sorted(g for wins in won for g in wins)
    assert every == list(range(1, WRITERS * ROUNDS + 1))  # each generation won exactly once
    assert final["generation"] == WRITERS * ROUNDS
    # Every replace saw the one before it: the history holds every win, in order.
    assert len(final["seen"]) == WRITERS * ROUNDS  # type: ignore[arg-type]


def test_processes_recording_files_in_one_ledger_shard_lose_none(where):
    paths = [p for p in (f"day-{n}.csv" for n in range(20000)) if shard_of(p) == "0a"]
    paths = paths[: WRITERS * 10]
    shares = [paths[i::WRITERS] for i in range(WRITERS)]

    with _racing() as (pool, start):
        list(pool.map(_record_files, [where] * WRITERS, shares, [start] * WRITERS))

    state = _backend(*where)
    assert set(state.read_file_ledger("orders", "customers", paths)) == set(paths)
    assert state.count_file_ledger("orders", "customers") == len(paths)


def test_processes_racing_set_watermark_leave_one_whole_watermark(where):
    with _racing() as (pool, start):
        list(pool.map(_set_watermarks, [where] * WRITERS, range(WRITERS), [start] * WRITERS))

    stored = _backend(*where).get_watermark("orders", "customers")
    assert stored is not None
    assert stored.value in {w * 1000 + ROUNDS - 1 for w in range(WRITERS)}  # a last write, whole


def _lease_state(where: tuple[str, str, str], key: str) -> str:
    from azure.storage.blob import BlobClient

    connection_string, container, prefix = where
    blob = BlobClient.from_connection_string(connection_string, container, f"{prefix}/{key}")
    return str(blob.get_blob_properties().lease.state)


def _wait_for_lease(where: tuple[str, str, str], key: str, state: str) -> None:
    deadline = time.monotonic() + WAIT
    while _lease_state(where, key) != state:
        assert time.monotonic() < deadline, f"the lease of {key} never became {state}"
        time.sleep(0.5)


def test_a_lapsed_lease_is_taken_over_and_its_old_holder_is_fenced(where):
    holder = _backend(*where, host="a", pid=1, lease_seconds=15)
    other = _backend(*where, host="b", pid=2, lease_seconds=15)
    holder.acquire_lock("orders", "customers", "run-a")

    with pytest.raises(EntityLockedError, match="being moved by run run-a"):
        other.acquire_lock("orders", "customers", "run-b")
    _wait_for_lease(where, holder.lock_key("orders", "customers"), "expired")  # no renewal

    taken = other.acquire_lock("orders", "customers", "run-b")

    assert (taken.owner, taken.host) == ("run-b", "b")
    with pytest.raises(EntityLockedError, match=r"run run-a no longer holds .* run run-b"):
        holder.refresh_lock("orders", "customers", "run-a")
    holder.release_lock("orders", "customers", "run-a")  # leaves run-b's lock
    assert other.get_lock("orders", "customers").owner == "run-b"  # type: ignore[union-attr]
    other.refresh_lock("orders", "customers", "run-b")
    other.release_lock("orders", "customers", "run-b")
    assert other.list_locks() == {}


def test_the_heartbeat_renews_the_lease_past_its_duration(where):
    holder = _backend(*where, host="a", pid=1, lease_seconds=15)
    other = _backend(*where, host="b", pid=2, lease_seconds=15)
    holder.acquire_lock("orders", "customers", "run-a")
    key = holder.lock_key("orders", "customers")

    with Heartbeat(holder, "orders", "customers", "run-a", holder.renew_every) as beat:
        deadline = time.monotonic() + WAIT
        while beat.beats < 5:  # 5 renewals every 5 s: past the 15 s lease
            assert time.monotonic() < deadline and beat.lost is None
            time.sleep(0.5)
        assert _lease_state(where, key) == "leased"
        with pytest.raises(EntityLockedError):
            other.acquire_lock("orders", "customers", "run-b")
    assert beat.lost is None

    holder.release_lock("orders", "customers", "run-a")
    assert other.acquire_lock("orders", "customers", "run-b").owner == "run-b"


HOLD = """
import sys, time
from hygge.state.blob import BlobStateBackend
from hygge.storage.blob import container_client
cs, container, prefix = sys.argv[1:4]
client = container_client(None, container, connection_string=cs)
BlobStateBackend(client, prefix).acquire_lock("orders", "customers", "run-dead")
print("held", flush=True)
time.sleep(600)
"""


def test_the_lease_of_a_killed_process_on_this_host_is_taken_over_at_once(where):
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(HOLD), *where],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        here = _backend(*where, host=socket.gethostname())
        with pytest.raises(EntityLockedError, match="being moved by run run-dead"):
            here.acquire_lock("orders", "customers", "run-next")
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()

        taken = here.acquire_lock("orders", "customers", "run-next")  # the lease is still live

        assert taken.owner == "run-next"
        assert _lease_state(where, here.lock_key("orders", "customers")) == "leased"
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_the_journal_is_parquet_that_polars_reads_from_the_container(where, azurite):
    state = _backend(*where)
    start = pl.datetime(2026, 1, 1, time_zone="UTC")
    for n in range(3):
        moment = pl.select(start + timedelta(minutes=n)).item()
        state.append_journal(
            JournalRow(
                entity_run_id=f"run-{n}",
                coordinator_run_id="c",
                flow_run_id="f",
                coordinator="shop",
                flow="orders",
                entity="customers",
                start_time=moment,
                status="success",
                run_type="full_drop",
                row_count=n,
            )
        )
    options = {
        "account_name": ACCOUNT,
        "account_key": KEY,
        "azure_storage_endpoint": azurite.account_url,
        "allow_http": "true",
    }

    frame = pl.scan_parquet(state.journal_glob(), storage_options=options).collect()

    assert sorted(frame["entity_run_id"].to_list()) == ["run-0", "run-1", "run-2"]
    assert frame["row_count"].sum() == 3
    assert frame.columns[:18][-1] == "schema_version"  # the original's 18 columns first
