"""A SQL home's `query:` is one SELECT, judged by tokens in the home's own dialect."""

from __future__ import annotations

import pytest

from hygge.homes.sql.query_check import query_problem

ONE_SELECT = [
    ("postgres", "SELECT * FROM orders;"),
    ("postgres", "SELECT 'a;)' AS s, $$b;)$$ AS t, \"c)\" FROM orders -- all of them;)"),
    ("postgres", "WITH x AS (SELECT 1 AS id) SELECT * FROM x"),
    ("mssql", "SELECT [a)] FROM dbo.orders /* ); DROP TABLE t */"),
    ("duckdb", "(SELECT 1 AS id) UNION ALL (SELECT 2)"),
    ("sqlite", 'SELECT * FROM "{entity}"'),
]

NOT_ONE = [
    ("duckdb", "SELECT * FROM orders; DROP TABLE victim", "more than one statement"),
    ("sqlite", "SELECT * FROM t) AS x; DROP TABLE v; SELECT * FROM (SELECT 1", "did not open"),
    ("postgres", "DELETE FROM orders", "not SELECT or WITH"),
    ("mssql", "SELECT * FROM (SELECT 1 AS id", "never closed"),
    ("postgres", "SELECT 'unclosed FROM t", "not closed"),
    ("duckdb", " ; ", "empty"),
]


@pytest.mark.parametrize(("kind", "query"), ONE_SELECT)
def test_one_select_passes(kind, query):
    assert query_problem(query, kind) is None


@pytest.mark.parametrize(("kind", "query", "why"), NOT_ONE)
def test_anything_else_is_refused_saying_why(kind, query, why):
    problem = query_problem(query, kind)
    assert problem is not None and why in problem, problem
