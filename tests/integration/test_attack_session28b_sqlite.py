"""Session 28b: SQLite's kept types (DATE, TIMESTAMP[TZ], TIME, DECIMAL_TEXT, BOOLEAN)
attacked: year 1 and 9999, the ends of the nanosecond range, negative decimals below one, the
largest a precision holds, nulls in every column; and a table an older hygge wrote (those
columns declared TEXT) appended to by this one: every row once, in the text the older one
wrote, read back as that text."""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal
from pathlib import Path

import polars as pl

from tests.support.cli import in_process
from tests.support.data import content_hash
from tests.support.workspace import land, read_lake, write_workspace

LOAD = "home: landing\nstore: {type: sqlite, path: lake.sqlite}\nentities: [orders]\n"
APPEND = (
    "home: {type: local, path: landing, format: parquet}\n"
    "store: {type: sqlite, path: lake.sqlite}\nrun_type: incremental\nentities: [orders]\n"
)
BACK = (
    "home: {type: sqlite, path: lake.sqlite, table: orders}\n"
    "store: {type: parquet, path: lake}\nentities: [orders]\n"
)


def _extremes() -> pl.DataFrame:
    us = pl.Datetime("us")
    frame = pl.DataFrame(
        {
            "id": [1, 2, 3, 4, 5],
            "day": [dt.date(1, 1, 1), dt.date(9999, 12, 31), None, dt.date(999, 5, 5),
                    dt.date(1969, 12, 31)],
            "at": [dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59, 999_999), None,
                   dt.datetime(999, 1, 1, 0, 0, 0, 1), dt.datetime(1969, 12, 31, 23, 59, 59)],
            "price": [Decimal("-0.05"), Decimal("-1234.50"), None,
                      Decimal("99999999999999999999.99"), Decimal("-99999999999999999999.99")],
            "t": [dt.time(0, 0), dt.time(23, 59, 59, 999_999), None, dt.time(0, 0, 0, 1),
                  dt.time(12, 0)],
            "flag": [True, False, None, True, False],
            "at_ns": [dt.datetime(1678, 1, 1), dt.datetime(2262, 4, 11), None,
                      dt.datetime(1969, 12, 31, 23, 59, 59), dt.datetime(1970, 1, 1)],
        },
        schema={"id": pl.Int64, "day": pl.Date, "at": us, "price": pl.Decimal(22, 2),
                "t": pl.Time, "flag": pl.Boolean, "at_ns": pl.Datetime("ns")},
    )  # fmt: skip
    return frame.with_columns(
        pl.col("at").dt.replace_time_zone("UTC").alias("at_tz"),
        pl.col("at_ns") + pl.duration(nanoseconds=1),
    )


def test_extreme_values_go_into_sqlite_and_back_unchanged(tmp_path: Path) -> None:
    write_workspace(tmp_path, {"load": LOAD, "back": BACK})
    source = _extremes()
    land(tmp_path, "orders", "a", source)

    for flow in ("load", "back"):
        code, said = in_process(tmp_path, "go", "--flow", flow)
        assert code == 0, said

    back = read_lake(tmp_path, "orders").select(source.columns).sort("id")
    assert back.schema == source.schema
    assert back.height == source.height
    assert content_hash(back) == content_hash(source)
    with sqlite3.connect(tmp_path / "lake.sqlite") as connection:
        ((day, at, price),) = connection.execute(
            "SELECT day, at, price FROM orders WHERE id = 1"
        ).fetchall()
    assert (day, at, price) == ("0001-01-01", "0001-01-01 00:00:00", "-0.05")  # ISO, padded


def _frame(ids: list[int]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": ids,
            "day": [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in ids],
            "at": [dt.datetime(2024, 1, 1, 0, 0, 0, i * 1000) for i in ids],
            "price": [Decimal(f"-{i}.25") for i in ids],
        },
        schema={"id": pl.Int64, "day": pl.Date, "at": pl.Datetime("us"),
                "price": pl.Decimal(10, 2)},
    )  # fmt: skip


