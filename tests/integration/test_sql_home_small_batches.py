"""The mssql home's columnar reader (arrow-odbc, through unixODBC and psqlODBC) on a table of
wide text columns: arrow-odbc's 64 MiB buffer cap gives batches of a few hundred rows, which
the home gathers into frames of exactly `batch_size` rows, in key order, each position the
last row of its frame; a read resumed at any of them yields the rest once."""

from __future__ import annotations

import polars as pl
import pytest

from hygge.homes.base import ReadSpec
from hygge.homes.positions import KeysetPosition
from hygge.homes.sql import odbc
from hygge.homes.sql.dialect import POSTGRES_QMARK
from hygge.homes.sql.home import SqlHome
from hygge.types import Place
from tests.support.sql_sources import write_postgres

pytestmark = pytest.mark.postgres

ROWS = 2_500


def _home(postgres, pg_schema: str, batch_size: int) -> SqlHome:
    driver = odbc.OdbcDriver(postgres.odbc, "odbc postgres", POSTGRES_QMARK, reader="arrow-odbc")
    return SqlHome(
        driver, Place(None, "sales", "notes"), table=f"{pg_schema}.notes", query=None,
        batch_size=batch_size, key_columns=["id"],
    )  # fmt: skip


@pytest.fixture
def notes(postgres, pg_schema):
    frame = pl.DataFrame(
        {
            "id": range(ROWS),
            "title": [f"title {i}" for i in range(ROWS)],
            "body": [f"body {i} " * 3 for i in range(ROWS)],
            **{f"note{n}": [f"{n}.{i}" for i in range(ROWS)] for n in range(3)},
        },
        schema={"id": pl.Int64, "title": pl.String, "body": pl.String}
        | {f"note{n}": pl.String for n in range(3)},
    )  # five text columns: psqlODBC sizes each at 8,190 characters, ~400 rows per 64 MiB
    write_postgres(postgres.conninfo, f'"{pg_schema}"."notes"', frame)
    return frame


@pytest.fixture
def driver_batches(monkeypatch):
    """The row counts of the record batches arrow-odbc handed the home."""
    seen: list[int] = []
    import arrow_odbc

    original = arrow_odbc.read_arrow_batches_from_odbc

    def recorded(*args, **kwargs):
        for batch in original(*args, **kwargs):
            seen.append(batch.num_rows)
            yield batch

    monkeypatch.setattr(arrow_odbc, "read_arrow_batches_from_odbc", recorded)
    return seen


def test_small_driver_batches_are_gathered_into_batch_size_frames(
    postgres, pg_schema, notes, driver_batches
):
    home = _home(postgres, pg_schema, batch_size=1_000)
    window = home.open_window(ReadSpec(key_columns=["id"]))

    read = list(home.read(window, KeysetPosition()))

    assert max(driver_batches) < 1_000 < ROWS  # the driver's batches were smaller: gathered
    assert [batch.height for batch, _ in read] == [1_000, 1_000, 500]
    assert [position.values for _, position in read] == [{"id": 999}, {"id": 1999}, {"id": 2499}]
    assert pl.concat([batch for batch, _ in read]).equals(notes)


def test_a_read_resumed_at_a_gathered_frame_yields_the_rest_once(postgres, pg_schema, notes):
    home = _home(postgres, pg_schema, batch_size=1_000)
    window = home.open_window(ReadSpec(key_columns=["id"]))
    first = next(iter(home.read(window, KeysetPosition())))

    rest = list(home.read(window, first[1]))

    assert [batch.height for batch, _ in rest] == [1_000, 500]
    assert pl.concat([first[0], *(batch for batch, _ in rest)]).equals(notes)
