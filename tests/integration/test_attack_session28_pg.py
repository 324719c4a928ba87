"""Session 28: the PostgreSQL store's relaxed batch commits (session 27), attacked. A run
stopped (SIGSTOP) after staging a batch, before its chunk's sync, while the server restarts;
a run stopped between chunks while a stranger truncates or drops the table it appends to; two
workspaces started together into one table. Each ends with the source's rows once, or is
refused saying why, and its rerun lands them once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.test_attack_session26_pg import _restart
from tests.support.data import content_hash, orders
from tests.support.sql_stores import PASSWORD_VARIABLE, execute_postgres, read_postgres
from tests.support.stopped import wait_stopped
from tests.support.workspace import REPO, land, write_workspace

pytestmark = pytest.mark.postgres

FLOW = """\
home: {type: parquet, path: landing, batch_size: 5}
store: {type: postgres, connection: pg, batch_size: 5, table: '%s.orders'}
run_type: %s
entities: [orders]
"""
SOURCE = orders(40)


def _workspace(root: Path, postgres, schema: str, run_type: str) -> Path:
    project = (
        "name: shop\noptions: {checkpoint_rows: 10}\nconnections:\n"
        f"  pg: {{type: postgres, url: '{postgres.url}', password: '${{{PASSWORD_VARIABLE}}}'}}\n"
    )
    ws = write_workspace(root, {"shop": FLOW % (schema, run_type)}, project)
    land(ws, "orders", "a", SOURCE)
    return ws


def _env(postgres, fault: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "HYGGE_FAULT"}
    env[PASSWORD_VARIABLE] = postgres.password
    if fault:
        env["HYGGE_FAULT"] = fault
    return env


def _go(ws: Path, postgres, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "hygge", "go", "-w", str(ws), *args]
    return subprocess.run(
        command, cwd=REPO, env={**_env(postgres), "COLUMNS": "300"}, capture_output=True,
        text=True, timeout=300, check=False,
    )  # fmt: skip


def _stopped(ws: Path, postgres, fault: str) -> subprocess.Popen[bytes]:
    """`hygge go` in a child that stops itself (SIGSTOP) at `fault`."""
    child = subprocess.Popen(
        [sys.executable, "-m", "hygge", "go", "-w", str(ws)],
        cwd=REPO, env=_env(postgres, fault), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    wait_stopped(child, fault)
    return child


def _resumed(child: subprocess.Popen[bytes]) -> tuple[int, str]:
    child.send_signal(signal.SIGCONT)
    out, _ = child.communicate(timeout=300)
    return child.returncode, out.decode()


def _rows(postgres, schema: str) -> tuple[int, str] | None:
    found = read_postgres(postgres.conninfo, schema, "orders", SOURCE.schema)
    return None if found is None else (found.height, content_hash(found.sort("id")))


def _source() -> tuple[int, str]:
    return SOURCE.height, content_hash(SOURCE.sort("id"))


@pytest.mark.parametrize("run_type", ["full_drop", "incremental"])
def test_a_server_restart_between_a_staged_batch_and_its_sync_lands_the_source_once(
    tmp_path: Path, postgres, pg_schema: str, run_type: str
) -> None:
    ws = _workspace(tmp_path / "ws", postgres, pg_schema, run_type)
    child = _stopped(ws, postgres, "after_stage:stop")

    _restart(postgres)
    code, said = _resumed(child)

    if code != 0:  # refused saying why; the rerun lands it
        assert "Traceback" not in said, said
        done = _go(ws, postgres)
        assert done.returncode == 0, done.stdout + done.stderr
    assert _rows(postgres, pg_schema) == _source()
    assert _go(ws, postgres).returncode == 0
    assert _rows(postgres, pg_schema) == _source()


@pytest.mark.parametrize("stranger", ["TRUNCATE", "DROP TABLE"])
def test_a_table_a_stranger_empties_between_chunks_gets_the_new_rows_once(
    tmp_path: Path, postgres, pg_schema: str, stranger: str
) -> None:
    ws = _workspace(tmp_path / "ws", postgres, pg_schema, "incremental")
    first = _go(ws, postgres)
    assert first.returncode == 0, first.stdout + first.stderr
    more = orders(40, start=1000)
    land(ws, "orders", "b", more)
    child = _stopped(ws, postgres, "after_checkpoint:stop")

    execute_postgres(postgres.conninfo, f'{stranger} "{pg_schema}".orders')
    code, said = _resumed(child)

    assert "Traceback" not in said, said
    if code != 0:
        assert "orders" in said, said
        done = _go(ws, postgres)
        assert done.returncode == 0, done.stdout + done.stderr
    assert _rows(postgres, pg_schema) == (more.height, content_hash(more.sort("id")))
    again = _go(ws, postgres)
    assert again.returncode == 0, again.stdout + again.stderr
    assert _rows(postgres, pg_schema) == (more.height, content_hash(more.sort("id")))


def test_two_workspaces_started_together_into_one_table_land_one_source(
    tmp_path: Path, postgres, pg_schema: str
) -> None:
    spaces = [_workspace(tmp_path / name, postgres, pg_schema, "full_drop") for name in "ab"]
    command = [sys.executable, "-m", "hygge", "go", "-w"]
    env = {**_env(postgres), "COLUMNS": "300"}
    out, err = subprocess.PIPE, subprocess.STDOUT
    children = [
        subprocess.Popen([*command, str(ws)], cwd=REPO, env=env, stdout=out, stderr=err)
        for ws in spaces
    ]
    said = [child.communicate(timeout=300)[0].decode() for child in children]
    ended = [(child.returncode, text) for child, text in zip(children, said, strict=True)]

    codes = sorted(code for code, _ in ended)
    assert codes[0] == 0, ended
    for code, said in ended:
        assert "Traceback" not in said, said
        if code != 0:
            assert "workspace" in said, said  # the table is the other workspace's
    assert _rows(postgres, pg_schema) == _source()


def _at_once(conninfo: str, statements: list[str], sessions: int = 6) -> list[str]:
    """`statements` in one transaction of each of `sessions` sessions, started together: the
    errors they raised."""
    import threading

    import psycopg

    barrier, errors = threading.Barrier(sessions), []

    def one() -> None:
        with psycopg.connect(conninfo) as connection:
            barrier.wait()
            try:
                for statement in statements:
                    connection.execute(statement)
                connection.commit()
            except psycopg.Error as error:
                errors.append(str(error))

    threads = [threading.Thread(target=one) for _ in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_sessions_making_one_new_schema_at_once_wait_for_each_other(postgres, pg_schema: str):
    """What failed the second of two first runs at once: `CREATE SCHEMA IF NOT EXISTS "_hygge"`
    raised 'duplicate key value violates unique constraint "pg_namespace_nspname_index"', told
    as 'check the table or query and the login's permissions'."""
    from hygge.stores.sql.postgres_dialect import PostgresDialect

    dialect = PostgresDialect()
    names = [f"{pg_schema}_new_{n}" for n in range(8)]
    try:
        for name in names:
            assert _at_once(postgres.conninfo, dialect.create_schema(name)) == []
    finally:
        execute_postgres(postgres.conninfo, *(f'DROP SCHEMA IF EXISTS "{n}"' for n in names))
