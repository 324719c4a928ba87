"""What SQL homes send: every statement parses in its dialect, names are quoted, values bound.

SQL Server cannot run here, so the mssql home runs against a recording session and each T-SQL
statement it generates is parsed as T-SQL by sqlglot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

import polars as pl
import pytest
import sqlglot
from sqlglot import exp

from hygge.errors import ConfigError
from hygge.homes.base import PartitionSpec, ReadSpec
from hygge.homes.positions import KeysetPosition
from hygge.homes.sql.dialect import DUCKDB, MSSQL, POSTGRES, SQLITE, Dialect
from hygge.homes.sql.drivers import SqlSchema
from hygge.homes.sql.home import SqlHome
from hygge.homes.sql.keys import primary_key_statement
from hygge.homes.sql.statements import select
from hygge.types import Place

SCHEMA: SqlSchema = {"id": pl.Int64(), "updated_at": pl.Datetime("us"), "name": pl.String()}


class RecordingSession:
    """Answers like a database holding one row, and keeps every statement it was sent."""

    def __init__(self, sent: list[tuple[str, list[object]]]) -> None:
        self.sent = sent

    def columns(self, sql: str, params: Sequence[object]) -> SqlSchema:
        self.sent.append((sql, list(params)))
        return SCHEMA

    def first(self, sql: str, params: Sequence[object]) -> tuple[object, ...] | None:
        self.sent.append((sql, list(params)))
        selected = (
            sql.split(" FROM ", maxsplit=1)[0].count(",") + 1
        )  # the watermark column, then the id
        return (dt.datetime(2024, 1, 2), 7)[:selected]

    def stream(self, sql: str, params: Sequence[object], batch_size: int) -> Iterator[pl.DataFrame]:
        self.sent.append((sql, list(params)))
        if "sys.indexes" in sql or "pg_index" in sql:
            yield pl.DataFrame({"name": ["id"]})
            return
        yield pl.DataFrame(
            {"id": [7], "updated_at": [dt.datetime(2024, 1, 2)], "name": ["x"]}, schema=SCHEMA
        )

    def close(self) -> None:
        pass


class RecordingDriver:
    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.sent: list[tuple[str, list[object]]] = []

    def connect(self) -> RecordingSession:
        return RecordingSession(self.sent)

    def describe(self) -> str:
        return f"{self.dialect.name} test"


def statements(dialect: Dialect, **home: object) -> list[tuple[str, list[object]]]:
    """Every statement of a whole run's reads: begin, a read from the start, a resumed read."""
    driver = RecordingDriver(dialect)
    settings = {"table": "dbo.orders", "query": None, "batch_size": 10, **home}
    sql_home = SqlHome(driver, Place(None, "shop", "orders"), **settings)  # type: ignore[arg-type]
    spec = ReadSpec(
        lower="2024-01-01T00:00:00",
        lookback_floor="2023-12-31T23:00:00",
        column="updated_at",
        partitions=[PartitionSpec(id="low", column="id", lower=0, upper=100)],
    )
    window = sql_home.open_window(spec)
    window = window.model_copy(update={"lower": spec.lower})
    list(sql_home.read(window, KeysetPosition(), "low"))
    resumed = KeysetPosition(values={"updated_at": "2024-01-01T12:00:00", "id": 3})
    list(sql_home.read(window, resumed, "low"))
    return driver.sent


@pytest.mark.parametrize(
    "home",
    [
        pytest.param({}, id="table-primary-key"),
        pytest.param({"key_columns": ["id"]}, id="table-key-columns"),
        pytest.param({"query": "SELECT * FROM dbo.orders WHERE name <> 'x';"}, id="query"),
    ],
)
def test_every_statement_of_the_mssql_home_parses_as_t_sql(home):
    sent = statements(MSSQL, **home)
    assert len(sent) >= 5
    for text, values in sent:
        tree = sqlglot.parse_one(text, read="tsql")
        assert isinstance(tree, exp.Select), text
        assert text.count("?") == len(values), text  # every value bound, none written in


