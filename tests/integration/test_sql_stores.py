"""The postgres and sqlite stores beyond the contract: schema evolution, if_exists, merge,
what they refuse (views, another entity's table), and their configs' errors."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from hygge.connections import PostgresConnection, SqliteConnection
from hygge.errors import ConfigError, DataError, InjectedFault, StoreOwnershipError
from hygge.faults import reset_faults
from hygge.stores.sql.config import PostgresStoreConfig, SqliteStoreConfig
from hygge.types import Place, RunType
from tests.contract.store_contract import run, stage
from tests.support.data import content_hash, orders
from tests.support.sql_stores import (
    PASSWORD_VARIABLE,
    execute_postgres,
    execute_sqlite,
    read_postgres,
    read_sqlite,
)


class Target:
    """One SQL store under test: open it, read its table, run SQL as a stranger."""

    def __init__(self, kind: str, root: Path, postgres=None, schema: str = "") -> None:
        self.kind, self.root, self.postgres, self.schema = kind, root, postgres, schema

    def open(self, entity: str = "orders", workspace: str = "shop", **fields):
        if self.kind == "sqlite":
            config = SqliteStoreConfig(path="lake.sqlite", **fields)
            return config.open(Place(self.root, "sales", entity, workspace))
        connection = PostgresConnection(url=self.postgres.url, password=f"${{{PASSWORD_VARIABLE}}}")
        table = fields.pop("table", "{entity}")
        config = PostgresStoreConfig(connection="pg", table=f"{self.schema}.{table}", **fields)
        return config.open(Place(self.root, "sales", entity, workspace, {"pg": connection}))

    def read(self, table: str = "orders", schema: pl.Schema | None = None):
        if self.kind == "sqlite":
            return read_sqlite(self.root / "lake.sqlite", table, schema)
        return read_postgres(self.postgres.conninfo, self.schema, table, schema)

    def execute(self, *statements: str) -> None:
        if self.kind == "sqlite":
            execute_sqlite(self.root / "lake.sqlite", *statements)
        else:
            prefixed = [
                s.replace("TABLE ", f'TABLE "{self.schema}".').replace(
                    "VIEW ", f'VIEW "{self.schema}".'
                )
                for s in statements
            ]
            execute_postgres(self.postgres.conninfo, *prefixed)

    def qualified(self, table: str) -> str:
        return table if self.kind == "sqlite" else f'"{self.schema}".{table}'


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Target:
    if request.param == "sqlite":
        return Target("sqlite", tmp_path)
    postgres = request.getfixturevalue("postgres")
    monkeypatch.setenv(PASSWORD_VARIABLE, postgres.password)
    return Target("postgres", tmp_path, postgres, request.getfixturevalue("pg_schema"))


def test_a_new_column_is_added_and_old_rows_hold_null(target: Target) -> None:
    run(target.open(), [orders(3)], RunType.FULL_DROP, "run-1")
    more = orders(2, start=3).with_columns(pl.lit("new").alias("note"))
    run(target.open(), [more], RunType.INCREMENTAL, "run-2")
    table = target.read("orders", more.schema)
    assert table is not None
    assert table.sort("id")["note"].to_list() == [None, None, None, "new", "new"]


@pytest.mark.postgres
def test_postgres_widens_integer_to_bigint_and_refuses_what_could_change_values(
    tmp_path: Path, postgres, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_VARIABLE, postgres.password)
    target = Target("postgres", tmp_path, postgres, pg_schema)
    small = pl.DataFrame({"id": [1], "n": [5]}, schema={"id": pl.Int64, "n": pl.Int32})
    run(target.open(), [small], RunType.FULL_DROP, "run-1")
    big = pl.DataFrame({"id": [2], "n": [2**40]}, schema={"id": pl.Int64, "n": pl.Int64})
    run(target.open(), [big], RunType.INCREMENTAL, "run-2")
    table = target.read("orders")
    assert table is not None and sorted(table["n"].to_list()) == [5, 2**40]
    text = pl.DataFrame({"id": [3], "n": [1.5]})
    staging = stage(target.open(), [text], RunType.INCREMENTAL, "run-3")
    with pytest.raises(DataError, match=r"column n is bigint there.*double precision.*--full-drop"):
        target.open().publish(staging)


@pytest.mark.parametrize("if_exists", ["append", "replace"])
def test_a_table_hygge_did_not_create_is_written_only_as_if_exists_says(
    target: Target, if_exists: str
) -> None:
    target.execute("CREATE TABLE orders (id bigint, customer text, extra text)")
    target.execute(f"INSERT INTO {target.qualified('orders')} VALUES (99, 'theirs', 'x')")
    assert target.open().ownership_problem() is not None  # if_exists: fail, the default
    run(target.open(if_exists=if_exists), [orders(2)], RunType.INCREMENTAL, "run-1")
    table = target.read("orders")
    assert table is not None
    ids = sorted(table["id"].to_list())
    assert ids == ([0, 1, 99] if if_exists == "append" else [0, 1])
    assert ("extra" in table.columns) is (if_exists == "append")
    if target.kind == "sqlite" and if_exists == "append":
        # SQLite keeps hygge's mark only in the creation SQL: an adopted table has none, so
        # it stays the user's table, written into as `if_exists: append` says
        assert "lacks hygge's mark" in (target.open().ownership_problem() or "")
        assert target.open(if_exists="append").ownership_problem() is None
        return
    assert target.open().ownership_problem() is None  # hygge owns (and marked) it now


def test_a_view_is_refused_whatever_if_exists_says(target: Target) -> None:
    target.execute("CREATE VIEW orders AS SELECT 1 AS id")
    store = target.open(if_exists="replace")
    with pytest.raises(StoreOwnershipError, match="is a view hygge did not create"):
        store.prepare("run-1", RunType.FULL_DROP)


def test_another_entitys_table_is_refused_naming_its_owner(target: Target) -> None:
    run(target.open(entity="orders"), [orders(2)], RunType.FULL_DROP, "run-1")
    other = target.open(entity="returns", table="orders", if_exists="replace")
    problem = other.ownership_problem()
    assert problem is not None and "belongs to entity sales.orders" in problem
    with pytest.raises(StoreOwnershipError):
        other.prepare("run-1", RunType.FULL_DROP)


def test_merge_upserts_on_the_keys_and_the_last_staged_row_of_a_key_wins(target: Target) -> None:
    run(target.open(key_columns=["id"]), [orders(4)], RunType.FULL_DROP, "run-1")
    first = orders(2, start=2).with_columns(pl.lit("old").alias("customer"))
    second = orders(2, start=3).with_columns(pl.lit("new").alias("customer"))
    run(target.open(key_columns=["id"]), [first, second], RunType.MERGE, "run-2")
    table = target.read("orders", orders(1).schema)
    assert table is not None
    assert table.sort("id")["customer"].to_list()[2:] == ["old", "new", "new"]


def test_a_merge_that_fails_mid_publish_leaves_the_table_as_it_was(
    target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(target.open(key_columns=["id"]), [orders(4)], RunType.FULL_DROP, "run-1")
    before = target.read("orders", orders(1).schema)
    staging = stage(target.open(key_columns=["id"]), [orders(3, start=2)], RunType.MERGE, "run-2")
    monkeypatch.setenv("HYGGE_FAULT", "during_publish:raise")
    reset_faults()
    with pytest.raises(InjectedFault):
        target.open(key_columns=["id"]).publish(staging)
    after = target.read("orders", orders(1).schema)
    assert before is not None and after is not None
    assert content_hash(after) == content_hash(before)


def test_merge_without_key_columns_is_a_config_error(target: Target) -> None:
    with pytest.raises(ConfigError, match="merge needs key_columns"):
        target.open().prepare("run-1", RunType.MERGE)


def test_a_sqlite_path_holding_another_kind_of_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "lake.sqlite").write_bytes(b"PAR1 not a database")
    store = SqliteStoreConfig(path="lake.sqlite").open(Place(tmp_path, "s", "o"))
    assert "not a SQLite database" in (store.ownership_problem() or "")
    with pytest.raises(StoreOwnershipError):
        store.prepare("run-1", RunType.FULL_DROP)
    assert (tmp_path / "lake.sqlite").read_bytes() == b"PAR1 not a database"


def test_store_configs_name_what_is_missing() -> None:
    with pytest.raises(ValueError, match="needs `connection:`"):
        PostgresStoreConfig()
    with pytest.raises(ValueError, match="`path` or `connection`"):
        SqliteStoreConfig()


def test_a_connection_of_another_type_is_refused_naming_it(tmp_path: Path) -> None:
    place = Place(tmp_path, "s", "o", connections={"db": SqliteConnection(path="x.sqlite")})
    with pytest.raises(ConfigError, match="not a type: postgres connection"):
        PostgresStoreConfig(connection="db").open(place)
    store = SqliteStoreConfig(connection="db").open(place)
    assert store.identity().endswith('x.sqlite "main"."o"'.casefold())


def test_a_table_recreated_by_someone_else_under_the_owned_name_is_refused(target: Target) -> None:
    run(target.open(), [orders(3)], RunType.FULL_DROP, "run-1")
    target.execute("DROP TABLE orders", "CREATE TABLE orders (id bigint, customer text)")
    target.execute(f"INSERT INTO {target.qualified('orders')} VALUES (99, 'theirs')")

    problem = target.open().ownership_problem()

    assert problem is not None and "lacks hygge's mark" in problem
    assert ("comment" if target.kind == "postgres" else "creation SQL") in problem
    assert "belongs to" not in problem and "entity sales.orders" in problem
    for run_type in (RunType.FULL_DROP, RunType.INCREMENTAL):
        with pytest.raises(StoreOwnershipError, match="lacks hygge's mark"):
            target.open().prepare("run-2", run_type)
    table = target.read("orders")
    assert table is not None and table["id"].to_list() == [99]  # theirs, untouched


def test_the_owned_table_keeps_its_mark_through_renames_and_full_drops(target: Target) -> None:
    run(target.open(), [orders(3)], RunType.FULL_DROP, "run-1")
    run(target.open(), [orders(2)], RunType.FULL_DROP, "run-2")  # swapped (postgres) anew
    target.execute("ALTER TABLE orders RENAME TO orders_away")
    target.execute("CREATE TABLE orders (id bigint)")
    assert "lacks hygge's mark" in (target.open().ownership_problem() or "")
    target.execute("DROP TABLE orders", "ALTER TABLE orders_away RENAME TO orders")

    assert target.open().ownership_problem() is None  # hygge's own table, back again
    run(target.open(), [orders(2, start=2)], RunType.INCREMENTAL, "run-3")
    table = target.read("orders")
    assert table is not None and sorted(table["id"].to_list()) == [0, 1, 2, 3]


def test_a_recreated_table_is_written_as_if_exists_says_and_then_is_hyggess(
    target: Target,
) -> None:
    run(target.open(), [orders(3)], RunType.FULL_DROP, "run-1")
    target.execute("DROP TABLE orders", "CREATE TABLE orders (id bigint, customer text)")

    run(target.open(if_exists="replace"), [orders(2)], RunType.FULL_DROP, "run-2")

    assert target.open().ownership_problem() is None  # created by hygge anew: marked
    table = target.read("orders")
    assert table is not None and sorted(table["id"].to_list()) == [0, 1]
