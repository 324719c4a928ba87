"""Session 27: session 26 closed ADBC's idle connections at exit so a `hygge go` into
PostgreSQL ended with a clean stderr. Attacked on the other ways a user's command ends: a
failed run (injected error mid-run, a store refusal), Ctrl-C in the middle of a chunk, and
`hygge debug` / `hygge reset` / `hygge journal`, which open the store without moving
anything. Each ends with its exit code and no `Exception ignored` or traceback on stderr, and
a rerun lands the table once (count and content hash)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import polars as pl
import pytest

from tests.support.cli import HYGGE, hygge
from tests.support.data import content_hash, orders
from tests.support.sql_sources import write_postgres
from tests.support.sql_stores import PASSWORD_VARIABLE, execute_postgres, read_postgres

pytestmark = pytest.mark.postgres
SOURCE = orders(60)


def _workspace(tmp_path: Path, postgres, schema: str) -> Path:
    write_postgres(postgres.conninfo, f'"{schema}"."orders"', SOURCE)
    project = (
        "name: t\noptions: {checkpoint_rows: 10}\nconnections:\n"
        f"  pg: {{type: postgres, url: '{postgres.url}', password: '${{{PASSWORD_VARIABLE}}}'}}\n"
    )
    flow = (
        f"home: {{type: postgres, connection: pg, table: '{schema}.\"{{entity}}\"', "
        "batch_size: 10}\n"
        f"store: {{type: postgres, connection: pg, table: '{schema}.copied'}}\n"
        "run_type: incremental\nwatermark: {column: updated_at}\nentities: [orders]\n"
    )
    root = tmp_path / "ws"
    (root / "flows" / "shop").mkdir(parents=True)
    (root / "hygge.yml").write_text(project)
    (root / "flows" / "shop" / "flow.yml").write_text(flow)
    return root


def _clean(stderr: str) -> None:
    assert "Exception ignored" not in stderr, stderr
    assert "Traceback" not in stderr, stderr


def _copied(postgres, schema: str) -> pl.DataFrame | None:
    return read_postgres(postgres.conninfo, schema, "copied", SOURCE.schema)


def _assert_landed_once(postgres, schema: str) -> None:
    found = _copied(postgres, schema)
    assert found is not None and found.height == SOURCE.height
    assert content_hash(found.select(SOURCE.columns)) == content_hash(SOURCE)


def test_a_run_failing_mid_move_exits_1_with_a_clean_stderr(tmp_path, postgres, pg_schema):
    ws = _workspace(tmp_path, postgres, pg_schema)
    env = {PASSWORD_VARIABLE: postgres.password, "HYGGE_FAULT": "after_checkpoint:raise:2"}

    done = hygge(ws, "go", env=env)

    assert done.returncode == 1, done.stdout + done.stderr
    assert "injected fault at after_checkpoint" in done.stdout, done.stdout
    _clean(done.stderr)
    again = hygge(ws, "go", env={PASSWORD_VARIABLE: postgres.password})
    assert again.returncode == 0, again.stdout + again.stderr
    _clean(again.stderr)
    _assert_landed_once(postgres, pg_schema)


def test_a_run_the_store_refuses_exits_1_with_a_clean_stderr(tmp_path, postgres, pg_schema):
    execute_postgres(postgres.conninfo, f'CREATE TABLE "{pg_schema}".copied (id bigint)')
    execute_postgres(postgres.conninfo, f'INSERT INTO "{pg_schema}".copied VALUES (1)')
    ws = _workspace(tmp_path, postgres, pg_schema)

    done = hygge(ws, "go", "--full-drop", env={PASSWORD_VARIABLE: postgres.password})

    assert done.returncode == 1, done.stdout + done.stderr
    _clean(done.stderr)
    rows = read_postgres(postgres.conninfo, pg_schema, "copied", pl.Schema({"id": pl.Int64}))
    assert rows is not None and rows["id"].to_list() == [1]  # the user's row, untouched


def test_ctrl_c_mid_run_exits_130_with_a_clean_stderr_and_resumes_once(
    tmp_path, postgres, pg_schema
):
    ws = _workspace(tmp_path, postgres, pg_schema)
    env = {**os.environ, PASSWORD_VARIABLE: postgres.password, "COLUMNS": "200"}
    env["HYGGE_FAULT"] = "after_checkpoint:stop:2"
    child = subprocess.Popen(
        [HYGGE, "go"], cwd=ws, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _wait_stopped(child)
    child.send_signal(signal.SIGINT)
    child.send_signal(signal.SIGCONT)
    out, err = child.communicate(timeout=300)

    assert child.returncode == 130, out + err
    _clean(err)
    resumed = hygge(ws, "go", "--resume", env={PASSWORD_VARIABLE: postgres.password})
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    _clean(resumed.stderr)
    _assert_landed_once(postgres, pg_schema)


@pytest.mark.parametrize(
    "command",
    [("debug",), ("reset", "-f", "shop", "-e", "orders", "--yes"), ("journal",), ("list",)],
    ids=["debug", "reset", "journal", "list"],
)
def test_commands_that_open_the_store_exit_with_a_clean_stderr(
    tmp_path, postgres, pg_schema, command
):
    ws = _workspace(tmp_path, postgres, pg_schema)
    first = hygge(ws, "go", env={PASSWORD_VARIABLE: postgres.password})
    assert first.returncode == 0, first.stdout + first.stderr

    done = hygge(ws, *command, env={PASSWORD_VARIABLE: postgres.password})

    assert done.returncode == 0, done.stdout + done.stderr
    _clean(done.stderr)
    assert done.stderr.strip() == "", done.stderr


def _wait_stopped(child: subprocess.Popen[str]) -> None:
    """Until `child` stopped itself (HYGGE_FAULT ...:stop); fails if it ended instead."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        stat = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if stat == "T":
            return
        assert child.poll() is None, child.communicate()
        time.sleep(0.05)
    raise AssertionError("the run never stopped at its second checkpoint")