def _as_an_older_hygge_declared_it(database: Path) -> None:
    """The table as hygge before session 28 made it: its mark kept, the types TEXT."""
    with sqlite3.connect(database) as connection:
        ((sql,),) = connection.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'orders'"
        ).fetchall()
        older = sql.replace('"orders"', '"orders_older"', 1)
        for kept in ("DATE", "TIMESTAMP", "DECIMAL_TEXT(10, 2)"):
            older = older.replace(f" {kept},", " TEXT,").replace(f" {kept})", " TEXT)")
        assert "DATE" not in older and "TIMESTAMP" not in older, older
        connection.execute(older)
        connection.execute("INSERT INTO orders_older SELECT * FROM orders")
        connection.execute("DROP TABLE orders")
        connection.execute("ALTER TABLE orders_older RENAME TO orders")


def test_a_table_an_older_hygge_wrote_as_text_takes_new_rows_once(tmp_path: Path) -> None:
    write_workspace(tmp_path, {"load": APPEND, "back": BACK})
    land(tmp_path, "orders", "a", _frame([1, 2, 3]))
    code, said = in_process(tmp_path, "go", "--flow", "load")
    assert code == 0, said
    _as_an_older_hygge_declared_it(tmp_path / "lake.sqlite")

    land(tmp_path, "orders", "b", _frame([4, 5]))
    code, said = in_process(tmp_path, "go", "--flow", "load")
    assert code == 0, said
    code, said = in_process(tmp_path, "go", "--flow", "back")
    assert code == 0, said

    back = read_lake(tmp_path, "orders").sort("id")
    assert back["id"].to_list() == [1, 2, 3, 4, 5]  # none lost, none twice
    source = _frame([1, 2, 3, 4, 5])
    assert back.schema["day"] == pl.String  # the older table's declared type is kept
    assert back["day"].to_list() == source["day"].cast(pl.String).to_list()
    assert back["price"].to_list() == [f"-{i}.25" for i in range(1, 6)]
    assert back["at"].to_list() == [f"2024-01-01 00:00:00.00{i}" for i in range(1, 6)]


DATE_INCREMENTAL = (
    "home: {type: sqlite, path: lake.sqlite, table: orders}\n"
    "store: {type: parquet, path: lake}\nrun_type: incremental\n"
    "watermark: {column: day, key_columns: [id], lookback: 1d}\nentities: [orders]\n"
)


def test_a_date_watermark_read_from_sqlite_skips_and_repeats_no_row(tmp_path: Path) -> None:
    """Rows added later on the last loaded day (late: the lookback of a day re-reads it, its
    bound bound as the stored text) and after it; the margin's loaded rows are dropped."""
    write_workspace(tmp_path, {"load": APPEND, "read": DATE_INCREMENTAL})
    batches = [[1, 2, 3], [4, 5], [6, 7, 8, 9]]
    days = {1: 1, 2: 2, 3: 3, 4: 3, 5: 4, 6: 4, 7: 4, 8: 9, 9: 1000}  # id -> days after
    seen: list[int] = []
    for number, ids in enumerate(batches):
        frame = _frame(ids).with_columns(
            pl.Series("day", [dt.date(1999, 12, 30) + dt.timedelta(days=days[i]) for i in ids])
        )
        land(tmp_path, "orders", f"b{number}", frame)
        for flow in ("load", "read"):
            code, said = in_process(tmp_path, "go", "--flow", flow)
            assert code == 0, said
        seen = sorted(read_lake(tmp_path, "orders")["id"].to_list())
        assert seen == sorted(i for batch in batches[: number + 1] for i in batch), seen
    lake = read_lake(tmp_path, "orders")
    assert lake.schema["day"] == pl.Date
    assert lake.height == 9
