"""The partition column's values at its quantiles, the bounds of `partition_strategy: quantile`.

PostgreSQL and DuckDB answer every bound in one ordered-set aggregate (`percentile_disc` over
an array of fractions, `quantile_disc` over a list): one sort of the column. SQL Server and
SQLite are asked one `ORDER BY column OFFSET rank` row per bound (an index on the column makes
each a short scan). NULLs take no rank: they are read by the first range.
"""

from __future__ import annotations

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
    rows: int,
    conditions: list[Condition],
    up_to: dict[str, object],
) -> list[object]:
    """The values of `column` (of `rows` non-NULL values) cutting them into `count` shares."""
    ranks = quantile_ranks(rows, count)
    if not ranks:
        return []
    fractions = [(rank + 0.5) / rows for rank in ranks]  # ceil(f * rows) = rank + 1
    both = key_quantiles(dialect, frm, column, fractions, conditions=conditions, up_to=up_to)
    if both is not None:
        row = session.first(*both.render(dialect))
        if row is not None and isinstance(row[0], list | tuple):
            return [value for value in row[0] if value is not None]
    bounds = []
    for rank in ranks:
        at = key_at(dialect, frm, column, rank, conditions=conditions, up_to=up_to)
        row = session.first(*at.render(dialect))
        if row is not None:
            bounds.append(row[0])
    return bounds
