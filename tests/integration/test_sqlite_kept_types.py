"""A SQLite table hygge's store wrote reads back through a SQLite home with the types it was
written with (Date, Datetime naive / with a time zone / in ns, Time, Decimal, Boolean): the
declared types say so, and `hygge go` into SQLite then out again gives equal rows (count and
content hash). Positions and watermarks bind as the stored text, so an incremental read
neither skips nor repeats a row; values a tool other than hygge wrote fail naming the column."""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from hygge.errors import DataError
from hygge.stores.sql.names import TableName
from hygge.stores.sql.schema import evolve
from hygge.stores.sql.sqlite import SqliteDatabase
from tests.support.cli import hygge
from tests.support.data import content_hash
from tests.support.workspace import land, read_lake, write_workspace

LOAD = "home: landing\nstore: {type: sqlite, path: lake.sqlite}\nentities: [orders]\n"
BACK = (
    "home: {type: sqlite, path: lake.sqlite, table: orders}\n"
    "store: {type: parquet, path: lake}\nentities: [orders]\n"
)
INCREMENTAL = (
    "home: {type: sqlite, path: lake.sqlite, table: orders}\n"
    "store: {type: parquet, path: lake}\nrun_type: incremental\n"
    "watermark: {column: at, key_columns: [id]}\nentities: [orders]\n"
)


