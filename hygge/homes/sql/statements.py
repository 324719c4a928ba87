"""The SELECT statements a SQL home runs, built from quoted names and bound values only.

A statement is a list of pieces (SQL text, or a `Bound` value); `render` turns it into the
driver's text with its parameter markers and the values in order. The window's conditions
(watermark bounds, a partition's key range, the keyset after a position and up to the
window's last row) are all bound values, but for a dialect that writes 64-bit integers
into the text (ADBC's PostgreSQL: an unbound statement streams by COPY, measured faster).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from hygge.homes.sql.dialect import Dialect

ALIAS = "hygge_source"


@dataclass(frozen=True)
class Bound:
    """A value passed as a parameter, never written into the text."""

    value: object


@dataclass
class Statement:
    """SQL text and bound values, in order."""

    pieces: list[str | Bound] = field(default_factory=list)

    def add(self, *pieces: str | Bound) -> Statement:
        self.pieces.extend(pieces)
        return self

    def render(self, dialect: Dialect) -> tuple[str, list[object]]:
        """The driver's text (its markers for the bound values) and the values in order."""
        text: list[str] = []
        values: list[object] = []
        for piece in self.pieces:
            if isinstance(piece, Bound) and dialect.inline_integers and _int64(piece.value):
                text.append(f"({piece.value})")  # an int's digits, never config text
            elif isinstance(piece, Bound):
                values.append(piece.value)
                text.append(dialect.placeholder(len(values)))
            else:
                text.append(dialect.text(piece))
        return "".join(text), values


def _int64(value: object) -> bool:
    """A Python int (not a bool) a 64-bit integer column can hold."""
    return type(value) is int and -(2**63) <= value < 2**63


@dataclass(frozen=True)
class Condition:
    """`column op value` (op one of > >= < <=), a value bound."""

    column: str
    op: str
    value: object
    nulls: bool = False  # also rows whose column is NULL (the first key range keeps them)


def source(dialect: Dialect, table: str | None, query: str | None) -> str:
    """`FROM ...` of what the home reads: its table, or its query as a derived table."""
    if query is not None:
        body = query.strip().rstrip(";").rstrip()
        return f"FROM ({body}\n) AS {ALIAS}"  # a line comment at its end ends there
    assert table is not None
    return f"FROM {dialect.table(table)} AS {ALIAS}"


def select(
    dialect: Dialect,
    frm: str,
    *,
    columns: Sequence[str] | None = None,
    conditions: Sequence[Condition] = (),
    after: dict[str, object] | None = None,
    up_to: dict[str, object] | None = None,
    order: Sequence[str] = (),
    descending: bool = False,
    offset: int = 0,
    nothing: bool = False,
) -> Statement:
    """`SELECT <columns | *> <frm> WHERE ... ORDER BY ...`: `after` keeps rows ordered after
    those key values, `up_to` rows at or before them, `nothing` no row (to read the columns)."""
    names = ", ".join(dialect.quote(c) for c in columns) if columns else "*"
    statement = Statement().add(f"SELECT {names} {frm}")
    _where(dialect, statement, conditions=conditions, after=after, up_to=up_to, nothing=nothing)
    if order:
        direction = " DESC" if descending else ""
        statement.add(" ORDER BY " + ", ".join(dialect.quote(c) + direction for c in order))
        if offset:
            head, tail = dialect.offset()
            statement.add(head, Bound(offset), tail)
    return statement


def key_range(
    dialect: Dialect,
    frm: str,
    column: str,
    *,
    conditions: Sequence[Condition] = (),
    up_to: dict[str, object] | None = None,
) -> Statement:
    """`SELECT MIN(column), MAX(column), COUNT(column) <frm> WHERE ...`: the key range of a
    closed window and how many of its rows hold a value in `column`."""
    name = dialect.quote(column)
    statement = Statement().add(f"SELECT MIN({name}), MAX({name}), COUNT({name}) {frm}")
    _where(dialect, statement, conditions=conditions, after=None, up_to=up_to, nothing=False)
    return statement


def key_quantiles(
    dialect: Dialect,
    frm: str,
    column: str,
    fractions: Sequence[float],
    *,
    conditions: Sequence[Condition] = (),
    up_to: dict[str, object] | None = None,
) -> Statement | None:
    """One statement for every quantile bound at once (one sort of the column), where the
    dialect has an ordered-set aggregate returning a list (PostgreSQL `percentile_disc`,
    DuckDB `quantile_disc`); None elsewhere (one `key_at` per bound). The fractions are
    numbers hygge computes (never config text), written into the text."""
    name = dialect.quote(column)
    shares = ", ".join(repr(float(f)) for f in fractions)
    if dialect.name == "postgres":
        head = f"SELECT percentile_disc(ARRAY[{shares}]) WITHIN GROUP (ORDER BY {name}) {frm}"
    elif dialect.name == "duckdb":
        head = f"SELECT quantile_disc({name}, [{shares}]) {frm}"
    else:
        return None
    statement = Statement().add(head)
    _where(dialect, statement, conditions=conditions, after=None, up_to=up_to, nothing=False)
    return statement


