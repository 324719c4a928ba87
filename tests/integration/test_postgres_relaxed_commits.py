"""The postgres store's staged batches commit with `synchronous_commit = off` (no wait for the
WAL flush per batch); the chunk's `sync` commits a write with the session's own setting, which
waits for every batch before it, and checks they are all there before a checkpoint lists them.
A server killed -9 before the WAL reached it loses the last batches: the chunk is read again,
and the table ends with the source's rows, none lost or doubled (README, PostgreSQL)."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hygge.errors import RetryableError
from hygge.stores.sql.postgres import PostgresSession, close_connections
from hygge.stores.sql.records import Records
from hygge.stores.sql.store import SqlStore
from hygge.types import RunType
from tests.contract.store_contract import assert_same_rows, stage
from tests.integration.test_sql_stores import Target
from tests.support import postgres as support
from tests.support.azurite import worker_index
from tests.support.data import orders
from tests.support.sql_stores import PASSWORD_VARIABLE, execute_postgres, read_postgres
from tests.support.workspace import land, run, write_workspace

pytestmark = pytest.mark.postgres

FLOW = """\
home: {type: parquet, path: landing, batch_size: 2}
store: {type: postgres, connection: pg, batch_size: 2, table: public.orders}
run_type: full_drop
entities: [orders]
"""


@pytest.fixture
def target(tmp_path: Path, postgres, pg_schema: str, monkeypatch: pytest.MonkeyPatch) -> Target:
    monkeypatch.setenv(PASSWORD_VARIABLE, postgres.password)
    return Target("postgres", tmp_path, postgres, pg_schema)


def _setting(session: PostgresSession) -> str:
    ((found,),) = session.rows("SELECT current_setting('synchronous_commit')")
    return str(found)


def test_batches_commit_without_waiting_and_sync_and_publish_with_the_sessions_setting(
    target: Target, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    monkeypatch.setenv("PGOPTIONS", "-c synchronous_commit=on")  # the test server's is off
    close_connections()  # so none kept from an earlier test (without it) is reused
    request.addfinalizer(close_connections)
    seen: list[tuple[str, str]] = []
    load, flush, record_commit = PostgresSession.load, Records.flush, Records.record_commit

    def loading(self, table, frame):  # type: ignore[no-untyped-def]
        seen.append(("write", _setting(self)))
        load(self, table, frame)

    def flushing(self, session, location):  # type: ignore[no-untyped-def]
        seen.append(("sync", _setting(session)))
        flush(self, session, location)

    def committing(self, session, target_, run_id, record):  # type: ignore[no-untyped-def]
        seen.append(("publish", _setting(session)))
        record_commit(self, session, target_, run_id, record)

    monkeypatch.setattr(PostgresSession, "load", loading)
    monkeypatch.setattr(Records, "flush", flushing)
    monkeypatch.setattr(Records, "record_commit", committing)
    store = target.open()
    staging = stage(store, [orders(3), orders(2, start=3)], RunType.FULL_DROP, "run-1")
    store.sync(staging)
    store.publish(staging)

    assert seen == [("write", "off"), ("write", "off"), ("sync", "on"), ("publish", "on")]
    assert_same_rows(target.read("orders", orders(1).schema), orders(5))


def test_sync_refuses_a_batch_a_restart_lost_so_no_checkpoint_lists_it(target: Target) -> None:
    store = target.open()
    staging = stage(store, [orders(3), orders(2, start=3)], RunType.FULL_DROP, "run-1")
    # what a server killed before batch 1's WAL reached it leaves: its rows and its record gone
    execute_postgres(
        target.postgres.conninfo,
        f'DELETE FROM _hygge."{staging.location}" WHERE _hygge_seq = 1',
        f"DELETE FROM _hygge.batches WHERE location = '{staging.location}' AND seq = 1",
    )

    with pytest.raises(RetryableError, match=r"staged batches \['000001'\].*read again"):
        store.sync(staging)
    store.sync(staging.model_copy(update={"artefacts": ["000000"]}))  # batch 0 is there
    store.abort(staging)  # the server is the worker's: leave no staging records behind


def test_a_chunk_whose_batch_was_lost_is_read_again_and_lands_once(
    target: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_workspace(tmp_path / "ws", {"shop": FLOW.replace("public", target.schema)},
                           _project(target.postgres))  # fmt: skip
    source = orders(7)
    land(root, "orders", "a", source)
    write, lost = SqlStore.write, []

    def losing(self, staging, batch):  # type: ignore[no-untyped-def]
        done = write(self, staging, batch)
        if staging.next_sequence == 2 and not lost:  # batch 2 lost once, as by a restart
            lost.append(staging.location)
            execute_postgres(
                target.postgres.conninfo,
                f'DELETE FROM _hygge."{staging.location}" WHERE _hygge_seq = 2',
                f"DELETE FROM _hygge.batches WHERE location = '{staging.location}' AND seq = 2",
            )
        return done

    monkeypatch.setattr(SqlStore, "write", losing)
    report = run(root)

    assert report.ok, report.results
    assert lost
    table = read_postgres(target.postgres.conninfo, target.schema, "orders", source.schema)
    assert_same_rows(table, source)


def _project(server: support.Postgres) -> str:
    return (
        f"name: test\nconnections:\n  pg: {{type: postgres, url: '{server.url}', password: "
        f"'${{{PASSWORD_VARIABLE}}}'}}\n"
    )


@pytest.fixture
def own_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[support.PostgresProcess]:
    """A server of this test's own (it is killed -9), in a folder the `postgres` user reaches."""
    if os.environ.get(support.DISABLE_VARIABLE) == "1":
        pytest.skip(f"{support.DISABLE_VARIABLE}=1: the PostgreSQL tests do not run")
    folder = Path(tempfile.mkdtemp(prefix="hygge-pg-killed-"))
    folder.chmod(0o755)
    base = support.FIRST_PORT + 200 + support.PORTS_PER_WORKER * worker_index()
    process = support.PostgresProcess(support.install(), base_port=base, folder=folder)
    try:
        server = process.start()
        # a user's server waits for the WAL flush of each commit (the test servers do not)
        execute_postgres(server.conninfo, "ALTER DATABASE hygge SET synchronous_commit = on")
        monkeypatch.setenv(PASSWORD_VARIABLE, server.password)
        yield process
    finally:
        process.stop()
        shutil.rmtree(folder, ignore_errors=True)  # this test's own folder, made above


