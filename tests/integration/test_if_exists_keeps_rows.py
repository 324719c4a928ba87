"""`if_exists` is about a table hygge did not create: fail | append into it | replace it.

Under `append` the table's own rows stay, whatever the run type: a full_drop into it — the
entity's run type, `hygge go --full-drop`, or the first run after `hygge reset` — is refused
before anything is staged, naming the table, and the table is left as it was; `hygge reset`
of an incremental entity refuses at once (its next run would be that full_drop), and so does
`hygge reset --keep-data` (its next run would append the rows hygge loaded before again), both
naming `key_columns` with `run_type: merge` and `if_exists: replace`. Incremental and merge runs
add to it. `replace` drops it and creates it from the data. Checked on SQLite,
DuckDB and PostgreSQL (the SQL Server store shares the SQLite/PostgreSQL core).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from hygge.cli.app import app
from hygge.stores.duckdb_names import TableName
from tests.support import duckdb_lake
from tests.support.sql_stores import (
    PASSWORD_VARIABLE,
    execute_postgres,
    execute_sqlite,
    read_postgres,
    read_sqlite,
)
from tests.support.workspace import land, write_workspace

FLOW = """\
home: {type: parquet, path: landing}
store: %s
run_type: %s
watermark: {column: id}
entities: [orders]
"""
USERS = pl.DataFrame({"id": [100, 101, 102], "name": ["u0", "u1", "u2"]})
LANDED = pl.DataFrame({"id": [1, 2], "name": ["a", "b"]})
REFUSED = "holds rows hygge did not write"


def _hygge(ws: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    done = CliRunner(env={"COLUMNS": "400", **(env or {})}).invoke(
        app, [*args, "-w", str(ws)], catch_exceptions=False
    )
    return done.exit_code, " ".join(done.output.split())


class Db:
    """One database kind: the store block, a stranger's SQL, and reading the table back."""

    def __init__(
        self,
        store: str,
        execute: Callable[[Path, str], None],
        read: Callable[[Path], pl.DataFrame | None],
        env: dict[str, str] | None = None,
        project: str = "name: shop\n",
    ) -> None:
        self.store, self.execute, self.read = store, execute, read
        self.env, self.project = env, project

    def workspace(self, root: Path, run_type: str, if_exists: str) -> Path:
        store = f"{self.store[:-1]}, if_exists: {if_exists}}}"
        ws = write_workspace(root, {"shop": FLOW % (store, run_type)}, self.project)
        land(ws, "orders", "a", LANDED)
        self.execute(ws, "CREATE TABLE orders (id BIGINT, name VARCHAR(20))")
        self.execute(ws, "INSERT INTO orders VALUES (100, 'u0'), (101, 'u1'), (102, 'u2')")
        return ws

    def rows(self, ws: Path) -> pl.DataFrame:
        found = self.read(ws)
        assert found is not None
        return found.select("id", "name").cast({"id": pl.Int64}).sort("id")

    def go(self, ws: Path, *extra: str) -> tuple[int, str]:
        return _hygge(ws, "go", *extra, env=self.env)


def _sqlite() -> Db:
    return Db(
        "{type: sqlite, path: wh.sqlite, table: '{entity}'}",
        lambda ws, sql: execute_sqlite(ws / "wh.sqlite", sql),
        lambda ws: read_sqlite(ws / "wh.sqlite", "orders"),
    )


def _duckdb() -> Db:
    return Db(
        "{type: duckdb, path: wh.duckdb, table: '{entity}'}",
        lambda ws, sql: duckdb_lake.execute(ws / "wh.duckdb", sql),
        lambda ws: duckdb_lake.read_table(ws / "wh.duckdb", TableName("main", "orders")),
    )


@pytest.fixture(params=["sqlite", "duckdb", "postgres"])
def db(request) -> Db:
    if request.param == "sqlite":
        return _sqlite()
    if request.param == "duckdb":
        return _duckdb()
    server = request.getfixturevalue("postgres")
    schema = request.getfixturevalue("pg_schema")
    project = (
        "name: shop\nconnections:\n"
        f"  pg: {{type: postgres, url: '{server.url}', password: '${{{PASSWORD_VARIABLE}}}'}}\n"
    )

    def execute(_: Path, sql: str) -> None:
        execute_postgres(server.conninfo, f"SET search_path TO {schema}; {sql}")

    return Db(
        f"{{type: postgres, connection: pg, table: '{schema}.{{entity}}'}}",
        execute,
        lambda _: read_postgres(server.conninfo, schema, "orders"),
        env={PASSWORD_VARIABLE: server.password},
        project=project,
    )


def test_a_full_drop_with_append_is_refused_and_keeps_the_users_rows(tmp_path, db):
    ws = db.workspace(tmp_path / "ws", "full_drop", "append")

    code, said = db.go(ws)

    assert code == 1, said
    assert REFUSED in said and "orders" in said, said
    assert "`if_exists: replace`" in said, said
    assert db.rows(ws).equals(USERS)


