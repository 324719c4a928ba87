"""Session 27: session 26's missing-table advice names the table and says whose it is. A
user's home table that merely has `_hygge` in its name (`my_hygge_orders`, a schema
`sales_hygge`) is the home's table to check, not "hygge's own bookkeeping" that `hygge go`
would make again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hygge.cli.app import app
from tests.support.sql_stores import PASSWORD_VARIABLE, execute_postgres
from tests.support.workspace import write_workspace

STORE = "store: {type: parquet, path: lake}\nentities: [orders]\n"


def _go(ws: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    done = CliRunner(env={"COLUMNS": "400", **(env or {})}).invoke(app, ["go", "-w", str(ws)])
    return done.exit_code, " ".join(done.output.split())


@pytest.mark.parametrize("table", ["my_hygge_orders", "orders_hygge_", "x_hygge_y"])
def test_a_missing_sqlite_home_table_with_hygge_in_its_name_is_the_homes(tmp_path, table):
    ws = write_workspace(
        tmp_path / "ws",
        {"feed": f"home: {{type: sqlite, path: src.sqlite, table: {table}}}\n" + STORE},
    )
    with sqlite3.connect(ws / "src.sqlite") as connection:
        connection.execute("CREATE TABLE other (id INTEGER)")

    code, said = _go(ws)

    assert code == 1, said
    assert f"and that `{table}` exists in this database" in said, said
    assert "bookkeeping" not in said, said


@pytest.mark.postgres
def test_a_missing_postgres_home_table_in_a_schema_named_like_hygges_is_the_homes(
    tmp_path, postgres, pg_schema
):
    schema = f"{pg_schema}_hygge"
    execute_postgres(postgres.conninfo, f'CREATE SCHEMA "{schema}"')
    project = (
        "name: t\nconnections:\n"
        f"  pg: {{type: postgres, url: '{postgres.url}', password: '${{{PASSWORD_VARIABLE}}}'}}\n"
    )
    home = f"home: {{type: postgres, connection: pg, table: '{schema}.orders'}}\n"
    ws = write_workspace(tmp_path / "ws", {"feed": home + STORE}, project)

    code, said = _go(ws, {PASSWORD_VARIABLE: postgres.password})

    assert code == 1, said
    assert "Check the table name and its schema in the home's `table:`" in said, said
    assert "bookkeeping" not in said, said
