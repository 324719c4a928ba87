"""A SQL home's reading session killed by the server (`pg_terminate_backend`) mid-read reads on
after the last batch it yielded: no row lost, none twice. A permanent error fails at once."""

from __future__ import annotations

import logging
import threading

import polars as pl
import psycopg
import pytest

from hygge.connections import PostgresConnection
from hygge.connections.retry import RetryPolicy
from hygge.errors import DataError
from hygge.homes.base import ReadSpec
from hygge.homes.positions import KeysetPosition
from hygge.homes.sql import PostgresHomeConfig
from hygge.homes.sql.dialect import POSTGRES_QMARK
from hygge.homes.sql.home import SqlHome
from hygge.homes.sql.odbc import OdbcDriver
from hygge.types import Place

pytestmark = pytest.mark.postgres

ROWS = 60_000
BATCH = 500
PASSWORD_VARIABLE = "HYGGE_TEST_PG_PASSWORD"


@pytest.fixture
def table(postgres, pg_schema) -> str:
    with psycopg.connect(postgres.conninfo) as connection:
        connection.execute(
            f'CREATE TABLE "{pg_schema}".orders AS SELECT g AS id, md5(g::text) AS note, '
            f"repeat('x', 100) AS pad FROM generate_series(0, {ROWS - 1}) g"
        )
        connection.execute(f'ALTER TABLE "{pg_schema}".orders ADD PRIMARY KEY (id)')
    return f"{pg_schema}.orders"


def _home(tmp_path, postgres, table: str, driver: str, monkeypatch, **fields) -> SqlHome:
    monkeypatch.setenv(PASSWORD_VARIABLE, fields.pop("password", postgres.password))
    place = Place(tmp_path, "shop", "orders", connections={"pg": _connection(postgres)})
    if driver in {"odbc", "arrow-odbc"}:  # the mssql home's driver, through psqlODBC
        reader = "pyodbc" if driver == "odbc" else driver
        text = postgres.odbc + "UseDeclareFetch=1;"
        odbc = OdbcDriver(text, "odbc postgres", POSTGRES_QMARK, reader=reader)
        return SqlHome(odbc, place, table=table, query=None, batch_size=BATCH, retry=FAST)
    config = PostgresHomeConfig(
        connection="pg", table=table, batch_size=BATCH, driver=driver, **fields
    )
    home = config.open(place)
    assert isinstance(home, SqlHome)
    home.retry = FAST
    return home


def _connection(postgres) -> PostgresConnection:
    return PostgresConnection(url=postgres.url, password=f"${{{PASSWORD_VARIABLE}}}")


FAST = RetryPolicy(attempts=4, base=0.05, cap=0.2)


def _terminate_readers(postgres, table: str) -> int:
    """End every other client session of the database (this worker's server: only the
    home's), as an admin or a failover would."""
    with psycopg.connect(postgres.conninfo, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> "
            "pg_backend_pid() AND datname = current_database() AND backend_type = "
            "'client backend'"
        ).fetchall()
    return sum(1 for (done,) in rows if done)


@pytest.mark.parametrize(
    ("driver", "key"),
    # ADBC reads an integer key in one statement streamed by COPY in ~16 MB batches: this
    # small table is fetched before a kill could meet it; a text key is read in pages
    [("adbc", "note"), ("psycopg", "id"), ("odbc", "id"), ("arrow-odbc", "id")],
)
def test_a_session_killed_mid_read_reads_on_without_loss_or_duplicates(
    tmp_path, postgres, table, driver, key, monkeypatch, caplog
):
    home = _home(tmp_path, postgres, table, driver, monkeypatch)
    if driver == "adbc":  # a text key: keyset pages (each result held whole), several here
        home.driver.page_rows = 7_000  # type: ignore[attr-defined]
    window = home.open_window(ReadSpec(key_columns=[key]))
    seen: list[pl.DataFrame] = []
    killed = 0
    with caplog.at_level(logging.WARNING, logger="hygge.connections"):
        for batch, _position in home.read(window, KeysetPosition()):
            seen.append(batch)
            if len(seen) in {3, 40}:  # twice: once early, once deep into the table
                killed += _terminate_readers(postgres, table)
    read = pl.concat(seen)
    assert read["id"].len() == ROWS and read["id"].n_unique() == ROWS
    assert read[key].to_list() == sorted(read[key].to_list())  # in key order: no gap, no repeat
    retries = [r.getMessage() for r in caplog.records if "transient error" in r.getMessage()]
    assert killed >= 2 and len(retries) == 2, retries  # arrow-odbc: two sessions a read
    assert "cannot read postgres table" in retries[0] and "shop.orders" in retries[0]


def test_a_resumed_read_after_a_kill_starts_from_the_position_not_the_start(
    tmp_path, postgres, table, monkeypatch
):
    home = _home(tmp_path, postgres, table, "psycopg", monkeypatch)
    window = home.open_window(ReadSpec(key_columns=["id"]))
    reader = home.read(window, KeysetPosition(values={"id": 49_999}))
    first, position = next(reader)
    _terminate_readers(postgres, table)
    rest = [batch for batch, _ in reader]
    ids = pl.concat([first, *rest])["id"].to_list()
    assert ids == list(range(50_000, ROWS))
    assert isinstance(position, KeysetPosition) and position.values == {"id": 50_000 + BATCH - 1}


