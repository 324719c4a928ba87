"""Session 26: a PostgreSQL home keeps one session per entity run between its reads; the
server restarts while the run is stopped between two chunks (the kept session now dead), or
its session is terminated by a DBA. The run goes on through a new session and the lake holds
the table once (count and content hash)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.data import content_hash, orders
from tests.support.postgres import bin_dir
from tests.support.sql_sources import write_postgres
from tests.support.sql_stores import PASSWORD_VARIABLE, execute_postgres
from tests.support.stopped import wait_stopped
from tests.support.workspace import REPO, read_lake, write_workspace

pytestmark = pytest.mark.postgres

FLOW = """\
home: {type: postgres, connection: pg, table: '%s."{entity}"', batch_size: 10}
store: lake
run_type: incremental
watermark: {column: updated_at}
entities: [orders]
"""
SOURCE = orders(40)


def _workspace(tmp_path: Path, postgres, schema: str) -> Path:
    project = (
        "name: shop\noptions: {checkpoint_rows: 10}\nconnections:\n"
        f"  pg: {{type: postgres, url: '{postgres.url}', password: '${{{PASSWORD_VARIABLE}}}'}}\n"
    )
    write_postgres(postgres.conninfo, f'"{schema}"."orders"', SOURCE)
    return write_workspace(tmp_path / "ws", {"shop": FLOW % schema}, project)


def _stopped_run(ws: Path, postgres) -> subprocess.Popen[bytes]:
    """`hygge go` in a child that stops itself (SIGSTOP) after its first chunk's checkpoint."""
    env = {**os.environ, PASSWORD_VARIABLE: postgres.password}
    env["HYGGE_FAULT"] = "after_checkpoint:stop"
    child = subprocess.Popen(
        [sys.executable, "-m", "hygge", "go", "-w", str(ws)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    wait_stopped(child, "its first checkpoint")
    return child


def _restart(postgres) -> None:
    """pg_ctl restart of the test server (same port: the options it was started with)."""
    import psycopg

    started = "SELECT current_setting('data_directory'), pg_postmaster_start_time()"
    with psycopg.connect(postgres.conninfo) as connection:
        (data, before) = connection.execute(started).fetchone()  # type: ignore[misc]
    log = str(Path(data).parent / "postgres.log")  # the server's log, not a pipe it holds
    command = [str(bin_dir() / "pg_ctl"), "-D", data, "-l", log, "-m", "fast", "-w", "restart"]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(
        command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/",
        timeout=120,
    )  # fmt: skip
    with psycopg.connect(postgres.conninfo) as connection:
        (_, after) = connection.execute(started).fetchone()  # type: ignore[misc]
    assert after > before  # a new server: every session of the old one is gone


def _finish(child: subprocess.Popen[bytes]) -> str:
    os.kill(child.pid, signal.SIGCONT)
    output = child.communicate(timeout=180)[0]
    said = " ".join(output.decode().split())
    assert child.returncode == 0, said
    return said


def _assert_lake_holds_the_table(ws: Path) -> None:
    lake = read_lake(ws, "orders").select(SOURCE.columns)
    assert lake.height == SOURCE.height
    assert content_hash(lake) == content_hash(SOURCE)


def test_a_server_restart_between_chunks_goes_on_through_a_new_session(
    tmp_path, postgres, pg_schema
):
    ws = _workspace(tmp_path, postgres, pg_schema)
    child = _stopped_run(ws, postgres)

    _restart(postgres)
    said = _finish(child)

    assert "success shop.orders 40 rows" in said, said
    _assert_lake_holds_the_table(ws)


def test_a_kept_session_a_dba_terminated_between_chunks_is_replaced(tmp_path, postgres, pg_schema):
    ws = _workspace(tmp_path, postgres, pg_schema)
    child = _stopped_run(ws, postgres)

    execute_postgres(
        postgres.conninfo,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE pid <> pg_backend_pid() AND datname = current_database()",
    )
    said = _finish(child)

    assert "success shop.orders 40 rows" in said, said
    _assert_lake_holds_the_table(ws)