def _server_processes(process: support.PostgresProcess) -> tuple[int, list[int]]:
    postmaster = int((process.data / "postmaster.pid").read_text().split()[0])
    children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
    return postmaster, [int(pid) for pid in children]


def _walwriter(process: support.PostgresProcess) -> int:
    for pid in _server_processes(process)[1]:
        if b"walwriter" in Path(f"/proc/{pid}/cmdline").read_bytes():
            return pid
    raise AssertionError("the server has no WAL writer")


def _kill_9(process: support.PostgresProcess) -> None:
    """Every process of the server at once (as a crash ends them), then a start: recovery."""
    postmaster, children = _server_processes(process)
    for pid in [postmaster, *children]:
        os.kill(pid, signal.SIGKILL)
    for pid in [postmaster, *children]:
        while "Z" not in _state(pid):  # ended (a zombie until reaped, or gone)
            time.sleep(0.01)
    # its lock files stay, naming the postmaster's pid, which pg_ctl would find alive while it
    # is a zombie: removed, as a machine's restart would leave them (a crash is not a reboot)
    for lock in [process.data / "postmaster.pid", *process.folder.glob(".s.PGSQL.*")]:
        lock.unlink()
    process.start()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "Z"


def test_a_server_killed_9_before_its_wal_was_written_loses_batches_the_run_reads_again(
    own_server: support.PostgresProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = own_server.server
    root = write_workspace(tmp_path / "ws", {"shop": FLOW}, _project(server))
    source = orders(9)
    land(root, "orders", "a", source)
    write, found_after = SqlStore.write, []

    def crashing(self, staging, batch):  # type: ignore[no-untyped-def]
        if staging.next_sequence == 1 and not found_after:  # nothing writes the WAL out now
            os.kill(_walwriter(own_server), signal.SIGSTOP)
        done = write(self, staging, batch)
        if staging.next_sequence == 2 and not found_after:  # batches 1 and 2 committed
            _kill_9(own_server)
            rows = execute_rows(server, "SELECT seq FROM _hygge.batches")
            found_after.append(sorted(int(str(seq)) for (seq,) in rows))
        return done

    monkeypatch.setattr(SqlStore, "write", crashing)
    report = run(root)

    assert report.ok, report.results
    assert found_after and not {1, 2} & set(found_after[0]), found_after  # lost by the kill
    table = read_postgres(server.conninfo, "public", "orders", source.schema)
    assert_same_rows(table, source)
    assert execute_rows(server, "SELECT count(*) FROM _hygge.stagings") == [(0,)]


def execute_rows(server: support.Postgres, sql: str) -> list[tuple[object, ...]]:
    import psycopg

    with psycopg.connect(server.conninfo) as connection:
        return [tuple(row) for row in connection.execute(sql).fetchall()]
