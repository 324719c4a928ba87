"""PostgreSQL drivers: ADBC (Arrow-native, the default) and psycopg (the fallback), their
sessions kept open between reads (`hygge.homes.sql.sessions`)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import polars as pl
import pyarrow as pa

from hygge.errors import MissingDependencyError
from hygge.homes.sql.dialect import POSTGRES_ADBC, POSTGRES_FORMAT, Dialect
from hygge.homes.sql.drivers import SqlSchema, arrow_frames, fetched, frame_from_arrow
from hygge.homes.sql.sessions import POOL, PooledSession

log = logging.getLogger("hygge.homes")

# psycopg's type OIDs, as polars types (others: polars infers from the values).
_OIDS: dict[int, pl.DataType] = {
    16: pl.Boolean(),
    17: pl.Binary(),
    20: pl.Int64(),
    21: pl.Int16(),
    23: pl.Int32(),
    25: pl.String(),
    700: pl.Float32(),
    701: pl.Float64(),
    1042: pl.String(),
    1043: pl.String(),
    1082: pl.Date(),
    1083: pl.Time(),
    1114: pl.Datetime("us"),
    1184: pl.Datetime("us", "UTC"),
    1186: pl.Duration("us"),
}


ADBC_PAGE_ROWS = 200_000


def libpq_uri(params: Mapping[str, str]) -> str:
    """A postgresql:// URI of libpq keywords (the password percent-encoded in it)."""
    user = quote(params.get("user", ""), safe="")
    password = params.get("password")
    auth = f"{user}:{quote(password, safe='')}@" if password is not None else f"{user}@"
    if not user and password is None:
        auth = ""
    host, port, dbname = params.get("host", ""), params.get("port", "5432"), params["dbname"]
    rest = "&".join(
        f"{key}={quote(value, safe='')}"
        for key, value in params.items()
        if key not in {"user", "password", "host", "port", "dbname"}
    )
    return f"postgresql://{auth}{quote(host, safe='')}:{port}/{quote(dbname, safe='')}?{rest}"


class AdbcSession:
    """An ADBC connection: statements stream Arrow record batches (bounded by the driver)."""

    def __init__(self, params: Mapping[str, str]) -> None:
        try:
            import adbc_driver_postgresql.dbapi as adbc
        except ImportError as exc:
            raise MissingDependencyError("adbc-driver-postgresql", "postgres") from exc
        self.connection = adbc.connect(libpq_uri(params))
        self.stale = False  # its type catalog, read at connect, lacks a type created since

    def columns(self, sql: str, params: Sequence[object]) -> SqlSchema:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, parameters=list(params) or None)
            empty = cursor.fetch_arrow_table()
        self.stale = any(_unknown(field.type) for field in empty.schema)
        return dict(frame_from_arrow(empty).schema.items())

    def first(self, sql: str, params: Sequence[object]) -> tuple[object, ...] | None:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, parameters=list(params) or None)
            frame = frame_from_arrow(cursor.fetch_arrow_table())
        return frame.row(0) if frame.height else None

    def stream(self, sql: str, params: Sequence[object], batch_size: int) -> Iterator[pl.DataFrame]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, parameters=list(params) or None)
            reader = cursor.fetch_record_batch()
            finished = False
            try:
                yield from arrow_frames(reader, batch_size)
                finished = True
            finally:
                if not finished:  # stopped mid-stream: cancel, or the next statement drains it
                    _cancel(cursor)

    def reset(self) -> None:
        self.connection.rollback()

    def close(self) -> None:
        self.connection.close()


def _unknown(dtype: pa.DataType) -> bool:
    """A column of a type the driver's catalog did not hold when it connected."""
    return isinstance(dtype, pa.OpaqueType) and dtype.type_name.startswith("unnamed<oid:")


def _cancel(cursor: Any) -> None:
    """Cancel the statement of `cursor`; on a lost connection there is none to cancel."""
    try:
        cursor.adbc_cancel()
    except Exception as exc:  # the read's own error (if any) is the one to report
        log.debug("cancelling a PostgreSQL statement failed: %s", exc)


class PsycopgSession:
    """A psycopg connection: a server-side cursor fetches `batch_size` rows at a time."""

    def __init__(self, params: Mapping[str, str]) -> None:
        try:
            import psycopg
            from psycopg.conninfo import make_conninfo
        except ImportError as exc:
            raise MissingDependencyError("psycopg", "postgres") from exc
        self.connection = psycopg.connect(make_conninfo("", **params))
        self.connection.read_only = True
        self.stale = False  # psycopg looks a type up by its OID in each result

    def columns(self, sql: str, params: Sequence[object]) -> SqlSchema:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return {c.name: _OIDS.get(c.type_code) for c in cursor.description or []}

    def first(self, sql: str, params: Sequence[object]) -> tuple[object, ...] | None:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            row = cursor.fetchone()
        return tuple(row) if row is not None else None

    def stream(self, sql: str, params: Sequence[object], batch_size: int) -> Iterator[pl.DataFrame]:
        with self.connection.cursor(name="hygge_read") as cursor:
            cursor.itersize = batch_size
            cursor.execute(sql, list(params))
            schema = {c.name: _psycopg_type(c) for c in cursor.description or []}
            yield from fetched(cursor, schema, batch_size)

    def reset(self) -> None:
        self.connection.rollback()

    def close(self) -> None:
        self.connection.close()


def _psycopg_type(column: Any) -> pl.DataType | None:
    if column.type_code == 1700:  # numeric(p, s)
        precision, scale = column.precision, column.scale
        if precision and precision <= 38:
            return pl.Decimal(precision, scale or 0)
        return pl.Float64()
    return _OIDS.get(column.type_code)


class PostgresDriver:
    """ADBC when installed (or asked for), else psycopg."""

    def __init__(self, params: Mapping[str, str], label: str, choice: str = "auto") -> None:
        self.params = dict(params)
        self.label = label
        self.choice = choice if choice != "auto" else _installed()
        self.dialect: Dialect = POSTGRES_ADBC if self.choice == "adbc" else POSTGRES_FORMAT
        # ADBC runs a statement with bound values as one result held whole by libpq (no COPY
        # stream): the home reads such a statement in keyset pages of this many rows to keep
        # memory bounded. Integer keys and bounds are written into the text, so a read by an
        # integer key is one statement, streamed.
        self.page_rows: int | None = ADBC_PAGE_ROWS if self.choice == "adbc" else None

    def connect(self) -> PooledSession:
        """A session of this connection, reused from an earlier read when one is idle."""
        key = (self.choice, tuple(sorted(self.params.items())))
        return POOL.take(key, self._open)

    def _open(self) -> AdbcSession | PsycopgSession:
        if self.choice == "adbc":
            return AdbcSession(self.params)
        return PsycopgSession(self.params)

    def describe(self) -> str:
        return f"{self.label} ({self.choice})"


def _installed() -> str:
    try:
        import adbc_driver_postgresql  # noqa: F401
    except ImportError:
        return "psycopg"
    return "adbc"
