"""The ODBC driver (pyodbc) of the mssql home: SQL Server through ODBC Driver 18.

Azure AD auth passes an access token from DefaultAzureCredential to the driver as the
SQL_COPT_SS_ACCESS_TOKEN connection attribute, fetched again when it is near expiry. The same
code runs against any ODBC driver: tests run it against PostgreSQL through psqlODBC.
"""

from __future__ import annotations

import datetime as dt
import re
import struct
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import polars as pl
import pyarrow as pa

from hygge.errors import DataError, MissingDependencyError, RetryableError
from hygge.homes.sql.dialect import Dialect
from hygge.homes.sql.drivers import SqlSchema, arrow_frames, fetched, polars_type

SQL_COPT_SS_ACCESS_TOKEN = 1256
TOKEN_SCOPE = "https://database.windows.net/.default"
REFRESH_BEFORE = 300  # seconds before expiry a token is fetched again

DRIVER_INSTALL = (
    "install Microsoft's ODBC Driver 18 for SQL Server (Debian/Ubuntu: add Microsoft's package "
    "repository, then `ACCEPT_EULA=Y apt-get install msodbcsql18`; Windows and macOS: "
    "Microsoft's installer), or set the connection's `driver:` to one that is installed"
)
_DRIVER = re.compile(r"(?:^|;)\s*driver\s*=\s*\{([^}]*)\}", re.IGNORECASE)

TokenSource = Callable[[], tuple[str, float]]
"""Returns an access token and when it expires (epoch seconds)."""


def default_credential_token() -> tuple[str, float]:
    """A token for Azure SQL from DefaultAzureCredential (managed identity, az login, ...)."""
    try:
        from azure.identity import DefaultAzureCredential
    except ImportError as exc:
        raise MissingDependencyError("azure-identity", "mssql") from exc
    token = DefaultAzureCredential().get_token(TOKEN_SCOPE)
    return token.token, float(token.expires_on)


class CachedToken:
    """One token shared by the sessions of a process, fetched again before it expires."""

    def __init__(self, source: TokenSource) -> None:
        self.source = source
        self.lock = threading.Lock()
        self.token: tuple[str, float] | None = None

    def attribute(self) -> bytes:
        """The token as the ODBC driver takes it: UTF-16-LE, prefixed by its byte length."""
        with self.lock:
            if self.token is None or self.token[1] - time.time() < REFRESH_BEFORE:
                self.token = self.source()
            encoded = self.token[0].encode("utf-16-le")
        return struct.pack("<I", len(encoded)) + encoded


_SHARED: dict[TokenSource, CachedToken] = {}
_SHARED_LOCK = threading.Lock()


def shared_token(source: TokenSource | None = None) -> CachedToken:
    """The process's one cached token of `source`: every mssql home and every open of one shares
    it (and its refresh), so a run of many entities asks Azure AD once an hour, not per read."""
    source = source or default_credential_token
    with _SHARED_LOCK:
        found = _SHARED.get(source)
        if found is None:
            found = _SHARED[source] = CachedToken(source)
        return found


# arrow-odbc's buffers per batch: columns of no declared size (nvarchar(max), text) get
# buffers of the driver's largest size, so a batch has fewer rows rather than more memory.
ARROW_BATCH_BYTES = 64 * 1024 * 1024

_LIMITS: dict[str, threading.BoundedSemaphore] = {}
_LIMITS_LOCK = threading.Lock()
POOL_WAIT = 600.0  # seconds a read waits for one of a connection's pool_size slots


def connection_limit(label: str, size: int | None) -> threading.BoundedSemaphore | None:
    """The process's cap on connections open at once to the database `label` (`pool_size`)."""
    if size is None:
        return None
    with _LIMITS_LOCK:
        found = _LIMITS.get(f"{label}/{size}")
        if found is None:
            found = _LIMITS[f"{label}/{size}"] = threading.BoundedSemaphore(size)
        return found


class OdbcSession:
    """A pyodbc connection: `fetchmany(batch_size)` rows at a time, typed by the cursor."""

    release: Callable[[], None] | None = None  # gives back its pool_size slot when closed

    def __init__(
        self, text: str, timeout: int, token: CachedToken | None, reader: str = "pyodbc"
    ) -> None:
        try:
            import pyodbc
        except ImportError as exc:
            raise MissingDependencyError("pyodbc", "mssql") from exc
        _check_driver(pyodbc, text)
        self.text, self.timeout, self.reader = text, timeout, reader
        before: dict[int, Any] = {}
        if token is not None:
            before[SQL_COPT_SS_ACCESS_TOKEN] = token.attribute()
        self.connection = pyodbc.connect(
            text, timeout=timeout, attrs_before=before or None, readonly=True
        )

    def columns(self, sql: str, params: Sequence[object]) -> SqlSchema:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, *params)
            return _schema(cursor.description)
        finally:
            cursor.close()

    def first(self, sql: str, params: Sequence[object]) -> tuple[object, ...] | None:
        cursor = self.connection.cursor()
        try:
            row = cursor.execute(sql, *params).fetchone()
        finally:
            cursor.close()
        return tuple(row) if row is not None else None

    def stream(self, sql: str, params: Sequence[object], batch_size: int) -> Iterator[pl.DataFrame]:
        if self.reader == "arrow-odbc":
            yield from _arrow_batches(self.text, self.timeout, sql, params, batch_size)
            return
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, *params)
            yield from fetched(cursor, _schema(cursor.description), batch_size)
        finally:
            cursor.close()

    def close(self) -> None:
        release, self.release = self.release, None
        try:
            self.connection.close()
        finally:
            if release is not None:
                release()


