"""Database errors told apart (transient or permanent) and transient ones retried with backoff.

`classify(exc)` reads an error of any driver hygge uses without importing it: psycopg
(`sqlstate`), pyodbc (`args[0]` is the SQLSTATE, SQL Server's native number is in the message
as `(1205)`), ADBC (`sqlstate`, `vendor_code`), sqlite3 and duckdb (the lock messages). A
transient error is a lost or refused connection (SQLSTATE class 08, PostgreSQL's 57P01-57P03
when a server stops or terminates the session), a serialization failure or deadlock (40001,
40P01, SQL Server 1205) or Azure SQL's throttling and failovers (40613, 40501, 49918-49920,
10928, 10929), or an embedded database's "database is locked". Anything else is permanent:
it fails at once, with the server's message and what to check (`advice`).

`Retrier` counts the failures of one operation in a row: each transient one waits a jittered
exponential backoff (the sleep is injectable for tests) and logs a line; the last one, or any
permanent one, raises `RetryableError` / `DataError`. `retrying(fn)` runs a call under it.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from hygge.errors import DataError, HyggeError, RetryableError

log = logging.getLogger("hygge.connections")

T = TypeVar("T")

# SQLSTATEs that a new attempt can get past: class 08 (connection) is matched by prefix.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "57P01", "57P02", "57P03", "HYT00", "HYT01"})
# SQL Server's native error numbers of deadlocks, failovers, throttling and dropped sockets.
TRANSIENT_SQLSERVER = frozenset(
    {1205, 40613, 40501, 40197, 49918, 49919, 49920, 10928, 10929, 10053, 10054, 10060, 233}
)
_LOST = (
    "server closed the connection",
    "connection is closed",
    "connection already closed",
    "terminating connection",
    "connection reset",
    "connection refused",
    "broken pipe",
    "could not receive data",
    "could not send data",
    "consuming input failed",
    "lost connection",
    "communication link failure",
    "ssl syscall error",
    "the connection is broken",
    "server has gone away",
    "no connection to the server",
    "timeout expired",
)
_LOCKED = (
    "database is locked",
    "database table is locked",
    "database is busy",
    "could not set lock on file",
)
_NATIVE = re.compile(r"\((\d{3,5})\)")
_STATE_IN_TEXT = re.compile(r"\b(?:State|SQLSTATE):? ?([0-9A-Z]{5})\b")

# Permanent failures a user can fix, by SQLSTATE or SQL Server number: what to check.
_LOGIN = (
    "check the login and password (the environment variable the connection's `password:` "
    "names), or that the Azure AD identity is a user of the database"
)
_FIREWALL = (
    "check that the server's firewall lets this machine's IP address in (Azure SQL: add a "
    "firewall rule or a private endpoint)"
)
_PERMISSION = "check that the login may read it (GRANT SELECT on the table or schema)"
_MISSING = (
    "check the table name and its schema in the home's `table:` or `query:` (and that it "
    "exists in this database)"
)
_MISSING_NAME = re.compile(
    r"""relation "([^"]+)"|invalid object name '([^']+)'|no such table: ?([\w.]+)"""
    r"""|table with name ([\w.]+)""",
    re.IGNORECASE,
)
_HYGGE_SCHEMA = re.compile(r'(?<![\w"])"?_hygge"?\.|\bschema "?_hygge\b', re.IGNORECASE)
_DATABASE = "check the connection's database name, and that the login may connect to it"
_TOO_WIDE = (
    "a value is longer than the size its ODBC driver declared for the column, so the columnar "
    "reader (arrow-odbc) cannot read it whole (nothing was cut short); set `reader: pyodbc` "
    "on the home, which reads values of any length"
)
_ADVICE_BY_STATE = {
    "28000": _LOGIN,
    "28P01": _LOGIN,
    "42501": _PERMISSION,
    "42P01": _MISSING,
    "42S02": _MISSING,
    "3D000": _DATABASE,
    "42S22": "check the column names in the query, key_columns and watermark",
    "42703": "check the column names in the query, key_columns and watermark",
}
_ADVICE_BY_NUMBER = {
    18456: _LOGIN,
    40615: _FIREWALL,
    229: _PERMISSION,
    230: _PERMISSION,
    208: _MISSING,
    4060: _DATABASE,
    207: "check the column names in the query, key_columns and watermark",
}
_ADVICE_BY_TEXT = (
    ('database "', _DATABASE),
    ("password authentication failed", _LOGIN),
    ("login failed", _LOGIN),
    ("no password supplied", _LOGIN),
    ("permission denied", _PERMISSION),
    ("does not exist", _MISSING),
    ("invalid object name", _MISSING),
    ("no such table", _MISSING),
    ("not allowed to access the server", _FIREWALL),
    ("no pg_hba.conf entry", _FIREWALL),
    ("into the allocated buffer without truncation", _TOO_WIDE),  # arrow-odbc
)
CONNECT_ADVICE = (
    "check the connection's host, port, database, login and password, and that a firewall "
    "lets this machine in"
)
LOCKED_ADVICE = (
    "another process holds a lock on the database file (another hygge run, or a tool with "
    "it open for writing): wait for it to finish, then run again"
)


