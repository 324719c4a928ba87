"""SQL homes in a workspace: hygge.yml connections, `{entity}` in the table, the original's
inline mssql fields, and secrets kept out of the journal, state, logs and errors."""

from __future__ import annotations

import logging

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.errors import ConfigError
from hygge.homes.sql import MssqlHomeConfig
from tests.support.data import content_hash, orders
from tests.support.sql_sources import write_duckdb, write_postgres, write_sqlite
from tests.support.workspace import read_lake, run, write_workspace

PG_PROJECT = """\
name: test
connections:
  pg: {type: postgres, url: "%s", password: "${HYGGE_TEST_PG_PASSWORD}"}
"""
PG_FLOW = """\
home: {type: postgres, connection: pg, table: '%s."{entity}"'}
store: lake
entities: [orders, refunds]
"""


def saved_bytes(root) -> list[bytes]:
    return [p.read_bytes() for p in (root / ".hygge").rglob("*") if p.is_file()]


@pytest.mark.postgres
def test_a_postgres_workspace_moves_each_entity_and_keeps_the_password_secret(
    tmp_path, postgres, pg_schema, monkeypatch, caplog
):
    monkeypatch.setenv("HYGGE_TEST_PG_PASSWORD", postgres.password)
    write_workspace(tmp_path, {"shop": PG_FLOW % pg_schema}, PG_PROJECT % postgres.url)
    write_postgres(postgres.conninfo, f'"{pg_schema}"."orders"', orders(30))
    write_postgres(postgres.conninfo, f'"{pg_schema}"."refunds"', orders(4, start=100))
    with caplog.at_level(logging.DEBUG):
        report = run(tmp_path)
    assert report.ok, report.results
    for entity, source in (("orders", orders(30)), ("refunds", orders(4, start=100))):
        lake = read_lake(tmp_path, entity)
        assert lake.height == source.height and content_hash(lake) == content_hash(source)
    secret = postgres.password.encode()
    assert all(secret not in data for data in saved_bytes(tmp_path))
    assert postgres.password not in caplog.text


@pytest.mark.postgres
def test_a_refused_login_fails_the_entity_naming_the_server_but_not_the_password(
    tmp_path, postgres, pg_schema, monkeypatch
):
    monkeypatch.setenv("HYGGE_TEST_PG_PASSWORD", "wrong-" + postgres.password)
    write_workspace(tmp_path, {"shop": PG_FLOW % pg_schema}, PG_PROJECT % postgres.url)
    report = run(tmp_path, continue_on_error=True)
    messages = [result.message or "" for result in report.failed]
    assert len(messages) == 2
    assert all("cannot connect to postgres 127.0.0.1" in m for m in messages), messages
    assert all("password authentication failed" in m for m in messages)
    assert all(postgres.password not in m for m in messages)
    assert all(postgres.password.encode() not in data for data in saved_bytes(tmp_path))


@pytest.mark.parametrize("kind", ["sqlite", "duckdb"])
def test_an_embedded_database_home_reads_its_path_from_the_workspace_root(tmp_path, kind):
    write = write_sqlite if kind == "sqlite" else write_duckdb
    (tmp_path / "data").mkdir()
    write(tmp_path / "data" / f"shop.{kind}", "orders", orders(25).drop("updated_at"))
    flow = f'home: {{type: {kind}, path: data/shop.{kind}, table: "{{entity}}"}}\n'
    write_workspace(tmp_path, {"shop": flow + "store: lake\nentities: [orders]\n"})
    assert run(tmp_path).ok
    lake = read_lake(tmp_path, "orders")
    assert content_hash(lake) == content_hash(orders(25).drop("updated_at"))


def test_the_originals_inline_mssql_home_loads_unchanged(tmp_path):
    flow = """\
home:
  type: mssql
  server: srv.database.windows.net
  database: sales
  table: dbo.{entity}
  batch_size: 25000
  encrypt: "Yes"
  trust_cert: "No"
  row_multiplier: 100000
store: lake
entities: [Account]
"""
    write_workspace(tmp_path, {"crm": flow})
    (entity,) = load_workspace(tmp_path).entities
    assert isinstance(entity.home, MssqlHomeConfig)
    assert entity.home.table == "dbo.Account" and entity.home.trust_cert is False
    assert entity.home.path == "dbo.Account"


def test_an_mssql_home_with_a_connection_and_a_server_is_refused(tmp_path):
    project = "name: t\nconnections:\n  db: {type: mssql, server: s, database: d}\n"
    flow = "home: {type: mssql, connection: db, server: s, table: t}\nstore: lake\nentities: [a]\n"
    write_workspace(tmp_path, {"crm": flow}, project)
    with pytest.raises(ConfigError, match="not both"):
        load_workspace(tmp_path)


def test_a_sql_home_naming_a_connection_of_another_type_fails_naming_both(tmp_path):
    project = "name: t\nconnections:\n  db: {type: sqlite, path: shop.sqlite}\n"
    flow = "home: {type: postgres, connection: db, table: t}\nstore: lake\nentities: [a]\n"
    write_workspace(tmp_path, {"crm": flow}, project)
    report = run(tmp_path)
    (failed,) = report.failed
    assert "names connection 'db', which is sqlite, not a postgres connection" in (
        failed.message or ""
    )


def test_a_missing_sqlite_file_is_an_error_not_an_empty_source(tmp_path):
    flow = "home: {type: sqlite, path: missing.sqlite, table: t}\nstore: lake\nentities: [a]\n"
    write_workspace(tmp_path, {"crm": flow})
    (failed,) = run(tmp_path).failed
    assert "missing.sqlite does not exist" in (failed.message or "")
    assert not (tmp_path / "missing.sqlite").exists()


def test_a_missing_column_is_named_with_those_the_source_has(tmp_path):
    write_sqlite(tmp_path / "shop.sqlite", "orders", pl.DataFrame({"id": [1], "total": [2.0]}))
    flow = (
        "home: {type: sqlite, path: shop.sqlite, table: orders}\nstore: lake\n"
        "run_type: incremental\nwatermark: {column: updated_at}\nentities: [orders]\n"
    )
    write_workspace(tmp_path, {"shop": flow})
    (failed,) = run(tmp_path).failed
    assert "has no column 'updated_at' (it has: id, total)" in (failed.message or "")


README_PROJECT = """\
name: sales
connections:
  pg:
    type: postgres
    url: postgresql://loader@db.example.net:5432/sales
    password: ${PG_PASSWORD}
  erp: {type: mssql, server: erp.database.windows.net, database: erp}  # Azure AD by default
"""
README_FLOW = """\
home:
  type: postgres
  connection: pg
  table: public."{entity}"
store: lake
run_type: incremental
watermark: {column: updated_at, key_columns: [id], lookback: 10m}
entities: [orders, refunds]
"""


def test_the_readme_example_loads_as_written(tmp_path):
    write_workspace(tmp_path, {"sales": README_FLOW}, README_PROJECT)
    entities = load_workspace(tmp_path, env={"PG_PASSWORD": "x"}).entities
    assert [e.home.table for e in entities] == ['public."orders"', 'public."refunds"']
