"""Session 27: PostgreSQL read through ODBC (unixODBC + psqlODBC) by the mssql home's two
readers, arrow-odbc (columns gathered into batch_size frames) and pyodbc, on text that is
NULL, empty, unicode beyond the BMP, and wider than the driver's declared column size. Every
value must arrive whole, or the read must fail naming the column: never cut short silently."""

from __future__ import annotations

import polars as pl
import pytest

from hygge.errors import DataError
from hygge.homes.base import ReadSpec
from hygge.homes.positions import KeysetPosition
from hygge.homes.sql import odbc
from hygge.homes.sql.dialect import POSTGRES_QMARK
from hygge.homes.sql.home import SqlHome
from hygge.types import Place
from tests.support.data import content_hash
from tests.support.sql_sources import write_postgres

pytestmark = pytest.mark.postgres

WIDE = 20_000  # characters: psqlODBC declares a text column 8,190 wide


def _home(postgres, schema: str, reader: str, batch_size: int = 7) -> SqlHome:
    driver = odbc.OdbcDriver(postgres.odbc, "odbc postgres", POSTGRES_QMARK, reader=reader)
    return SqlHome(
        driver, Place(None, "sales", "notes"), table=f"{schema}.notes", query=None,
        batch_size=batch_size, key_columns=["id"],
    )  # fmt: skip


def _read(home: SqlHome) -> pl.DataFrame:
    window = home.open_window(ReadSpec(key_columns=["id"]))
    return pl.concat([batch for batch, _ in home.read(window, KeysetPosition())])


TEXTS = [
    None,
    "",
    "plain",
    "æøå ÆØÅ — \u201cquoted\u201d \u2018single\u2019",
    "漢字かなカナ한국어",
    "emoji 😀👩‍👩‍👧 ❤️ flags 🇩🇰",
    "nul-free control \t tab \r\n crlf",
    "😀" * 3_000,  # 3,000 characters, 12,000 bytes
    "é" * 8_000,
    "x" * WIDE,
    "😀" * (WIDE // 2),
    "é" * WIDE,
]


def _notes(postgres, schema: str, texts: list[str | None]) -> pl.DataFrame:
    frame = pl.DataFrame(
        {"id": range(len(texts)), "body": texts, "other": [None] * len(texts)},
        schema={"id": pl.Int64, "body": pl.String, "other": pl.String},
    )
    write_postgres(postgres.conninfo, f'"{schema}"."notes"', frame)
    return frame


@pytest.fixture
def notes(postgres, pg_schema) -> pl.DataFrame:
    return _notes(postgres, pg_schema, TEXTS)


@pytest.mark.parametrize(
    ("reader", "texts"),
    [
        pytest.param("arrow-odbc", TEXTS[:-3], id="arrow-odbc"),  # narrower than declared
        pytest.param("pyodbc", TEXTS, id="pyodbc"),
    ],
)
def test_null_unicode_and_wide_text_arrive_whole(postgres, pg_schema, reader, texts):
    notes = _notes(postgres, pg_schema, texts)

    read = _read(_home(postgres, pg_schema, reader))

    assert read.height == notes.height
    lengths = read.select(pl.col("body").str.len_chars()).to_series().to_list()
    assert lengths == notes.select(pl.col("body").str.len_chars()).to_series().to_list()
    assert content_hash(read.select(notes.columns)) == content_hash(notes)


def test_a_value_wider_than_arrow_odbc_can_bind_fails_saying_to_use_pyodbc(
    postgres, pg_schema, notes
):
    with pytest.raises(DataError) as failed:
        _read(_home(postgres, pg_schema, "arrow-odbc"))

    said = str(failed.value)
    assert "longer than the size its ODBC driver declared" in said, said
    assert "`reader: pyodbc`" in said, said
    assert "firewall" not in said, said  # it is no connection problem
    assert content_hash(_read(_home(postgres, pg_schema, "pyodbc"))) == content_hash(notes)