def test_the_mssql_home_pushes_the_window_down_as_bound_values():
    sent = statements(MSSQL, key_columns=["id"])
    last_read, values = sent[-1]
    assert "[updated_at] > ?" in last_read and "[id] >= ?" in last_read and "[id] < ?" in last_read
    assert "ORDER BY [updated_at], [id]" in last_read
    assert dt.datetime(2023, 12, 31, 23) in values  # the lookback floor, typed
    assert dt.datetime(2024, 1, 1, 12) in values and 3 in values  # the resumed keyset
    assert "2024" not in last_read


def test_the_last_row_of_the_window_is_asked_for_with_top_1_in_t_sql():
    sent = statements(MSSQL, key_columns=["id"])
    tops = [text for text, _ in sent if text.startswith("SELECT TOP 1")]
    assert tops and "ORDER BY [updated_at] DESC, [id] DESC" in tops[0]


@pytest.mark.parametrize(
    ("dialect", "read"),
    [
        pytest.param(POSTGRES, "postgres", id="postgres"),
        pytest.param(SQLITE, "sqlite", id="sqlite"),
        pytest.param(DUCKDB, "duckdb", id="duckdb"),
    ],
)
def test_every_statement_parses_in_its_own_dialect(dialect, read):
    for text, _ in statements(dialect, table="sales.orders", key_columns=["id"]):
        assert isinstance(sqlglot.parse_one(text, read=read), exp.Select), text


@pytest.mark.parametrize(
    ("dialect", "read"),
    [
        pytest.param(MSSQL, "tsql", id="mssql"),
        pytest.param(POSTGRES, "postgres", id="postgres"),
        pytest.param(SQLITE, "sqlite", id="sqlite"),
        pytest.param(DUCKDB, "duckdb", id="duckdb"),
    ],
)
def test_the_primary_key_lookup_binds_the_table_name(dialect, read):
    text, values = primary_key_statement(dialect, "sales.orders").render(dialect)
    sqlglot.parse_one(text, read=read)
    assert "orders" not in text and any("orders" in str(v) for v in values)


HOSTILE = [
    pytest.param('x"; DROP TABLE canary; --', id="double-quote-semicolon-comment"),
    pytest.param("x]; DROP TABLE canary; --", id="bracket"),
    pytest.param("x'; DROP TABLE canary; --", id="single-quote"),
    pytest.param("ørders · 注文", id="unicode"),
]


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize(
    ("dialect", "read"),
    [pytest.param(MSSQL, "tsql", id="mssql"), pytest.param(POSTGRES, "postgres", id="postgres")],
)
def test_a_hostile_column_name_stays_one_quoted_identifier(dialect, read, name):
    quoted = dialect.quote(name)
    tree = sqlglot.parse_one(f"SELECT {quoted} FROM t", read=read)
    (column,) = tree.find_all(exp.Column)
    assert column.name == name  # one identifier, holding exactly the name
    assert not list(tree.find_all(exp.Drop))


@pytest.mark.parametrize(
    ("table", "parts"),
    [
        pytest.param('public."{entity} 2"', ["public", "{entity} 2"], id="quoted-part"),
        pytest.param('"a""b".c', ['a"b', "c"], id="doubled-quote"),
        pytest.param("db.dbo.orders", ["db", "dbo", "orders"], id="three-parts"),
    ],
)
def test_a_table_name_is_parsed_into_its_parts(table, parts):
    assert POSTGRES.table_parts(table) == parts


def test_a_bracketed_t_sql_name_is_one_part_with_its_bracket_doubled():
    assert MSSQL.table_parts("[dbo].[odd]]name]") == ["dbo", "odd]name"]
    assert MSSQL.table("[dbo].[odd]]name]") == "[dbo].[odd]]name]"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        pytest.param("orders; DROP TABLE canary", "unexpected ';' at character 7", id="statement"),
        pytest.param("orders -- comment", "unexpected ' ' at character 7", id="comment"),
        pytest.param('"never closed', "never closed", id="unclosed"),
        pytest.param("a.b.c.d", "more than three parts", id="four-parts"),
        pytest.param("x" * 64, "64 bytes long", id="too-long"),
        pytest.param("", "is not a plain name", id="empty"),
    ],
)
def test_a_table_name_that_is_not_one_is_refused_before_any_sql(table, message):
    with pytest.raises(ConfigError, match=message):
        POSTGRES.table(table)