@dataclass(frozen=True)
class Failure:
    """What an error of a driver is: transient or not, its codes, the advice for a user."""

    transient: bool
    sqlstate: str | None
    number: int | None
    message: str
    advice: str | None


def classify(exc: BaseException) -> Failure:
    """Transient or permanent, read from the error's SQLSTATE, native number or message."""
    message = first_line(exc)
    state = _sqlstate(exc)
    number = _number(exc, message)
    lower = str(exc).lower()
    transient = (
        (state is not None and (state.startswith("08") or state in TRANSIENT_SQLSTATES))
        or (number is not None and number in TRANSIENT_SQLSERVER)
        or any(text in lower for text in _LOST + _LOCKED)
        or isinstance(exc, ConnectionError | TimeoutError)
    )
    advice = _ADVICE_BY_STATE.get(state or "") or _ADVICE_BY_NUMBER.get(number or 0)
    if advice is None:
        advice = next((text for found, text in _ADVICE_BY_TEXT if found in lower), None)
    if advice in {_LOGIN, _FIREWALL, _PERMISSION, _DATABASE}:
        transient = False  # a refused login says "connection" too: it never heals on its own
    return Failure(transient, state, number, message, advice)


def _sqlstate(exc: BaseException) -> str | None:
    found = getattr(exc, "sqlstate", None)  # psycopg, ADBC
    if isinstance(found, str) and len(found) == 5:
        return found.upper()
    args = getattr(exc, "args", ())
    if args and isinstance(args[0], str) and re.fullmatch(r"[0-9A-Z]{5}", args[0]):
        return args[0]  # pyodbc: (sqlstate, message)
    found = _STATE_IN_TEXT.search(str(exc))  # arrow-odbc: "... State: 08S01, Native error: 0"
    return found.group(1) if found else None


