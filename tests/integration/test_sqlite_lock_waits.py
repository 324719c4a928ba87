"""A SQLite file another process holds locked: the home (a read kept out by an exclusive
lock) and the store (a write kept out by a write lock) each wait their `lock_timeout` once,
SQLite's busy timeout, then the entity fails naming the file and the field; the engine does
not try the step again (it did, 3 times, for the store: ~3x lock_timeout). Once the lock is
gone the next `hygge go` loads every row once. Waits are counted, never timed."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hygge.cli.app import app
from hygge.errors import EntityLockedError
from hygge.homes.sql import embedded
from hygge.homes.sql.config import SqliteHomeConfig
from hygge.stores.sql.sqlite import SqliteDatabase
from tests.support.data import content_hash, orders
from tests.support.sql_stores import read_sqlite
from tests.support.workspace import land, read_lake, write_workspace


def _go(ws: Path) -> tuple[int, str]:
    done = CliRunner(env={"COLUMNS": "400"}).invoke(app, ["go", "-w", str(ws)])
    return done.exit_code, " ".join(done.output.split())


def _held(path: Path, how: str) -> sqlite3.Connection:
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute(f"BEGIN {how}")
    return holder


def _source(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT)")
        connection.executemany("INSERT INTO orders VALUES (?, ?)", [(i, f"c{i}") for i in range(7)])


@pytest.fixture
def home_waits(monkeypatch) -> Iterator[list[str]]:
    """Each time a home read gave up waiting for a lock (the message it raised)."""
    waits: list[str] = []
    original = embedded.SqliteSession._unlocked

    def counted(self):  # type: ignore[no-untyped-def]
        try:
            with original(self):
                yield
        except EntityLockedError as error:
            waits.append(str(error))
            raise

    monkeypatch.setattr(embedded.SqliteSession, "_unlocked", contextlib.contextmanager(counted))
    yield waits


def test_a_home_kept_out_by_a_lock_waits_once_then_names_the_file(tmp_path, home_waits) -> None:
    ws = write_workspace(
        tmp_path / "ws",
        {"shop": "home: {type: sqlite, path: src.sqlite, table: orders, lock_timeout: 0}\n"
         "store: lake\nentities: [orders]\n"},
        "name: shop\n",
    )  # fmt: skip
    _source(ws / "src.sqlite")
    holder = _held(ws / "src.sqlite", "EXCLUSIVE")
    try:
        code, said = _go(ws)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert code == 1, said
    assert f"sqlite database {os.path.realpath(ws / 'src.sqlite')} is locked" in said, said
    assert "raise the home's `lock_timeout`" in said, said
    assert "firewall" not in said and "tries in a row" not in said, said
    assert len(home_waits) == 1, home_waits  # one wait: neither the home nor the engine retried
    code, said = _go(ws)
    assert code == 0, said
    assert read_lake(ws, "orders").sort("id")["id"].to_list() == list(range(7))


def test_a_store_kept_out_by_a_write_lock_waits_once_then_names_the_file(
    tmp_path, monkeypatch
) -> None:
    waits: list[str] = []
    original = SqliteDatabase.locked

    def counted(self, error):  # type: ignore[no-untyped-def]
        waits.append(str(error))
        return original(self, error)

    monkeypatch.setattr(SqliteDatabase, "locked", counted)
    ws = write_workspace(
        tmp_path / "ws",
        {"shop": "home: landing\nstore: {type: sqlite, path: wh.sqlite, lock_timeout: 0}\n"
         "entities: [orders]\n"},
        "name: shop\n",
    )  # fmt: skip
    land(ws, "orders", "a", orders(5))
    sqlite3.connect(ws / "wh.sqlite").close()
    holder = _held(ws / "wh.sqlite", "IMMEDIATE")
    try:
        code, said = _go(ws)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert code == 1, said
    assert "another process holds its write lock" in said and "`lock_timeout`" in said, said
    assert len(waits) == 1, waits  # was 3: the engine tried the step again twice
    code, said = _go(ws)
    assert code == 0, said
    table = read_sqlite(ws / "wh.sqlite", "orders", orders(0).schema)
    assert table is not None and table.height == 5
    expected = orders(5)
    assert content_hash(table.cast(dict(expected.schema))) == content_hash(expected)  # type: ignore[arg-type]


def test_the_home_lock_timeout_is_the_busy_timeout_and_is_checked() -> None:
    assert SqliteHomeConfig(path="a.sqlite", table="t").lock_timeout == 60
    with pytest.raises(ValueError, match="lock_timeout"):
        SqliteHomeConfig(path="a.sqlite", table="t", lock_timeout=-1)