def typed_rows(start: int = 0, rows: int = 40) -> pl.DataFrame:
    base = dt.datetime(2024, 2, 29, 23, 59, 58)
    ids = list(range(start, start + rows))
    day = [None if i % 7 == 0 else dt.date(1999, 1, 1) + dt.timedelta(days=i) for i in ids]
    at = [base + dt.timedelta(seconds=i // 3, microseconds=(i % 3) * 250_000) for i in ids]
    price = [None if i % 5 == 0 else Decimal(f"{i * 1_000_003}.{i % 100:02d}") for i in ids]
    flag = [None if i % 4 == 0 else i % 2 == 0 for i in ids]
    t = [dt.time(i % 24, i % 60, 0, (i * 7919) % 1_000_000) for i in ids]
    frame = pl.DataFrame(
        {"id": ids, "day": day, "at": at, "price": price, "flag": flag, "t": t},
        schema={"id": pl.Int64, "day": pl.Date, "at": pl.Datetime("us"),
                "price": pl.Decimal(20, 2), "flag": pl.Boolean, "t": pl.Time},
    )  # fmt: skip
    return frame.with_columns(
        pl.col("at").dt.replace_time_zone("Europe/Oslo").alias("at_zoned"),
        (pl.col("at").cast(pl.Datetime("ns")) + pl.duration(nanoseconds=7)).alias("at_ns"),
    )


def declared(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as connection:
        found = connection.execute("SELECT name, type FROM pragma_table_info('orders')")
        return [(str(name), str(kind)) for name, kind in found.fetchall()]


def in_utc(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col("at_zoned").dt.convert_time_zone("UTC"))


def test_into_sqlite_and_back_keeps_every_type_and_value(tmp_path: Path) -> None:
    write_workspace(tmp_path, {"load": LOAD, "back": BACK})
    data = typed_rows()
    land(tmp_path, "orders", "a", data)

    loaded = hygge(tmp_path, "go", "--flow", "load")
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert declared(tmp_path / "lake.sqlite") == [
        ("id", "INTEGER"), ("day", "DATE"), ("at", "TIMESTAMP"),
        ("price", "DECIMAL_TEXT(20, 2)"), ("flag", "BOOLEAN"), ("t", "TIME"),
        ("at_zoned", "TIMESTAMPTZ"), ("at_ns", "TIMESTAMP(9)"),
    ]  # fmt: skip
    back = hygge(tmp_path, "go", "--flow", "back")
    assert back.returncode == 0, back.stdout + back.stderr

    lake = read_lake(tmp_path, "orders").sort("id")
    assert lake.schema == in_utc(data).schema  # a zoned datetime reads back in UTC
    assert lake.height == data.height
    assert content_hash(lake) == content_hash(in_utc(data))


def test_an_incremental_read_by_a_datetime_watermark_neither_skips_nor_repeats(
    tmp_path: Path,
) -> None:
    write_workspace(tmp_path, {"load": LOAD.replace("entities", "run_type: incremental\nentities"),
                               "back": INCREMENTAL})  # fmt: skip
    first = typed_rows(0, 40)
    land(tmp_path, "orders", "a", first)
    for flow in ("load", "back"):
        done = hygge(tmp_path, "go", "--flow", flow)
        assert done.returncode == 0, done.stdout + done.stderr
    # later rows: some before the watermark, one at it, some in its second after it, later
    later = typed_rows(40, 12).with_columns(
        pl.col("at") - pl.duration(seconds=2),
        pl.col("at_ns") - pl.duration(seconds=2, time_unit="ns"),
    )
    land(tmp_path, "orders", "b", later)
    for flow in ("load", "back"):
        done = hygge(tmp_path, "go", "--flow", flow)
        assert done.returncode == 0, done.stdout + done.stderr

    lake = read_lake(tmp_path, "orders").sort("id")
    watermark = first["at"].max()
    assert isinstance(watermark, dt.datetime)
    expected = pl.concat([first, later.filter(pl.col("at") > watermark)])
    assert later.filter(pl.col("at") > watermark).height > 0
    assert lake["id"].to_list() == sorted(expected["id"].to_list())  # none twice, none lost
    assert content_hash(lake) == content_hash(in_utc(expected).sort("id"))


def test_a_value_another_tool_wrote_fails_naming_the_column(tmp_path: Path) -> None:
    write_workspace(tmp_path, {"load": LOAD, "back": BACK})
    land(tmp_path, "orders", "a", typed_rows(0, 3))
    assert hygge(tmp_path, "go", "--flow", "load").returncode == 0
    with sqlite3.connect(tmp_path / "lake.sqlite") as connection:
        connection.execute("UPDATE orders SET day = 'the 3rd of May' WHERE id = 1")

    back = hygge(tmp_path, "go", "--flow", "back")

    assert back.returncode != 0
    said = " ".join((back.stdout + back.stderr).split())
    assert "column 'day' is Date as hygge's SQLite store wrote it" in said, said
    assert "read the table with `query:`" in said, said


def test_a_table_an_older_hygge_wrote_as_text_takes_dates_and_reads_as_text(
    tmp_path: Path,
) -> None:
    write_workspace(tmp_path, {"load": LOAD.replace("entities", "run_type: incremental\nentities"),
                               "back": BACK})  # fmt: skip
    land(tmp_path, "orders", "a", typed_rows(0, 3).select("id", "day"))
    assert hygge(tmp_path, "go", "--flow", "load").returncode == 0
    with sqlite3.connect(tmp_path / "lake.sqlite") as connection:  # as hygge ≤ session 27 did
        (sql,) = connection.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'orders'"
        ).fetchone()
        connection.execute("PRAGMA writable_schema = ON")
        connection.execute(
            "UPDATE sqlite_master SET sql = ? WHERE name = 'orders'",
            [sql.replace('"day" DATE', '"day" TEXT')],
        )
    assert ("day", "TEXT") in declared(tmp_path / "lake.sqlite")
    land(tmp_path, "orders", "b", typed_rows(3, 3).select("id", "day"))

    again = hygge(tmp_path, "go", "--flow", "load")
    assert again.returncode == 0, again.stdout + again.stderr
    back = hygge(tmp_path, "go", "--flow", "back")
    assert back.returncode == 0, back.stdout + back.stderr
    lake = read_lake(tmp_path, "orders").sort("id")
    assert lake.schema["day"] == pl.String
    assert lake.height == 6


def test_text_into_a_date_column_is_refused_naming_it(tmp_path: Path) -> None:
    """The engine refuses it first (the published schema says Date); the store refuses it
    too, for a run that brings no published schema (SQLite cannot change a column's type)."""
    write_workspace(tmp_path, {"load": LOAD.replace("entities", "run_type: incremental\nentities")})
    land(tmp_path, "orders", "a", typed_rows(0, 3).select("id", "day"))
    assert hygge(tmp_path, "go").returncode == 0
    (tmp_path / "landing" / "orders" / "a.parquet").unlink()
    land(tmp_path, "orders", "b", pl.DataFrame({"id": [9], "day": ["soon"]}))

    done = hygge(tmp_path, "go")

    assert done.returncode != 0
    said = " ".join((done.stdout + done.stderr).split())
    assert "day: String here, Date published" in said, said
    assert "--full-drop" in said, said
    with sqlite3.connect(tmp_path / "lake.sqlite") as connection:
        assert connection.execute("SELECT count(*) FROM orders").fetchone() == (3,)

    database = SqliteDatabase(tmp_path / "lake.sqlite")
    with pytest.raises(DataError) as refused, database.transaction() as session:
        evolve(session, database.dialect, TableName("main", "orders"), {"day": "TEXT"})
    assert "column day holds a type hygge keeps as ISO text" in str(refused.value)
    assert "--full-drop" in str(refused.value)
    assert ("day", "DATE") in declared(tmp_path / "lake.sqlite")
