"""`pool_size` of an mssql connection caps the connections one process opens at once to that
database: a read beyond it waits for a free one (pyodbc through psqlODBC, against PostgreSQL)."""

from __future__ import annotations

import threading

import pytest

from hygge.homes.sql.dialect import POSTGRES_QMARK
from hygge.homes.sql.odbc import OdbcDriver, connection_limit

pytestmark = pytest.mark.postgres


def test_a_read_beyond_pool_size_waits_for_a_connection_to_close(postgres):
    driver = OdbcDriver(
        postgres.odbc, "odbc postgres", POSTGRES_QMARK, limit=connection_limit("pool-test", 1)
    )
    first = driver.connect()
    opened = threading.Event()

    def second() -> None:
        session = driver.connect()
        opened.set()
        assert session.first("SELECT 1", []) == (1,)
        session.close()

    waiting = threading.Thread(target=second)
    waiting.start()
    assert not opened.wait(0.5)  # the one slot is held by the first session
    first.close()
    assert opened.wait(10)
    waiting.join()
    assert driver.limit is not None and driver.limit.acquire(blocking=False)  # all given back


def test_a_failed_connect_gives_its_slot_back(postgres):
    limit = connection_limit("pool-test-failing", 1)
    driver = OdbcDriver(postgres.odbc.replace(postgres.password, "wrong"), "odbc", POSTGRES_QMARK,
                        limit=limit)  # fmt: skip
    for _ in range(2):
        with pytest.raises(Exception, match="password authentication failed"):
            driver.connect()
    assert limit is not None and limit.acquire(blocking=False)
