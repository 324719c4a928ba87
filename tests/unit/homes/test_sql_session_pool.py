"""The SQL home's session pool: a session given back is reused by the next read of the same
connection, never by two reads at once; one that cannot be reset or no longer answers is
closed and another opened; idle ones are closed after `idle_seconds`."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

import polars as pl

from hygge.homes.sql.drivers import SqlSchema
from hygge.homes.sql.sessions import SessionPool


class FakeSession:
    """A session that counts what was asked of it; `dead` makes every statement fail."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.dead = False
        self.stale = False
        self.stale_after: set[str] = set()  # statements whose columns a stale catalog misses
        self.resets = 0
        self.closed = False

    def columns(self, sql: str, params: Sequence[object]) -> SqlSchema:
        self.stale = sql in self.stale_after
        return {"x": None if self.stale else pl.Int64()}

    def first(self, sql: str, params: Sequence[object]) -> tuple[object, ...] | None:
        if self.dead:
            raise ConnectionError("server closed the connection unexpectedly")
        return (1,)

    def stream(self, sql: str, params: Sequence[object], batch_size: int) -> Iterator[pl.DataFrame]:
        yield pl.DataFrame({"x": [1]})

    def reset(self) -> None:
        if self.dead:
            raise ConnectionError("server closed the connection unexpectedly")
        self.resets += 1

    def close(self) -> None:
        self.closed = True


class Opener:
    def __init__(self) -> None:
        self.opened: list[FakeSession] = []

    def __call__(self) -> FakeSession:
        self.opened.append(FakeSession(len(self.opened)))
        return self.opened[-1]


def test_a_session_given_back_is_reused_by_the_next_read_after_a_reset():
    pool, opener = SessionPool(), Opener()
    first = pool.take("pg", opener)
    first.close()
    again = pool.take("pg", opener)

    assert len(opener.opened) == 1 and again.session is opener.opened[0]
    assert opener.opened[0].resets == 1


def test_two_reads_at_once_never_share_a_session():
    pool, opener = SessionPool(), Opener()
    one, two = pool.take("pg", opener), pool.take("pg", opener)

    assert one.session is not two.session and len(opener.opened) == 2


def test_sessions_of_another_connection_are_not_reused():
    pool, opener = SessionPool(), Opener()
    pool.take("pg-a", opener).close()
    other = pool.take("pg-b", opener)

    assert other.session is opener.opened[1] and pool.idle("pg-a") == 1


def test_a_session_that_cannot_be_reset_is_closed_not_kept():
    pool, opener = SessionPool(), Opener()
    taken = pool.take("pg", opener)
    opener.opened[0].dead = True
    taken.close()

    assert opener.opened[0].closed and pool.idle("pg") == 0


def test_an_idle_session_that_no_longer_answers_is_closed_and_another_opened():
    pool, opener = SessionPool(), Opener()
    pool.take("pg", opener).close()
    opener.opened[0].dead = True  # the server dropped it while it was idle

    taken = pool.take("pg", opener)

    assert opener.opened[0].closed and taken.session is opener.opened[1]


def test_giving_back_twice_keeps_the_session_once():
    pool, opener = SessionPool(), Opener()
    taken = pool.take("pg", opener)
    taken.close()
    taken.close()

    assert pool.idle("pg") == 1


def test_idle_sessions_are_closed_after_idle_seconds():
    pool, opener = SessionPool(idle_seconds=0.05), Opener()
    pool.take("pg", opener).close()
    deadline = time.monotonic() + 10
    while pool.idle("pg") and time.monotonic() < deadline:
        time.sleep(0.02)

    assert pool.idle("pg") == 0 and opener.opened[0].closed


def test_close_all_closes_every_idle_session():
    pool, opener = SessionPool(), Opener()
    one, two = pool.take("pg", opener), pool.take("pg", opener)
    one.close()
    two.close()
    pool.close_all()

    assert all(session.closed for session in opener.opened) and pool.idle("pg") == 0


def test_a_reused_session_whose_type_catalog_is_stale_is_replaced_for_the_read():
    pool, opener = SessionPool(), Opener()
    pool.take("pg", opener).close()
    opener.opened[0].stale_after = {"SELECT * FROM moods"}  # a type created since it opened

    taken = pool.take("pg", opener)
    columns = taken.columns("SELECT * FROM moods", [])
    taken.close()

    assert columns == {"x": pl.Int64()} and taken.session is None
    assert opener.opened[0].closed and len(opener.opened) == 2
    assert pool.idle("pg") == 1 and not opener.opened[1].closed


def test_a_stale_session_is_closed_when_given_back():
    pool, opener = SessionPool(), Opener()
    taken = pool.take("pg", opener)
    opener.opened[0].stale = True
    taken.close()

    assert opener.opened[0].closed and pool.idle("pg") == 0
