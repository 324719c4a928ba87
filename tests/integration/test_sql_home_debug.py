"""`hygge debug` tests each SQL home's connection and says what to fix."""

from __future__ import annotations

import pytest

from tests.support.cli import hygge
from tests.support.data import orders
from tests.support.sql_sources import write_postgres
from tests.support.workspace import write_workspace

MSSQL_FLOW = """\
home:
  type: mssql
  server: srv.database.windows.net
  database: sales
  table: dbo.{entity}
store: lake
entities: [Account]
"""


def test_debug_says_how_to_install_a_missing_odbc_driver(tmp_path):
    write_workspace(tmp_path, {"crm": MSSQL_FLOW})
    done = hygge(tmp_path, "debug")
    assert done.returncode != 0
    assert "the ODBC driver 'ODBC Driver 18 for SQL Server' is not installed" in done.stdout
    assert "apt-get install msodbcsql18" in done.stdout
    assert "PostgreSQL Unicode" in done.stdout  # what is installed instead


@pytest.mark.postgres
def test_debug_reports_a_refused_login_and_a_missing_table(tmp_path, postgres, pg_schema):
    write_postgres(postgres.conninfo, f'"{pg_schema}"."orders"', orders(3))
    project = (
        "name: t\nconnections:\n  pg:\n    type: postgres\n"
        f"    url: {postgres.url}\n    password: ${{PGPW}}\n"
    )
    flow = (
        f"home:\n  type: postgres\n  connection: pg\n  table: {pg_schema}.{{entity}}\n"
        "store: lake\nentities: [orders, missing]\n"
    )
    write_workspace(tmp_path, {"shop": flow}, project)
    wrong = hygge(tmp_path, "debug", env={"PGPW": "not-it"})
    assert "password authentication failed" in wrong.stdout
    assert "not-it" not in wrong.stdout
    right = hygge(tmp_path, "debug", env={"PGPW": postgres.password})
    lines = right.stdout.splitlines()
    assert any(line.startswith("✓ shop.orders") for line in lines), right.stdout
    assert any(line.startswith("✗ shop.missing") for line in lines), right.stdout
    assert "cannot be read" in right.stdout and "does not exist" in right.stdout
