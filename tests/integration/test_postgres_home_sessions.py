"""A postgres home keeps its session between reads: an entity run of many chunks opens one
connection; a chunk stopped mid-stream cancels its statement (the session is idle at once,
not draining the rest); a session the server ended while idle is replaced without a retry."""

from __future__ import annotations

import logging
from pathlib import Path

import polars as pl
import psycopg
import pytest

from hygge.config import load_workspace
from hygge.connections import PostgresConnection
from hygge.engine.plan import Selection, plan_run
from hygge.engine.runner import run_plan
from hygge.engine.steps import ChunkBudget
from hygge.homes.base import ReadSpec
from hygge.homes.positions import KeysetPosition
from hygge.homes.sql import PostgresHomeConfig
from hygge.homes.sql.home import SqlHome
from hygge.homes.sql.postgres import PostgresDriver
from hygge.homes.sql.sessions import POOL
from hygge.types import Place
from tests.support.workspace import read_lake, state_of, write_workspace

pytestmark = pytest.mark.postgres

PASSWORD_VARIABLE = "HYGGE_TEST_PG_PASSWORD"


def _table(postgres, schema: str, rows: int) -> str:
    with psycopg.connect(postgres.conninfo) as connection:
        connection.execute(
            f'CREATE TABLE "{schema}".orders AS SELECT g AS id, md5(g::text) AS note, '
            f"repeat('x', 200) AS pad FROM generate_series(1, {rows}) g"
        )
        connection.execute(f'ALTER TABLE "{schema}".orders ADD PRIMARY KEY (id)')
    return f"{schema}.orders"


def _workspace(root: Path, postgres, table: str, driver: str) -> Path:
    project = (
        f"name: test\nconnections:\n  pg: {{type: postgres, url: '{postgres.url}', "
        f"password: '${{{PASSWORD_VARIABLE}}}'}}\n"
    )
    flow = (
        f"home: {{type: postgres, connection: pg, table: '{table}', batch_size: 1000, "
        f"driver: {driver}}}\nstore: {{type: parquet, path: lake}}\nentities: [orders]\n"
    )
    return write_workspace(root, {"shop": flow}, project)


def _opened(monkeypatch) -> list[object]:
    """Every connection the postgres driver opens from now on (the pool emptied first)."""
    POOL.close_all()
    opened: list[object] = []
    original = PostgresDriver._open

    def counting(self: PostgresDriver):  # type: ignore[no-untyped-def]
        opened.append(original(self))
        return opened[-1]

    monkeypatch.setattr(PostgresDriver, "_open", counting)
    return opened


def _states(postgres) -> list[str]:
    """The state of every other client session of the database."""
    with psycopg.connect(postgres.conninfo, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT state FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = "
            "current_database() AND backend_type = 'client backend'"
        ).fetchall()
    return [str(state) for (state,) in rows]


def _cancelled(postgres) -> str:
    """The statements the server's log says were cancelled (`pg_ctl -l`: next to its data)."""
    with psycopg.connect(postgres.conninfo, autocommit=True) as connection:
        row = connection.execute("SHOW data_directory").fetchone()
    assert row is not None
    log = (Path(str(row[0])).parent / "postgres.log").read_text(errors="replace")
    parts = log.split("canceling statement due to user request")[1:]
    return "\n".join(part.split("\n", 2)[1] for part in parts)  # each one's STATEMENT line


@pytest.mark.parametrize("driver", ["adbc", "psycopg"])
def test_an_entity_run_of_many_chunks_opens_one_connection(
    tmp_path, postgres, pg_schema, monkeypatch, driver
):
    monkeypatch.setenv(PASSWORD_VARIABLE, postgres.password)
    table = _table(postgres, pg_schema, 5_000)
    root = _workspace(tmp_path / "ws", postgres, table, driver)
    opened = _opened(monkeypatch)
    workspace = load_workspace(root)
    plan = plan_run(workspace, Selection())

    report = run_plan(plan, state_of(workspace), concurrency=1, budget=ChunkBudget(max_rows=1000))

    assert report.ok, report.results
    assert report.results[0].rows == 5_000
    assert sorted(read_lake(root, "orders")["id"].to_list()) == list(range(1, 5_001))
    assert len(opened) == 1  # begin and each of the 5-6 chunks share it


