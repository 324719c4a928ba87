"""The partition column's values at its quantiles, the bounds of `partition_strategy: quantile`.

PostgreSQL and DuckDB answer every bound in one ordered-set aggregate (`percentile_disc` over
an array of fractions, `quantile_disc` over a list): one sort of the column. SQL Server and
SQLite are asked one `ORDER BY column OFFSET rank` row per bound (an index on the column makes
each a short scan). NULLs take no rank: they are read by the first range.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from hygge.homes.sql.dialect import Dialect
from hygge.homes.sql.drivers import SqlSession
from hygge.homes.sql.partitions import quantile_ranks
from hygge.homes.sql.statements import Condition, key_at, key_quantiles


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
) -> list[object]:
    """The values of `column` (of `rows` non-NULL values) cutting them into `count` shares,
    as the type of `like` (the column's smallest value)."""
    ranks = quantile_ranks(rows, count)
    if not ranks:
        return []
    fractions = [(rank + 0.5) / rows for rank in ranks]  # ceil(f * rows) = rank + 1
    both = key_quantiles(dialect, frm, column, fractions, conditions=conditions, up_to=up_to)
    if both is not None:
        row = session.first(*both.render(dialect))
        if row is not None and isinstance(row[0], list | tuple):
            return [_like(value, like) for value in row[0] if value is not None]
    bounds = []
    for rank in ranks:
        at = key_at(dialect, frm, column, rank, conditions=conditions, up_to=up_to)
        row = session.first(*at.render(dialect))
        if row is not None:
            bounds.append(_like(row[0], like))
    return bounds


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
