"""The SQL home: one entity's table or query, read in key order, resumable at any batch.

The window is closed at begin: rows are ordered by watermark then key columns (the entity's,
the home's `key_columns`, or the primary key); the last is recorded, later ones wait a run.
A position is the last row's key values: a chunk resumes with `keys > position` (bound).
A keyless source is read in order of every column, resumed by a row offset (exact only while
it does not change during the run)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

import polars as pl

from hygge.connections.retry import (
    CONNECT_ADVICE,
    DEFAULT_POLICY,
    Retrier,
    RetryPolicy,
    classify,
    permanent,
    retrying,
)
from hygge.errors import DataError, HyggeError
from hygge.homes.base import DEFAULT_PARTITION, PartitionSpec, Position, ReadSpec, Window
from hygge.homes.positions import KeysetPosition
from hygge.homes.sql.bounds import floor_conditions, partition_of, range_conditions
from hygge.homes.sql.drivers import SqlDriver, SqlSchema, SqlSession
from hygge.homes.sql.keys import declared_types, primary_key
from hygge.homes.sql.partitions import check_partition_type, key_partitions, quantile_partitions
from hygge.homes.sql.quantiles import quantile_bounds
from hygge.homes.sql.sqlite_kept import kept_types, typed_batch
from hygge.homes.sql.statements import Condition, key_range, select, source
from hygge.homes.sql.values import to_json, typed
from hygge.types import JsonScalar, Place

log = logging.getLogger("hygge.homes")


class SqlHome:
    """Reads one entity from a SQL database in bounded batches."""

    def __init__(
        self,
        driver: SqlDriver,
        place: Place,
        *,
        table: str | None,
        query: str | None,
        batch_size: int,
        key_columns: Sequence[str] = (),
        retry: RetryPolicy = DEFAULT_POLICY,
        partitions: int | None = None,
        partition_column: str | None = None,
        partition_strategy: str = "range",
    ) -> None:
        self.driver = driver
        self.dialect = driver.dialect
        self.place = place
        self.table = table if query is None else None
        self.query = query
        self.batch_size = batch_size
        self.key_columns = list(key_columns)
        self.retry = retry
        self.partitions = partitions  # None: the entity's `parallel`
        self.partition_column = partition_column
        self.partition_strategy = partition_strategy  # quantile (equal rows) or range (width)
        self.frm = source(self.dialect, self.table, query)  # validates and quotes the names

    def open_window(self, spec: ReadSpec) -> Window:
        """The window's last row in key order (and the watermark's upper bound from it)."""
        what = f"cannot open the window of {self._where()}"
        return retrying(lambda: self._open_window(spec), what, self.retry, CONNECT_ADVICE)

    def _open_window(self, spec: ReadSpec) -> Window:
        session = self._connect()
        try:
            schema = self._columns(session)
            self._kept(session, schema)
            order = self._order(session, spec, schema)
            self._require(schema, [*order, *(p.column for p in spec.partitions if p.column)])
            conditions = floor_conditions(spec.column, spec.lookback_floor, schema)
            last: dict[str, JsonScalar] | None = None
            if order:
                top = select(
                    self.dialect, self.frm, columns=order, conditions=conditions,
                    order=order, descending=True,
                ).render(self.dialect)  # fmt: skip
                row = session.first(self.dialect.first_row(top[0]), top[1])
                last = {} if row is None else dict(zip(order, map(to_json, row), strict=True))
            parts = [p.model_copy(update={"start": KeysetPosition()}) for p in spec.partitions]
            count = self.partitions or spec.parallel
            if count > 1 and last:
                parts = self._key_ranges(
                    session,
                    spec,
                    schema,
                    order=order,
                    conditions=conditions,
                    last=last,
                    count=count,
                )
        finally:
            _close(session)
        upper = last.get(spec.column) if last and spec.column else None
        floor = {c.column: spec.lookback_floor for c in conditions} or None
        return Window(upper=upper, order=order, last=last, floor=floor, partitions=parts)

    def _key_ranges(
        self,
        session: SqlSession,
        spec: ReadSpec,
        schema: SqlSchema,
        *,
        order: list[str],
        conditions: list[Condition],
        last: dict[str, JsonScalar],
        count: int,
    ) -> list[PartitionSpec]:
        """`count` key ranges of the closed window (`partitions: N`): at equal widths of
        its min..max, or at the column's quantiles (`partition_strategy`)."""
        column = self.partition_column or next((c for c in order if c != spec.column), None)
        column = column or spec.column
        if column is None:
            raise DataError(
                f"{self._where()}: partitions: {count} needs a column to cut into key ranges, "
                "and the source has no key: set the home's `partition_column:` (a numeric or "
                "date column), or key_columns"
            )
        self._require(schema, [column])
        check_partition_type(column, schema.get(column), self._where())
        up_to = typed(last, schema)
        statement = key_range(
            self.dialect, self.frm, column, conditions=conditions, up_to=up_to
        ).render(self.dialect)
        low, high, rows = session.first(*statement) or (None, None, 0)
        if self.partition_strategy == "range":
            return key_partitions(column, low, high, count, self._where())
        found = quantile_bounds(
            session, self.dialect, self.frm, column, count, like=low,
            rows=rows if isinstance(rows, int) else int(str(rows or 0)),
            conditions=conditions, up_to=up_to, table=self.table,
        )  # fmt: skip
        return quantile_partitions(column, low, high, found, self._where())

    def read(
        self, window: Window, position: Position, partition: str = DEFAULT_PARTITION
    ) -> Iterator[tuple[pl.DataFrame, Position]]:
        """Batches after `position` up to the window's last row, each with its position.

        A transient failure (a lost connection, a deadlock, throttling) reconnects and reads
        on after the last batch yielded, so no row is yielded twice or skipped."""
        spec = partition_of(window, position, partition)
        assert isinstance(position, KeysetPosition)
        retrier = Retrier(f"cannot read {self._where()}", self.retry, CONNECT_ADVICE)
        # A whole-window read from its start finding no row yields `_no_rows` (not a range)
        start = partition == DEFAULT_PARTITION and not position.values and not position.offset
        while True:
            try:
                if window.order and not window.last:  # the window was empty at begin
                    yield from self._no_rows(position) if start else ()
                    return
                for batch, after in self._read(window, spec, position):
                    yield batch, after
                    position, start = after, False
                    retrier.progressed()
                if start:
                    yield from self._no_rows(position)
                return
            except Exception as exc:  # a transient one waits and reads on from `position`
                retrier.failed(exc)

    def _read(
        self, window: Window, spec: PartitionSpec, position: KeysetPosition
    ) -> Iterator[tuple[pl.DataFrame, KeysetPosition]]:
        order = window.order or []
        session = self._connect()
        try:
            schema = self._columns(session)
            kept = self._kept(session, schema)
            conditions = [
                condition
                for column, value in (window.floor or {}).items()
                for condition in floor_conditions(column, value, schema)
            ]
            conditions += range_conditions(spec, schema)
            # A driver that holds a statement's whole result in memory (ADBC with bound
            # values) reads the window in keyset pages of `page_rows`, one statement each;
            # a statement with no bound values (integer keys, inlined) is read whole.
            page = getattr(self.driver, "page_rows", None) if order else None
            offset = position.offset
            while True:
                statement = select(
                    self.dialect, self.frm, conditions=conditions,
                    after=typed(position.values, schema) if position.values else None,
                    up_to=typed(window.last, schema) if window.last else None,
                    order=order or list(schema), offset=0 if order else position.offset,
                ).render(self.dialect)  # fmt: skip
                paged = page is not None and bool(statement[1])  # an unbound one streams
                sql = self.dialect.limit(statement[0], page) if paged and page else statement[0]
                got = 0
                for read in session.stream(sql, statement[1], self.batch_size):
                    if not read.height:
                        continue
                    batch = typed_batch(read, kept, self._where())
                    got += batch.height
                    offset += batch.height
                    position = self._after(batch, order, offset)
                    yield batch, position
                if not paged or got < (page or 0):
                    return
        finally:
            _close(session)

    def _no_rows(self, position: KeysetPosition) -> Iterator[tuple[pl.DataFrame, KeysetPosition]]:
        """A read that found no row: one batch of none with the source's typed columns (a
        SQLite table's declared ones), a store's table; none if a column has no type yet."""
        session = self._connect()
        try:
            schema = self._columns(session)
            self._kept(session, schema)
            if self.table is not None and None in schema.values():  # sqlite3: no types
                declared = declared_types(session, self.dialect, self.table)
                schema = {name: dtype or declared.get(name) for name, dtype in schema.items()}
        finally:
            _close(session)
        if schema and all(dtype is not None for dtype in schema.values()):
            yield pl.DataFrame(schema=schema), position

    def _after(self, batch: pl.DataFrame, order: list[str], offset: int) -> KeysetPosition:
        if not order:
            return KeysetPosition(offset=offset)
        keys = batch.select(order)
        nulls = [name for name in order if keys[name].null_count()]
        if nulls:
            raise DataError(
                f"{self.describe()} ({self.place.flow}.{self.place.entity}): key column "
                f"'{nulls[0]}' holds NULL; hygge reads in key order and resumes after the last "
                "key read, so key columns must never be NULL. Choose key_columns that are "
                "never NULL (or a watermark column that is set on every row)"
            )
        return KeysetPosition(values=dict(zip(order, map(to_json, keys.row(-1)), strict=True)))

    def _connect(self) -> SqlSession:
        """A session; a driver's permanent failure to connect as a DataError naming the
        database and what to check (transient ones are raised as they are, to be retried)."""
        try:
            return self.driver.connect()
        except HyggeError:
            raise
        except Exception as exc:  # the driver's message says what failed (login, network)
            if classify(exc).transient:
                raise
            raise permanent(
                exc,
                f"cannot connect to {self.driver.describe()} for {self._entity()}",
                CONNECT_ADVICE,
            ) from exc

    def _kept(self, session: SqlSession, schema: SqlSchema) -> SqlSchema:
        """The types a table hygge's SQLite store wrote keeps as text (dates, decimals, …),
        set in `schema` too, so bound positions are typed (and bound as that text)."""
        kept = {n: t for n, t in kept_types(session, self.dialect, self.table).items()
                if n in schema and schema[n] is None}  # fmt: skip
        schema.update(kept)
        return kept

    def _columns(self, session: SqlSession) -> SqlSchema:
        statement = select(self.dialect, self.frm, nothing=True).render(self.dialect)
        try:
            return session.columns(*statement)
        except Exception as exc:  # the driver's own error names the cause
            if classify(exc).transient:
                raise
            raise permanent(exc, f"{self._where()} cannot be read") from exc

    def _where(self) -> str:
        return f"{self.describe()} ({self._entity()})"

    def _entity(self) -> str:
        return f"{self.place.flow}.{self.place.entity}"

    def _order(self, session: SqlSession, spec: ReadSpec, schema: SqlSchema) -> list[str]:
        """The watermark column, then the entity's (the home's, the table's) key columns."""
        keys = spec.key_columns or self.key_columns
        if not keys and self.table is not None:
            keys = primary_key(session, self.dialect, self.table)
        order = [spec.column] if spec.column else []
        return order + [key for key in keys if key not in order]

    def _require(self, schema: SqlSchema, names: Sequence[str]) -> None:
        missing = [name for name in names if name not in schema]
        if missing:
            shown = ", ".join(list(schema)[:20])
            raise DataError(
                f"{self.describe()} ({self.place.flow}.{self.place.entity}) has no column "
                f"'{missing[0]}' (it has: {shown}); check the watermark column, key_columns "
                "and partitions"
            )

    def check(self) -> list[str]:
        """Problems a user must fix before a run: the database or the source unreachable."""
        try:
            session = retrying(
                self._connect,
                f"cannot connect to {self.driver.describe()} for {self._entity()}",
                self.retry,
                CONNECT_ADVICE,
            )
        except HyggeError as exc:
            return [str(exc)]
        try:
            retrying(lambda: self._columns(session), f"{self._where()} cannot be read", self.retry)
        except HyggeError as exc:
            return [str(exc)]
        finally:
            _close(session)
        return []

    def describe(self) -> str:
        """E.g. `postgres table public.orders`."""
        what = f"table {self.table}" if self.table is not None else "query"
        return f"{self.dialect.name} {what}"

    def identity(self) -> str:
        """The database and what is read from it, e.g. `postgres db:5432/sales (adbc) table
        "public"."orders"`."""
        database = self.driver.describe().rsplit(" (", 1)[0]
        what = self.dialect.table(self.table) if self.table is not None else self.query
        return f"{database} {'table' if self.table is not None else 'query'} {what}"


def _close(session: SqlSession) -> None:
    """Close (or give back) a session; a lost connection may fail to: it is gone anyway."""
    try:
        session.close()
    except Exception as exc:  # a lost connection cannot be closed twice
        log.debug("closing a SQL session failed: %s", exc)
