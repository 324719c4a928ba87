"""A home's `query:` must be one SELECT: checked by tokens before anything runs.

hygge reads a query as a derived table (`SELECT … FROM (<query>) AS hygge_source …`) to add
its window, keyset and order. A query that closes that parenthesis itself, or carries a second
statement after a `;`, would run as written — and DuckDB and SQLite, unlike PostgreSQL's
extended protocol, run every statement they are given. So the query is tokenized in its own
dialect (sqlglot's tokenizer knows each one's strings, quoted names and comments) and refused
when a `)` closes more than it opened, a statement follows a `;`, or it starts with anything
but SELECT, WITH or `(`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlglot.tokenizer_core import Token

DIALECTS = {"postgres": "postgres", "mssql": "tsql", "duckdb": "duckdb", "sqlite": "sqlite"}
_STARTS = {"SELECT", "WITH", "L_PAREN"}


def query_problem(query: str, home_type: str) -> str | None:
    """Why `query` is not one SELECT for a `home_type` home; None when it is."""
    import sqlglot
    from sqlglot.errors import TokenError

    try:
        tokens = sqlglot.Dialect.get_or_raise(DIALECTS[home_type]).tokenize(query)
    except TokenError as error:
        return f"it cannot be read as SQL ({error}): a string or quoted name is not closed"
    kinds = [token.token_type.name for token in tokens]
    while kinds and kinds[-1] == "SEMICOLON":
        kinds.pop()
    if not kinds or kinds[0] not in _STARTS:
        return f"it starts with {tokens[0].text!r}, not SELECT or WITH" if kinds else "it is empty"
    return _nesting_problem(tokens, kinds)


def _nesting_problem(tokens: list[Token], kinds: list[str]) -> str | None:
    depth = 0
    for token, kind in zip(tokens, kinds, strict=False):
        if kind == "SEMICOLON":
            return "it holds more than one statement (a ';' before its end)"
        depth += {"L_PAREN": 1, "R_PAREN": -1}.get(kind, 0)
        if depth < 0:
            return f"its ')' at offset {token.start} closes a parenthesis it did not open"
    return "a '(' is never closed" if depth > 0 else None