def key_ranks(
    dialect: Dialect,
    frm: str,
    column: str,
    count: int,
    *,
    conditions: Sequence[Condition] = (),
    up_to: dict[str, object] | None = None,
) -> Statement:
    """The values of `column` (NULLs left out) at the ranks cutting its n rows into `count`
    equal shares, r = floor(n*k/count) for k in 1..count-1 (0-based, ascending), in one
    statement (one sort), as rows: for SQL Server and SQLite, with no list-returning
    ordered-set aggregate. n is counted by the statement itself (a sampled `frm` holds an
    unknown number of rows). r is such a rank when the least k with n*k >= count*r, the
    ceiling c = (count*r + n - 1) / n, is 1..count-1 and n*c < count*(r+1). `count` is
    hygge's number (a validated integer), written into the text."""
    name = dialect.quote(column)
    rank, total = dialect.quote("hygge_rank"), dialect.quote("hygge_rows")
    statement = Statement().add(
        f"SELECT {name} FROM (SELECT {name}, ROW_NUMBER() OVER (ORDER BY {name}) - 1 AS "
        f"{rank}, COUNT(*) OVER () AS {total} {frm}"
    )
    present = Condition(column, "IS NOT NULL", None)
    _where(
        dialect, statement, conditions=[*conditions, present], after=None, up_to=up_to,
        nothing=False,
    )  # fmt: skip
    least = f"({int(count)} * {rank} + {total} - 1) / {total}"
    return statement.add(
        f") AS {dialect.quote('hygge_ranked')} WHERE {least} BETWEEN 1 AND {int(count) - 1} "
        f"AND {least} * {total} < {int(count)} * ({rank} + 1) ORDER BY {name}"
    )


def sampled_source(dialect: Dialect, table: str, percent: float) -> str | None:
    """`FROM table` reading about `percent` % of its rows, the same ones on a second ask
    (REPEATABLE): PostgreSQL `TABLESAMPLE BERNOULLI` (each row on its own: one scan, no
    sort of the whole column; measured as accurate as the exact bounds where `SYSTEM`'s
    whole pages were ~12 % off on a key in page order), SQL Server `TABLESAMPLE SYSTEM`
    (whole pages, its only method); None for a dialect hygge does not sample (DuckDB's
    exact quantile is fast, SQLite has no sampling). `percent` is hygge's number."""
    share = f"{min(max(float(percent), 0.0001), 100.0):.4f}"
    if dialect.name == "postgres":
        sample = f"TABLESAMPLE BERNOULLI ({share}) REPEATABLE (17)"
    elif dialect.name == "mssql":
        sample = f"TABLESAMPLE SYSTEM ({share} PERCENT) REPEATABLE (17)"
    else:
        return None
    return f"FROM {dialect.table(table)} AS {ALIAS} {sample}"


def key_at(
    dialect: Dialect,
    frm: str,
    column: str,
    rank: int,
    *,
    conditions: Sequence[Condition] = (),
    up_to: dict[str, object] | None = None,
) -> Statement:
    """The `rank`-th (0-based) value of `column` in ascending order, NULLs left out: one
    boundary of the quantile key ranges (`ORDER BY column OFFSET rank`, one row)."""
    name = dialect.quote(column)
    statement = Statement().add(f"SELECT {name} {frm}")
    present = Condition(column, "IS NOT NULL", None)
    _where(
        dialect, statement, conditions=[*conditions, present], after=None, up_to=up_to,
        nothing=False,
    )  # fmt: skip
    statement.add(f" ORDER BY {name}")
    if dialect.top:
        return statement.add(" OFFSET ", Bound(rank), " ROWS FETCH NEXT 1 ROWS ONLY")
    return statement.add(" LIMIT 1 OFFSET ", Bound(rank))


def _where(
    dialect: Dialect,
    statement: Statement,
    *,
    conditions: Sequence[Condition],
    after: dict[str, object] | None,
    up_to: dict[str, object] | None,
    nothing: bool,
) -> None:
    clauses = [_condition(dialect, c) for c in conditions]
    if after:
        clauses.append(_keyset(dialect, after, ">"))
    if up_to:
        clauses.append(_keyset(dialect, up_to, "<="))
    if nothing:
        clauses.append(["1 = 0"])
    for index, clause in enumerate(clauses):
        statement.add(" WHERE " if index == 0 else " AND ", *clause)


def _condition(dialect: Dialect, condition: Condition) -> list[str | Bound]:
    name = dialect.quote(condition.column)
    if condition.op == "IS NOT NULL":
        return [f"{name} IS NOT NULL"]
    if condition.nulls:
        return [f"({name} {condition.op} ", Bound(condition.value), f" OR {name} IS NULL)"]
    return [f"{name} {condition.op} ", Bound(condition.value)]


def _keyset(dialect: Dialect, values: dict[str, object], op: str) -> list[str | Bound]:
    """`(k1, k2, ...) op (v1, v2, ...)` in lexicographic order: `op` is `>` (strictly after)
    or `<=` (at or before). One key: `k op v`; more, a row comparison where the dialect has
    one, else spelt out with AND/OR (T-SQL has none)."""
    keys = list(values)
    if len(keys) == 1:
        return [f"{dialect.quote(keys[0])} {op} ", Bound(values[keys[0]])]
    if dialect.row_values:
        names = ", ".join(dialect.quote(key) for key in keys)
        pieces: list[str | Bound] = [f"({names}) {op} ("]
        for index, key in enumerate(keys):
            pieces += [", " if index else "", Bound(values[key])]
        return [*pieces, ")"]
    strict = "<" if op == "<=" else ">"
    branches: list[list[str | Bound]] = []
    for index, key in enumerate(keys):
        branch: list[str | Bound] = []
        for earlier in keys[:index]:
            branch += [f"{dialect.quote(earlier)} = ", Bound(values[earlier]), " AND "]
        branch += [f"{dialect.quote(key)} {strict} ", Bound(values[key])]
        branches.append(branch)
    if op == "<=":
        same: list[str | Bound] = []
        for index, key in enumerate(keys):
            same += [" AND " if index else "", f"{dialect.quote(key)} = ", Bound(values[key])]
        branches.append(same)
    pieces = ["("]
    for index, branch in enumerate(branches):
        pieces += [" OR " if index else "", "(", *branch, ")"]
    return [*pieces, ")"]
