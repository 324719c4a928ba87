"""File homes and stores take their storage from the connection they name, when they open."""

from __future__ import annotations

import logging

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.engine.plan import Selection, plan_run
from hygge.errors import ConfigError
from tests.support.data import orders
from tests.support.workspace import run, write_workspace

SECRET = "blob-Key-Value-77x"
LOCAL = """\
name: test
connections:
  data:
    type: local
    root: %s
"""
BLOB = """\
name: test
connections:
  blob:
    type: azure_blob
    account_url: https://acct.blob.core.windows.net
    credential: key
    key: ${BLOB_KEY}
"""
FLOW = """\
home: {type: parquet, path: landing, connection: %s}
store: {type: parquet, path: lake, connection: %s}
entities: [orders]
"""


def _only_task(root, env=None):
    (task,) = plan_run(load_workspace(root, env=env or {}), Selection()).tasks
    return task


def test_a_local_connection_root_holds_the_home_and_the_store(tmp_path):
    data = tmp_path / "data"
    (data / "landing" / "orders").mkdir(parents=True)
    orders(7).write_parquet(data / "landing" / "orders" / "part-1.parquet")
    root = write_workspace(tmp_path / "ws", {"shop": FLOW % ("data", "data")}, LOCAL % data)
    report = run(root)
    assert report.ok, report.failed
    published = pl.read_parquet(data / "lake" / "orders" / "*.parquet")
    assert published.sort("id").equals(orders(7).sort("id"))
    assert not (root / "lake").exists() and not (root / "landing").exists()


def test_a_relative_connection_root_is_relative_to_the_workspace_root(tmp_path):
    root = write_workspace(tmp_path, {"shop": FLOW % ("data", "data")}, LOCAL % "files")
    (tmp_path / "files" / "landing" / "orders").mkdir(parents=True)
    orders(3).write_parquet(tmp_path / "files" / "landing" / "orders" / "part-1.parquet")
    assert run(root).ok
    assert pl.read_parquet(tmp_path / "files" / "lake" / "orders" / "*.parquet").height == 3


def test_a_store_under_a_connection_root_overlapping_its_home_is_refused_at_load(tmp_path):
    flow = """\
    home: {type: parquet, path: files/lake}
    store: {type: parquet, path: lake, connection: data}
    entities: [orders]
    """
    root = write_workspace(tmp_path, {"shop": flow}, LOCAL % "files")
    with pytest.raises(ConfigError, match="same folder"):
        load_workspace(root, env={})


def test_an_azure_blob_connection_on_a_file_store_is_a_config_error_at_open(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOB_KEY", SECRET)
    root = write_workspace(tmp_path, {"shop": FLOW % ("blob", "blob")}, BLOB)
    task = _only_task(root)  # loading and planning need no secret and no storage
    with pytest.raises(ConfigError, match="arrives with issue 9"):
        task.store.open(task.place)
    with pytest.raises(ConfigError, match="arrives with issue 9"):
        task.home.open(task.place)


def test_a_missing_secret_names_the_connection_and_the_variable_when_it_opens(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("BLOB_KEY", raising=False)
    root = write_workspace(tmp_path, {"shop": FLOW % ("blob", "blob")}, BLOB)
    task = _only_task(root)
    with pytest.raises(ConfigError, match=r"'BLOB_KEY' is not set.*connection 'blob'"):
        task.store.open(task.place)


def test_a_resolved_secret_is_in_no_task_state_file_journal_row_or_log(
    tmp_path, monkeypatch, caplog
):
    monkeypatch.setenv("BLOB_KEY", SECRET)
    root = write_workspace(tmp_path, {"shop": FLOW % ("blob", "blob")}, BLOB)
    task = _only_task(root, env={"BLOB_KEY": SECRET})
    assert SECRET not in task.model_dump_json()
    with caplog.at_level(logging.DEBUG):
        report = run(root)
    assert report.failed and "arrives with issue 9" in (report.failed[0].message or "")
    saved = [p.read_bytes() for p in (tmp_path / ".hygge").rglob("*") if p.is_file()]
    assert saved and all(SECRET.encode() not in data for data in saved)
    assert SECRET not in caplog.text


def test_a_postgres_connection_on_a_file_store_is_a_config_error_at_open(tmp_path):
    project = """\
    name: test
    connections:
      pg: {type: postgres, host: db, database: sales}
    """
    root = write_workspace(tmp_path, {"shop": FLOW % ("pg", "pg")}, project)
    task = _only_task(root)
    with pytest.raises(ConfigError, match="postgres connection; a file home or store needs"):
        task.store.open(task.place)