def _arrow_batches(
    text: str, timeout: int, sql: str, params: Sequence[object], batch_size: int
) -> Iterator[pl.DataFrame]:
    """The rows of `sql` as Arrow record batches read by arrow-odbc (columnar buffers filled
    by the ODBC driver, no Python object per value), cut to `batch_size` rows. arrow-odbc binds
    parameters as text: the database converts them to the column's type."""
    try:
        import arrow_odbc
    except ImportError as exc:
        raise MissingDependencyError("arrow-odbc", "mssql") from exc
    reader = arrow_odbc.read_arrow_batches_from_odbc(
        sql, text, batch_size=batch_size, parameters=[_as_text(p) for p in params] or None,
        login_timeout_sec=timeout, max_bytes_per_batch=ARROW_BATCH_BYTES,
        map_schema=_doubles,
    )  # fmt: skip
    yield from arrow_frames(reader, batch_size)


def _doubles(schema: pa.Schema) -> pa.Schema:
    """Every float column fetched as a double: drivers describe a double as SQL_FLOAT with a
    precision arrow-odbc would read as 32 bits (psqlODBC's float8: 17), losing digits; this is
    also the type pyodbc's Python floats give."""
    fields = [
        field.with_type(pa.float64()) if pa.types.is_floating(field.type) else field
        for field in schema
    ]
    return pa.schema(fields, metadata=schema.metadata)


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def arrow_odbc_installed() -> bool:
    """Whether the columnar reader can be used (`reader: auto` picks it then)."""
    try:
        import arrow_odbc  # noqa: F401
    except ImportError:
        return False
    return True


def _check_driver(pyodbc: Any, text: str) -> None:
    """DataError saying how to install the ODBC driver the connection names, when it is not
    installed (before any token is fetched or connection tried)."""
    named = _DRIVER.search(text)
    installed = list(pyodbc.drivers())
    if named is None or named.group(1) in installed:
        return
    shown = ", ".join(installed) or "none"
    raise DataError(
        f"the ODBC driver '{named.group(1)}' is not installed on this machine (installed: "
        f"{shown}); {DRIVER_INSTALL}"
    )


def _schema(description: Any) -> SqlSchema:
    return {column[0]: polars_type(column[1], column[4], column[5]) for column in description or []}


class OdbcDriver:
    """Sessions over one ODBC connection string (with a token attribute for Azure AD)."""

    def __init__(
        self,
        text: str,
        label: str,
        dialect: Dialect,
        *,
        timeout: int = 30,
        token: CachedToken | None = None,
        limit: threading.BoundedSemaphore | None = None,
        reader: str = "pyodbc",
    ) -> None:
        self.reader = _reader(reader, token)
        self.text = text
        self.label = label
        self.dialect = dialect
        self.timeout = timeout
        self.token = token
        self.limit = limit

    def connect(self) -> OdbcSession:
        """A session; with `pool_size`, one of its slots first (waiting while all are open)."""
        if self.limit is None:
            return OdbcSession(self.text, self.timeout, self.token, self.reader)
        if not self.limit.acquire(timeout=POOL_WAIT):
            raise RetryableError(
                f"{self.label}: no connection of its pool_size came free in {POOL_WAIT:.0f}s "
                "(other partitions or entities of this process hold them all); raise the "
                "connection's pool_size, or lower partitions"
            )
        try:
            session = OdbcSession(self.text, self.timeout, self.token, self.reader)
        except BaseException:
            self.limit.release()
            raise
        session.release = self.limit.release
        return session

    def describe(self) -> str:
        return f"{self.label} (odbc, {self.reader})"


def _reader(choice: str, token: CachedToken | None) -> str:
    """`auto`: arrow-odbc when installed and no Azure AD token is needed (arrow-odbc cannot
    pass the token attribute), else pyodbc. An explicit `arrow-odbc` with a token is refused."""
    if choice == "auto":
        return "arrow-odbc" if token is None and arrow_odbc_installed() else "pyodbc"
    if choice == "arrow-odbc" and token is not None:
        raise DataError(
            "reader 'arrow-odbc' cannot pass an Azure AD access token to the ODBC driver; use "
            "`reader: pyodbc` (or auto) with auth azure_ad, or a SQL login"
        )
    return choice
