"""Typed connections: referenced by name; their secrets never leave the environment."""

from __future__ import annotations

import logging

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.connections import PostgresConnection, resolve_secret
from hygge.engine.plan import Selection, plan_run
from hygge.errors import ConfigError
from tests.support.data import orders
from tests.support.workspace import land, run, write_workspace

SECRET = "s3cr3t-Value-9f2"
PROJECT = """\
name: test
connections:
  pg:
    type: postgres
    host: db.example.net
    database: sales
    user: loader
    password: ${PG_PASSWORD}
"""
FLOW = """\
home: {type: parquet, path: landing, connection: %s}
store: {type: parquet, path: lake}
entities: [orders]
"""


def test_a_task_carries_the_connection_name_and_the_secret_as_a_reference(tmp_path):
    write_workspace(tmp_path, {"shop": FLOW % "pg"}, PROJECT)
    (task,) = plan_run(load_workspace(tmp_path, env={"PG_PASSWORD": SECRET}), Selection()).tasks
    assert task.home.connection == "pg"
    assert SECRET not in task.model_dump_json()
    connection = task.connections["pg"]
    assert isinstance(connection, PostgresConnection) and connection.password == "${PG_PASSWORD}"
    assert connection.password is not None
    opened = resolve_secret(connection.password, {"PG_PASSWORD": SECRET}, where="pg")
    assert opened.get_secret_value() == SECRET


def test_the_secret_is_in_no_journal_row_state_file_or_log(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("PG_PASSWORD", SECRET)
    write_workspace(tmp_path, {"shop": FLOW % "pg"}, PROJECT)
    land(tmp_path, "orders", "part-1", orders(5))
    with caplog.at_level(logging.DEBUG):
        report = run(tmp_path)  # a file home cannot use a postgres connection: it fails at open
    assert report.failed and "postgres connection" in (report.failed[0].message or "")
    journal = pl.concat([pl.read_parquet(p) for p in (tmp_path / ".hygge").rglob("*.parquet")])
    assert journal.height and SECRET not in journal.write_csv()
    saved = [p.read_bytes() for p in (tmp_path / ".hygge").rglob("*") if p.is_file()]
    assert all(SECRET.encode() not in data for data in saved)
    assert SECRET not in caplog.text


def test_an_unknown_connection_name_is_a_config_error_with_a_suggestion(tmp_path):
    write_workspace(tmp_path, {"shop": FLOW % "pgg"}, PROJECT)
    with pytest.raises(ConfigError, match=r"'pgg' is not a connection.*did you mean 'pg'") as err:
        load_workspace(tmp_path, env={"PG_PASSWORD": SECRET})
    assert err.value.file is not None and err.value.file.endswith("flow.yml")
    assert err.value.line == 1


def test_a_secret_written_as_its_value_is_refused(tmp_path):
    project = PROJECT.replace("${PG_PASSWORD}", "hunter2")
    write_workspace(tmp_path, {"shop": FLOW % "pg"}, project)
    with pytest.raises(ConfigError, match="never as its value"):
        load_workspace(tmp_path, env={})
