"""The partition column's values at its quantiles, the bounds of `partition_strategy: quantile`.

PostgreSQL and DuckDB answer every bound in one ordered-set aggregate (`percentile_disc` over
an array of fractions, `quantile_disc` over a list); SQL Server and SQLite in one statement
numbering the rows in key order (`ROW_NUMBER()`) and keeping those at the bound ranks: one
sort of the column either way. NULLs take no rank: they are read by the first range.

Above `SAMPLE_ABOVE` rows the sort is of a sample: a table (not a query, nor a view) of
PostgreSQL or SQL Server is read through TABLESAMPLE (`statements.sampled_source`) of about
`SAMPLE_ROWS` rows of the window, and the sample's quantiles cut the ranges; only when the
window is at least a tenth of the table by the server's estimate (a sample scans the table).
Measured on 5M PostgreSQL rows, 8 ranges, paired in one run on a shared machine: planning
3.5-4.7 s exact, 1.2-1.7 s sampled, 0.8-1.5 s for `range`; the sampled bounds within 1 % of
the exact ones. Bounds are computed once, at begin, and checkpointed with the window: a
resumed run reads the same ranges.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from hygge.homes.sql.dialect import Dialect
from hygge.homes.sql.drivers import SqlSession
from hygge.homes.sql.partitions import quantile_ranks
from hygge.homes.sql.statements import (
    Bound,
    Condition,
    Statement,
    key_quantiles,
    key_ranks,
    sampled_source,
)

SAMPLE_ABOVE = 1_000_000  # rows of the partition column: above, bounds come from a sample
SAMPLE_ROWS = 100_000  # about how many rows the sample holds


def quantile_bounds(
    session: SqlSession,
    dialect: Dialect,
    frm: str,
    column: str,
    count: int,
    *,
    like: object,
    rows: int,
    conditions: list[Condition],
    up_to: dict[str, object],
    table: str | None = None,
) -> list[object]:
    """The values of `column` (of `rows` non-NULL values) cutting them into `count` shares,
    as the type of `like` (the column's smallest value); from a sample of `table` when it
    is large and the dialect samples."""
    ranks = quantile_ranks(rows, count)
    if not ranks:
        return []
    sampled = _sample(session, dialect, table, rows)
    if sampled is not None:
        fractions = [index / count for index in range(1, count)]
        found = _bounds(
            session, dialect, sampled, column=column, count=count, fractions=fractions,
            conditions=conditions, up_to=up_to,
        )  # fmt: skip
        if found:  # a sample of no row (pages of nothing but NULLs): the exact way
            return [_like(value, like) for value in found]
    fractions = [(rank + 0.5) / rows for rank in ranks]  # ceil(f * rows) = rank + 1
    found = _bounds(
        session, dialect, frm, column=column, count=count, fractions=fractions,
        conditions=conditions, up_to=up_to,
    )  # fmt: skip
    return [_like(value, like) for value in found]


def _bounds(
    session: SqlSession,
    dialect: Dialect,
    frm: str,
    *,
    column: str,
    count: int,
    fractions: list[float],
    conditions: list[Condition],
    up_to: dict[str, object],
) -> list[object]:
    both = key_quantiles(dialect, frm, column, fractions, conditions=conditions, up_to=up_to)
    if both is not None:
        row = session.first(*both.render(dialect))
        if row is None or not isinstance(row[0], list | tuple):
            return []
        return [value for value in row[0] if value is not None]
    ranked = key_ranks(dialect, frm, column, count, conditions=conditions, up_to=up_to)
    return [
        value
        for batch in session.stream(*ranked.render(dialect), batch_size=count)
        for value in batch.to_series(0).to_list()
        if value is not None
    ]


def _sample(session: SqlSession, dialect: Dialect, table: str | None, rows: int) -> str | None:
    """The sampled `FROM` of a large window of a table, if the dialect samples it: a table
    (not a view) the window is at least a tenth of (TABLESAMPLE reads the whole table, so
    for a small window of a big one the exact sort of the window is cheaper)."""
    if table is None or rows <= SAMPLE_ABOVE:
        return None
    sampled = sampled_source(dialect, table, 100.0 * SAMPLE_ROWS / rows)
    if sampled is None:
        return None
    found = session.first(*_table_rows(dialect, table).render(dialect))
    if found is None or found[1] is None:
        return None  # no such relation the server can estimate
    kind, estimate = str(found[0]).strip(), float(str(found[1]))
    if kind not in ("r", "m", "p", "U") or not 0 < estimate <= 10 * rows:
        return None  # a view; or a window under a tenth of the table
    return sampled


def _table_rows(dialect: Dialect, table: str) -> Statement:
    """The relation's kind and the server's estimate of its rows (no scan)."""
    name = Bound(dialect.table(table))
    if dialect.name == "postgres":
        return Statement().add(
            "SELECT relkind, reltuples FROM pg_class WHERE oid = to_regclass(", name, ")"
        )
    return Statement().add(
        "SELECT o.type, (SELECT SUM(p.rows) FROM sys.partitions AS p WHERE p.object_id = "
        "o.object_id AND p.index_id IN (0, 1)) FROM sys.objects AS o WHERE o.object_id = "
        "OBJECT_ID(", name, ")",
    )  # fmt: skip


def _like(value: object, like: object) -> object:
    """A numeric bound as the type of the column's min (ADBC answers MIN(numeric) as a float
    and the column's own values as Decimal, a numeric[] as text): ranges stay contiguous
    whatever the bound's precision."""
    if isinstance(value, str) and isinstance(like, float | Decimal):
        try:
            value = Decimal(value)
        except InvalidOperation:
            return value  # refused by the partitions' own check, naming the column
    if isinstance(like, float) and isinstance(value, int | Decimal) and not isinstance(value, bool):
        return float(value)
    if isinstance(like, Decimal) and isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    return value