def test_a_wrong_password_fails_at_once_with_what_to_check(tmp_path, postgres, table, monkeypatch):
    slept: list[float] = []
    home = _home(tmp_path, postgres, table, "adbc", monkeypatch, password="wrong")
    home.retry = RetryPolicy(sleep=slept.append)
    with pytest.raises(DataError) as caught:
        home.open_window(ReadSpec(key_columns=["id"]))
    message = str(caught.value)
    assert "password authentication failed" in message and "Check the login and password" in message
    assert "cannot connect to postgres 127.0.0.1" in message and "shop.orders" in message
    assert slept == []
    assert home.check() and "password authentication failed" in home.check()[0]


@pytest.mark.parametrize("driver", ["adbc", "psycopg", "odbc"])
def test_a_missing_table_fails_at_once_naming_it(
    tmp_path, postgres, pg_schema, driver, monkeypatch
):
    slept: list[float] = []
    home = _home(tmp_path, postgres, f"{pg_schema}.nowhere", driver, monkeypatch)
    home.retry = RetryPolicy(sleep=slept.append)
    with pytest.raises(DataError) as caught:
        home.open_window(ReadSpec(key_columns=["id"]))
    message = str(caught.value)
    assert "does not exist" in message and "nowhere" in message
    assert "Check the table name" in message
    assert slept == []


def test_a_server_down_for_good_fails_after_the_retries_as_retryable(
    tmp_path, postgres, table, monkeypatch
):
    """Nothing listens on the port: connection refused is transient, tried `attempts` times."""
    from hygge.errors import RetryableError

    slept: list[float] = []
    down = PostgresConnection(
        url=f"postgresql://{postgres.user}@127.0.0.1:1/{postgres.database}",
        password=f"${{{PASSWORD_VARIABLE}}}",
    )
    monkeypatch.setenv(PASSWORD_VARIABLE, postgres.password)
    place = Place(tmp_path, "shop", "orders", connections={"pg": down})
    home = PostgresHomeConfig(connection="pg", table=table).open(place)
    assert isinstance(home, SqlHome)
    home.retry = RetryPolicy(attempts=3, sleep=slept.append)
    with pytest.raises(RetryableError) as caught:
        home.open_window(ReadSpec(key_columns=["id"]))
    assert len(slept) == 2
    assert "3 tries in a row" in str(caught.value) and "firewall" in str(caught.value)


def test_reads_in_threads_each_retry_on_their_own(tmp_path, postgres, table, monkeypatch):
    home = _home(tmp_path, postgres, table, "psycopg", monkeypatch)
    window = home.open_window(ReadSpec(key_columns=["id"]))
    starts = [KeysetPosition(), KeysetPosition(values={"id": ROWS // 2})]
    found: list[list[int]] = [[], []]
    admin = threading.Lock()

    def read(index: int) -> None:
        for batch, _ in home.read(window, starts[index]):
            found[index].extend(batch["id"].to_list())
            if len(found[index]) == BATCH * 2:
                with admin:  # one admin session at a time: each ends all the others
                    _terminate_readers(postgres, table)

    threads = [threading.Thread(target=read, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found[0] == list(range(ROWS))
    assert found[1] == list(range(ROWS // 2 + 1, ROWS))


@pytest.mark.parametrize("page", [500, 7_000, ROWS, ROWS + 1])
def test_adbc_reads_a_text_keyed_window_in_keyset_pages_every_row_once(
    tmp_path, postgres, table, monkeypatch, page
):
    home = _home(tmp_path, postgres, table, "adbc", monkeypatch)
    home.driver.page_rows = page  # type: ignore[attr-defined]
    sent = _spy_statements(monkeypatch)
    window = home.open_window(ReadSpec(key_columns=["note"]))  # a bound (text) key: pages
    notes = pl.concat([batch for batch, _ in home.read(window, KeysetPosition())])["note"]
    assert notes.to_list() == sorted(notes.to_list()) and notes.n_unique() == ROWS
    reads = [sql for sql, _ in sent if "ORDER BY" in sql]
    assert len(reads) == ROWS // page + 1 and all(f"LIMIT {page}" in sql for sql in reads)


def test_adbc_reads_an_integer_keyed_window_in_one_streamed_statement(
    tmp_path, postgres, table, monkeypatch
):
    home = _home(tmp_path, postgres, table, "adbc", monkeypatch)
    home.driver.page_rows = 7_000  # type: ignore[attr-defined]
    sent = _spy_statements(monkeypatch)
    window = home.open_window(ReadSpec(key_columns=["id"]))
    position = KeysetPosition(values={"id": 99})
    ids = pl.concat([batch for batch, _ in home.read(window, position)])["id"]
    assert ids.to_list() == list(range(100, ROWS))
    reads = [(sql, params) for sql, params in sent if "ORDER BY" in sql]
    assert len(reads) == 1 and "LIMIT" not in reads[0][0]
    assert reads[0][1] == [] and "(99)" in reads[0][0]  # written in: ADBC streams it by COPY


def _spy_statements(monkeypatch) -> list[tuple[str, list[object]]]:
    from hygge.homes.sql.postgres import AdbcSession

    sent: list[tuple[str, list[object]]] = []
    stream = AdbcSession.stream

    def spy(self, sql, params, batch_size):  # type: ignore[no-untyped-def]
        sent.append((sql, list(params)))
        return stream(self, sql, params, batch_size)

    monkeypatch.setattr(AdbcSession, "stream", spy)
    return sent