def test_a_name_longer_than_sql_server_allows_is_refused():
    assert MSSQL.quote("n" * 128) == "[" + "n" * 128 + "]"
    with pytest.raises(ConfigError, match="129 characters long"):
        MSSQL.quote("n" * 129)


def test_the_adbc_dialect_writes_only_64_bit_integers_into_the_text():
    from hygge.homes.sql.dialect import POSTGRES_ADBC
    from hygge.homes.sql.statements import Bound, Statement

    values: list[object] = [7, -3, True, 2**63, "7); DROP TABLE canary; --", dt.date(2024, 1, 1)]
    statement = Statement(["SELECT 1 WHERE"])
    for index, value in enumerate(values):
        statement.add(" AND " if index else " ", "a > ", Bound(value))

    text, bound = statement.render(POSTGRES_ADBC)

    assert "a > (7)" in text and "a > (-3)" in text
    assert bound == [True, 2**63, "7); DROP TABLE canary; --", dt.date(2024, 1, 1)]
    assert text.count("$") == 4 and "canary" not in text
    assert isinstance(sqlglot.parse_one(text, read="postgres"), exp.Select)
    assert POSTGRES.placeholder(1) == "$1" and Statement(["x ", Bound(7)]).render(POSTGRES) == (
        "x $1",
        [7],
    )  # every other dialect binds every value


class QuantileSession(RecordingSession):
    """Answers the key range (ids 1..1000, 1000 of them) and each quantile bound's value."""

    def first(self, sql: str, params: Sequence[object]) -> tuple[object, ...] | None:
        if "COUNT(" in sql:
            self.sent.append((sql, list(params)))
            return (1, 1000, 1000)
        if "_disc(" in sql:  # postgres, duckdb: every bound in one aggregate
            self.sent.append((sql, list(params)))
            return ([251, 501, 751],)
        if "pg_class" in sql or "sys.objects" in sql:  # is it a table TABLESAMPLE reads
            self.sent.append((sql, list(params)))
            return ("U", 1200) if "sys.objects" in sql else ("r", 1200.0)
        return super().first(sql, params)

    def stream(self, sql: str, params: Sequence[object], batch_size: int) -> Iterator[pl.DataFrame]:
        if "hygge_rank" in sql:  # mssql, sqlite: the rows at the bound ranks, in one statement
            self.sent.append((sql, list(params)))
            yield pl.DataFrame({"id": [251, 501, 751]})
            return
        yield from super().stream(sql, params, batch_size)


class QuantileDriver(RecordingDriver):
    def connect(self) -> QuantileSession:
        return QuantileSession(self.sent)


@pytest.mark.parametrize(
    ("dialect", "read"),
    [
        pytest.param(MSSQL, "tsql", id="mssql"),
        pytest.param(POSTGRES, "postgres", id="postgres"),
        pytest.param(SQLITE, "sqlite", id="sqlite"),
        pytest.param(DUCKDB, "duckdb", id="duckdb"),
    ],
)
def test_quantile_bounds_are_asked_for_in_every_dialect_with_bound_ranks(dialect, read):
    driver = QuantileDriver(dialect)
    home = SqlHome(
        driver, Place(None, "shop", "orders"), table="dbo.orders", query=None,  # type: ignore[arg-type]
        batch_size=10, key_columns=["id"], partitions=4, partition_strategy="quantile",
    )  # fmt: skip
    window = home.open_window(ReadSpec(column="updated_at"))
    assert [(p.lower, p.upper) for p in window.partitions] == [
        (None, 251), (251, 501), (501, 751), (751, None),
    ]  # fmt: skip
    ranks = [text for text, _ in driver.sent if "hygge_rank" in text]
    aggregates = [text for text, _ in driver.sent if "_disc(" in text]
    if dialect in (POSTGRES, DUCKDB):  # one sort for every bound
        assert len(aggregates) == 1 and not ranks
        assert "0.2505, 0.5005, 0.7505" in aggregates[0]
    else:  # one statement numbering the rows, not one OFFSET query per bound
        assert len(ranks) == 1 and not aggregates and "OFFSET" not in ranks[0]
        assert "BETWEEN 1 AND 3" in ranks[0]
    assert not any("TABLESAMPLE" in text for text, _ in driver.sent)  # 1000 rows: exact
    for text, values in driver.sent:
        assert isinstance(sqlglot.parse_one(text, read=read), exp.Select), text
        if dialect.placeholder_style == "qmark":
            assert text.count("?") == len(values), text
    if dialect is MSSQL:
        assert "ROW_NUMBER() OVER (ORDER BY [id]) - 1 AS [hygge_rank]" in ranks[0]