def test_a_read_stopped_mid_stream_leaves_its_session_idle_and_reusable(
    tmp_path, postgres, pg_schema, monkeypatch
):
    monkeypatch.setenv(PASSWORD_VARIABLE, postgres.password)
    rows = 300_000  # ~70 MB: far more than one record batch and the socket's buffers
    table = _table(postgres, pg_schema, rows)
    connection = PostgresConnection(url=postgres.url, password=f"${{{PASSWORD_VARIABLE}}}")
    place = Place(tmp_path, "shop", "orders", connections={"pg": connection})
    opened = _opened(monkeypatch)
    config = PostgresHomeConfig(connection="pg", table=table, batch_size=1000, driver="adbc")
    home = config.open(place)
    assert isinstance(home, SqlHome)
    window = home.open_window(ReadSpec(key_columns=["id"]))
    reader = home.read(window, KeysetPosition())
    first, position = next(reader)  # one statement for the whole window, streaming

    reader.close()  # a chunk's budget spent: the engine closes the read

    assert _states(postgres) == ["idle"]  # rolled back
    assert f'"{pg_schema}"' in _cancelled(postgres)  # not drained to its end first
    rest = pl.concat([batch for batch, _ in home.read(window, position)])
    assert first["id"].to_list() + rest["id"].to_list() == list(range(1, rows + 1))
    assert len(opened) == 1


def test_a_session_ended_by_the_server_while_idle_is_replaced_without_a_retry(
    tmp_path, postgres, pg_schema, monkeypatch, caplog
):
    monkeypatch.setenv(PASSWORD_VARIABLE, postgres.password)
    table = _table(postgres, pg_schema, 3_000)
    root = _workspace(tmp_path / "ws", postgres, table, "adbc")
    opened = _opened(monkeypatch)
    workspace = load_workspace(root)
    assert run_plan(plan_run(workspace, Selection()), state_of(workspace), concurrency=1).ok
    with psycopg.connect(postgres.conninfo, autocommit=True) as connection:
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> "
            "pg_backend_pid() AND datname = current_database() AND backend_type = "
            "'client backend'"
        )

    with caplog.at_level(logging.WARNING, logger="hygge.connections"):
        again = run_plan(plan_run(workspace, Selection()), state_of(workspace), concurrency=1)

    assert again.ok, again.results
    assert not [r for r in caplog.records if "transient error" in r.getMessage()]
    assert len(opened) == 2


def test_a_type_created_after_the_session_opened_is_read_by_a_new_session(
    tmp_path, postgres, pg_schema, monkeypatch
):
    """ADBC reads the server's types once, at connect: a kept session would read a column of
    a newer type as opaque bytes, so the read asks a new session."""
    monkeypatch.setenv(PASSWORD_VARIABLE, postgres.password)
    _table(postgres, pg_schema, 10)
    connection = PostgresConnection(url=postgres.url, password=f"${{{PASSWORD_VARIABLE}}}")
    place = Place(tmp_path, "shop", "orders", connections={"pg": connection})
    opened = _opened(monkeypatch)

    def read(table: str) -> pl.DataFrame:
        config = PostgresHomeConfig(connection="pg", table=table, driver="adbc")
        home = config.open(place)
        window = home.open_window(ReadSpec(key_columns=["id"]))
        return pl.concat([batch for batch, _ in home.read(window, KeysetPosition())])

    assert read(f"{pg_schema}.orders").height == 10
    with psycopg.connect(postgres.conninfo, autocommit=True) as admin:
        admin.execute(f"CREATE TYPE \"{pg_schema}\".mood AS ENUM ('sad', 'ok')")
        admin.execute(f'CREATE TABLE "{pg_schema}".moods (id int PRIMARY KEY, '
                      f'm "{pg_schema}".mood)')  # fmt: skip
        admin.execute(f"INSERT INTO \"{pg_schema}\".moods VALUES (1, 'ok'), (2, 'sad')")

    moods = read(f"{pg_schema}.moods")

    assert moods.schema["m"] == pl.String() and moods["m"].to_list() == ["ok", "sad"]
    assert len(opened) == 2
