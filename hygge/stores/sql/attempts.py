"""Each step of a SQL store is one transaction, tried again after a transient error.

    for attempt in attempts(database, "publish to postgres db:5432/sales public.orders"):
        with attempt as session:
            ...                       # the whole step; rolled back if it fails

A failed try has rolled back, so a step runs whole again: a lost connection, a deadlock
victim or Azure SQL's throttling (`hygge.connections.retry` tells them apart) waits a backoff
and retries; a permanent error fails at once with the server's message and what to check; a
hygge error (a refusal, a missing staging) is raised as it is. A failure because hygge's own
bookkeeping tables were dropped since this process made them makes them again and tries the
step once more.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType

from hygge.connections.retry import Retrier, classify
from hygge.errors import HyggeError
from hygge.stores.sql.records import SqlDatabase, SqlSession, records_lost, transaction


class Attempt:
    """One try of a step: a transaction whose transient failure is swallowed and counted."""

    def __init__(self, database: SqlDatabase, retrier: Retrier, *, recheck: bool) -> None:
        self.database, self.retrier = database, retrier
        self.done, self.recheck, self.remade = False, recheck, False

    def __enter__(self) -> SqlSession:
        while True:  # connecting is retried here: the body has not started
            self._transaction = transaction(self.database)
            try:
                return self._transaction.__enter__()
            except Exception as error:
                self.retrier.failed(error)  # raises unless a new try may get past it

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> bool:
        try:
            suppressed = self._transaction.__exit__(kind, error, trace)
        except Exception as failure:  # its commit (or rollback) failed
            self.retrier.failed(failure)  # raises unless a new try may get past it
            return True
        if error is None:
            self.done = True
            return False
        if isinstance(error, Exception) and not suppressed:  # rolled back
            if self.recheck and _missing_table(error):
                self.remade = records_lost(self.database)
                if self.remade:
                    return True  # made again by the next try's transaction
            self.retrier.failed(error)
            return True
        return bool(suppressed)


def _missing_table(error: Exception) -> bool:
    """Whether `error` says a table does not exist (hygge's own, maybe, dropped meanwhile)."""
    if isinstance(error, HyggeError):
        return False
    failure = classify(error)
    text = failure.message.lower()
    return (
        failure.sqlstate in ("42P01", "42S02")
        or failure.number == 208
        or "no such table" in text
        or ("relation" in text and "does not exist" in text)
    )


def attempts(database: SqlDatabase, what: str) -> Iterator[Attempt]:
    """Tries of one step until one commits (see the module docstring)."""
    retrier = Retrier(what, side="store")
    recheck = True
    while True:
        attempt = Attempt(database, retrier, recheck=recheck)
        yield attempt
        if attempt.done:
            return
        recheck = recheck and not attempt.remade  # bookkeeping made again once per step