@pytest.mark.parametrize(
    ("dialect", "read", "sampled"),
    [
        pytest.param(MSSQL, "tsql", True, id="mssql"),
        pytest.param(POSTGRES, "postgres", True, id="postgres"),
        pytest.param(SQLITE, "sqlite", False, id="sqlite"),
        pytest.param(DUCKDB, "duckdb", False, id="duckdb"),
    ],
)
def test_quantile_bounds_of_a_large_table_come_from_a_sample(monkeypatch, dialect, read, sampled):
    from hygge.homes.sql import quantiles

    monkeypatch.setattr(quantiles, "SAMPLE_ABOVE", 500)  # the 1000 rows answered: "large"
    monkeypatch.setattr(quantiles, "SAMPLE_ROWS", 50)
    driver = QuantileDriver(dialect)
    home = SqlHome(
        driver, Place(None, "shop", "orders"), table="dbo.orders", query=None,  # type: ignore[arg-type]
        batch_size=10, key_columns=["id"], partitions=4, partition_strategy="quantile",
    )  # fmt: skip
    window = home.open_window(ReadSpec(column="updated_at"))
    assert [p.upper for p in window.partitions] == [251, 501, 751, None]
    samples = [text for text, _ in driver.sent if "TABLESAMPLE" in text]
    for text, _ in driver.sent:
        assert isinstance(sqlglot.parse_one(text, read=read), exp.Select), text
    if not sampled:  # DuckDB's exact quantile is fast; SQLite cannot sample
        assert not samples
        return
    assert len(samples) == 1 and "REPEATABLE (17)" in samples[0]
    assert ("SYSTEM (5.0000 PERCENT)" if dialect is MSSQL else "BERNOULLI (5.0000)") in samples[0]
    if dialect is POSTGRES:
        assert "percentile_disc(ARRAY[0.25, 0.5, 0.75])" in samples[0]
    [(_, name)] = [(t, v) for t, v in driver.sent if "pg_class" in t or "sys.objects" in t]
    assert name == [dialect.table("dbo.orders")]  # the table's name bound, never written in


def test_a_view_or_query_is_not_sampled(monkeypatch):
    from hygge.homes.sql import quantiles

    monkeypatch.setattr(quantiles, "SAMPLE_ABOVE", 500)

    class ViewSession(QuantileSession):
        def first(self, sql: str, params: Sequence[object]) -> tuple[object, ...] | None:
            if "pg_class" in sql:
                self.sent.append((sql, list(params)))
                return ("v", 0.0)
            return super().first(sql, params)

    class ViewDriver(QuantileDriver):
        def connect(self) -> QuantileSession:
            return ViewSession(self.sent)

    for table, query in [("public.v", None), (None, "SELECT * FROM public.orders")]:
        driver = ViewDriver(POSTGRES)
        home = SqlHome(
            driver, Place(None, "shop", "orders"), table=table, query=query,  # type: ignore[arg-type]
            batch_size=10, key_columns=["id"], partitions=4, partition_strategy="quantile",
        )  # fmt: skip
        home.open_window(ReadSpec(column="updated_at"))
        assert not any("TABLESAMPLE" in text for text, _ in driver.sent)
        assert any("_disc(" in text for text, _ in driver.sent)  # the exact way