def test_an_incremental_run_with_append_adds_to_the_users_rows(tmp_path, db):
    ws = db.workspace(tmp_path / "ws", "incremental", "append")

    code, said = db.go(ws)

    assert code == 0, said
    assert db.rows(ws).equals(pl.concat([LANDED, USERS]))


def test_a_full_drop_into_a_table_adopted_earlier_is_refused(tmp_path, db):
    ws = db.workspace(tmp_path / "ws", "incremental", "append")
    assert db.go(ws)[0] == 0

    code, said = db.go(ws, "--full-drop")

    assert code == 1, said
    assert REFUSED in said, said
    assert db.rows(ws).equals(pl.concat([LANDED, USERS]))


@pytest.mark.parametrize("extra", [(), ("--keep-data",)], ids=["plain", "keep-data"])
def test_a_reset_of_an_adopted_table_is_refused_at_reset_time_naming_what_reloads_once(
    tmp_path, db, extra
):
    """A plain reset's next run replaces the table (a full_drop, refused: the user's rows);
    --keep-data's appends every row hygge loaded a second time: both refused, forgetting
    nothing, naming the ways that reload every row once."""
    ws = db.workspace(tmp_path / "ws", "incremental", "append")
    assert db.go(ws)[0] == 0

    code, said = _hygge(ws, "reset", "-f", "shop", "--yes", *extra, env=db.env)

    assert code == 1, said
    assert "cannot reset shop.orders" in said and REFUSED in said, said
    assert "`run_type: merge`" in said and "`if_exists: replace`" in said, said
    assert "Nothing was reset" in said, said
    again = db.go(ws)  # the watermark is still there: nothing new, nothing doubled
    assert again[0] == 0, again[1]
    assert db.rows(ws).equals(pl.concat([LANDED, USERS]))


def test_a_refused_keep_data_reset_says_the_rows_would_appear_twice(tmp_path, db):
    ws = db.workspace(tmp_path / "ws", "incremental", "append")
    assert db.go(ws)[0] == 0

    code, said = _hygge(ws, "reset", "-f", "shop", "--yes", "--keep-data", env=db.env)

    assert code == 1, said
    assert "the rows hygge loaded before would appear twice" in said, said


def test_a_reset_following_the_refusals_advice_reloads_every_row_once(tmp_path, db):
    """`key_columns` and `run_type: merge`, then reset: the next run upserts, nothing doubled."""
    ws = db.workspace(tmp_path / "ws", "incremental", "append")
    assert db.go(ws)[0] == 0
    flow = ws / "flows" / "shop" / "flow.yml"
    flow.write_text(
        flow.read_text()
        .replace("run_type: incremental", "run_type: merge")
        .replace("watermark:", "key_columns: [id]\nwatermark:")
    )

    code, said = _hygge(ws, "reset", "-f", "shop", "--yes", env=db.env)
    assert code == 0, said
    code, said = db.go(ws)

    assert code == 0, said
    assert db.rows(ws).equals(pl.concat([LANDED, USERS]))


def test_a_reset_of_a_merge_entity_into_an_adopted_table_is_not_refused(tmp_path, db):
    """A merge run after a reset upserts on its keys: the user's rows stay."""
    store = f"{db.store[:-1]}, if_exists: append}}"
    flow = FLOW.replace("watermark: {column: id}", "key_columns: [id]\nwatermark: {column: id}")
    ws = write_workspace(tmp_path / "ws", {"shop": flow % (store, "merge")}, db.project)
    land(ws, "orders", "a", LANDED)
    db.execute(ws, "CREATE TABLE orders (id BIGINT, name VARCHAR(20))")
    db.execute(ws, "INSERT INTO orders VALUES (100, 'u0'), (101, 'u1'), (102, 'u2')")
    assert db.go(ws)[0] == 0

    code, said = _hygge(ws, "reset", "-f", "shop", "--yes", env=db.env)
    assert code == 0, said
    code, said = db.go(ws)

    assert code == 0, said
    assert db.rows(ws).equals(pl.concat([LANDED, USERS]))


def test_a_full_drop_with_replace_replaces_the_table(tmp_path, db):
    ws = db.workspace(tmp_path / "ws", "full_drop", "replace")

    code, said = db.go(ws)

    assert code == 0, said
    assert db.rows(ws).equals(LANDED)


def test_a_full_drop_with_replace_after_an_append_makes_the_table_hygges(tmp_path, db):
    ws = db.workspace(tmp_path / "ws", "incremental", "append")
    assert db.go(ws)[0] == 0
    flow = ws / "flows" / "shop" / "flow.yml"
    flow.write_text(flow.read_text().replace("if_exists: append", "if_exists: replace"))
    assert db.go(ws, "--full-drop")[0] == 0
    flow.write_text(flow.read_text().replace("if_exists: replace", "if_exists: fail"))

    code, said = db.go(ws, "--full-drop")  # now hygge's own table: replaced as any

    assert code == 0, said
    assert db.rows(ws).equals(LANDED)