def _number(exc: BaseException, message: str) -> int | None:
    vendor = getattr(exc, "vendor_code", None)  # ADBC
    if isinstance(vendor, int) and vendor in TRANSIENT_SQLSERVER | set(_ADVICE_BY_NUMBER):
        return vendor
    for match in _NATIVE.finditer(str(exc)):  # pyodbc: "... (1205) (SQLExecDirectW)"
        number = int(match.group(1))
        if number in TRANSIENT_SQLSERVER or number in _ADVICE_BY_NUMBER:
            return number
    return None


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (its type's name when it has none)."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


Side = Literal["home", "store"]


def _is_hygges(name: str | None, text: str) -> bool:
    """Whether the missing table is hygge's bookkeeping: in schema `_hygge`, or a `_hygge_`
    table (SQLite); not a user's table that merely has `_hygge` in its name."""
    if name is not None:
        parts = [part.strip('"[]`').lower() for part in name.split(".")]
        if (len(parts) > 1 and parts[-2] == "_hygge") or parts[-1].startswith("_hygge_"):
            return True
    return _HYGGE_SCHEMA.search(text) is not None


def missing_advice(exc: BaseException, side: Side) -> str:
    """What to do about a table that does not exist: which table it is (from the server's
    message), and whether it is hygge's own bookkeeping (`_hygge`), the store's or the home's."""
    text = str(exc)
    found = _MISSING_NAME.search(text)
    name = next((group for group in found.groups() if group), None) if found else None
    named = f"`{name}`" if name else "the table"
    if _is_hygges(name, text):
        return (
            f"the missing table {named} is hygge's own bookkeeping (schema `_hygge`, or the "
            "`_hygge_` tables on SQLite): something dropped it while hygge ran. Run `hygge go` "
            "again (it makes its tables again); if this repeats, check that nothing else drops "
            "them and that the login may create tables in schema `_hygge`"
        )
    if side == "store":
        return (
            f"the missing table {named} is the store's: check the store's `table:` (and "
            "schema), and that nothing dropped it during the run; `hygge go` again creates it"
        )
    return (
        "check the table name and its schema in the home's `table:` or `query:` (and that "
        f"{named} exists in this database)"
    )


def permanent(
    exc: BaseException, what: str, default: str | None = None, side: Side = "home"
) -> DataError:
    """The DataError of a permanent failure: `what` (e.g. `cannot read postgres table x`),
    the server's message and what to check (a missing table's advice depends on `side`)."""
    failure = classify(exc)
    advice = failure.advice
    if advice == _MISSING:
        advice = missing_advice(exc, side)
    advice = advice or default or "check the table or query and the login's permissions"
    return DataError(f"{what}: {failure.message}. {_capital(advice)}")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class RetryPolicy:
    """Up to `attempts` tries in a row; the n-th wait is `base * 2**n` (at most `cap`), each
    scaled by a random factor in [0.5, 1.0) so parallel readers do not retry in step."""

    attempts: int = 5
    base: float = 0.5
    cap: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    jitter: Callable[[], float] = field(default=random.random, compare=False)

    def delay(self, failures: int) -> float:
        """Seconds to wait after the `failures`-th failure in a row (1-based)."""
        backoff: float = min(self.cap, self.base * 2.0 ** (failures - 1))
        return backoff * (0.5 + self.jitter() / 2)


DEFAULT_POLICY = RetryPolicy()


@dataclass
class Retrier:
    """The failures in a row of one operation (`what`, e.g. `reading postgres table x`)."""

    what: str  # what failed, e.g. `cannot read postgres table x for shop.orders`
    policy: RetryPolicy = DEFAULT_POLICY
    advice: str | None = None  # what to check when the error itself does not say
    side: Side = "home"  # whose table a "does not exist" is about (hygge's own is told apart)
    failures: int = 0
    retried: int = 0  # all retries, for tests and logs

    def failed(self, exc: Exception) -> None:
        """Wait before the next try of a transient failure; else raise what the user sees:
        a hygge error as it is, DataError for a permanent failure, RetryableError for a
        transient one that outlasted the attempts."""
        if isinstance(exc, HyggeError):
            raise exc
        failure = classify(exc)
        if not failure.transient:
            raise permanent(exc, self.what, self.advice, self.side) from exc
        self.failures += 1
        if self.failures >= self.policy.attempts:
            locked = any(text in str(exc).lower() for text in _LOCKED)
            advice = self.advice or (LOCKED_ADVICE if locked else CONNECT_ADVICE)
            raise RetryableError(
                f"{self.what}: {self.failures} tries in a row failed with transient errors, "
                f"the last: {failure.message}. {_capital(advice)}"
            ) from exc
        wait = self.policy.delay(self.failures)
        log.warning(
            "%s: transient error (%s), retry %d of %d in %.1fs: %s",
            self.what, failure.sqlstate or failure.number or type(exc).__name__,
            self.failures, self.policy.attempts - 1, wait, failure.message,
        )  # fmt: skip
        self.retried += 1
        self.policy.sleep(wait)

    def progressed(self) -> None:
        """The operation got further (a batch read): its failures in a row start again."""
        self.failures = 0


def retrying(
    operation: Callable[[], T],
    what: str,
    policy: RetryPolicy = DEFAULT_POLICY,
    advice: str | None = None,
) -> T:
    """`operation()`, tried again after transient failures (see `Retrier`)."""
    retrier = Retrier(what, policy, advice)
    while True:
        try:
            return operation()
        except Exception as exc:  # classified: permanent ones raise at once
            retrier.failed(exc)