def test_the_first_key_range_also_reads_the_rows_whose_key_is_null():
    sent = statements(POSTGRES, key_columns=["id"])
    last_read, _ = sent[-1]
    assert '"id" >= $' in last_read and '"id" < $' in last_read  # a middle range: no NULLs
    from hygge.homes.sql.statements import Condition, select

    first = select(MSSQL, "FROM t", conditions=[Condition("k", "<", 5, nulls=True)]).render(MSSQL)
    assert first == ("SELECT * FROM t WHERE ([k] < ? OR [k] IS NULL)", [5])
    assert isinstance(sqlglot.parse_one(first[0], read="tsql"), exp.Select)


def test_a_window_under_a_tenth_of_its_table_is_not_sampled(monkeypatch):
    # TABLESAMPLE reads the whole table: for a small window of a big one, the exact sort
    from hygge.homes.sql import quantiles

    monkeypatch.setattr(quantiles, "SAMPLE_ABOVE", 500)

    class BigSession(QuantileSession):
        def first(self, sql: str, params: Sequence[object]) -> tuple[object, ...] | None:
            if "pg_class" in sql:
                self.sent.append((sql, list(params)))
                return ("r", 10_001.0)  # the window's 1000 rows are under a tenth of it
            return super().first(sql, params)

    class BigDriver(QuantileDriver):
        def connect(self) -> QuantileSession:
            return BigSession(self.sent)

    driver = BigDriver(POSTGRES)
    home = SqlHome(
        driver, Place(None, "shop", "orders"), table="public.orders", query=None,  # type: ignore[arg-type]
        batch_size=10, key_columns=["id"], partitions=4, partition_strategy="quantile",
    )  # fmt: skip
    home.open_window(ReadSpec(column="updated_at"))
    assert any("pg_class" in text for text, _ in driver.sent)
    assert not any("TABLESAMPLE" in text for text, _ in driver.sent)


@pytest.mark.parametrize(
    ("dialect", "read"),
    [(POSTGRES, "postgres"), (SQLITE, "sqlite"), (DUCKDB, "duckdb")],
)
def test_a_keyset_of_several_keys_is_one_row_comparison_where_the_dialect_has_one(dialect, read):
    text, values = select(
        dialect, "FROM t", after={"a": "x", "b": 1.5}, up_to={"a": "z", "b": 2.5},
        order=["a", "b"],
    ).render(dialect)  # fmt: skip

    sqlglot.parse_one(text.replace("$1", "?").replace("$2", "?").replace("$3", "?")
                      .replace("$4", "?"), read=read)  # fmt: skip
    where = text.split(" WHERE ", 1)[1].split(" ORDER BY ")[0]
    marks = [dialect.placeholder(i) for i in (1, 2, 3, 4)]
    assert where == (
        f'("a", "b") > ({marks[0]}, {marks[1]}) AND ("a", "b") <= ({marks[2]}, {marks[3]})'
    )
    assert values == ["x", 1.5, "z", 2.5]


def test_a_keyset_of_several_keys_is_spelt_out_in_t_sql_and_of_one_key_is_one_comparison():
    several, values = select(
        MSSQL, "FROM t", after={"a": "x", "b": 1}, up_to={"a": "z", "b": 2}, order=["a", "b"]
    ).render(MSSQL)
    one, _ = select(MSSQL, "FROM t", after={"a": "x"}, up_to={"a": "z"}, order=["a"]).render(MSSQL)

    sqlglot.parse_one(several, read="tsql")
    assert "([a] > ?) OR ([a] = ? AND [b] > ?)" in several
    assert values == ["x", "x", 1, "z", "z", 2, "z", 2]
    assert one == "SELECT * FROM t WHERE [a] > ? AND [a] <= ? ORDER BY [a]"
