"""The DuckDB store's own promises beyond the contract: merge, if_exists, schema evolution,
the first rule for paths and tables, hostile names, and one writer process per file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from hygge.errors import ConfigError, DataError, StateError, StoreOwnershipError
from hygge.stores.duckdb_database import close_databases
from hygge.stores.duckdb_names import TableName, parse_table
from hygge.stores.duckdb_store import DuckdbStore, DuckdbStoreConfig
from hygge.types import Place, RunType
from tests.contract.store_contract import run, stage
from tests.support.data import content_hash, orders
from tests.support.duckdb_lake import execute, read_table

pytest.importorskip("duckdb", reason="the duckdb extra (pip install 'hygge-el[duckdb]')")

REPO = Path(__file__).resolve().parents[2]


def store(root: Path, entity: str = "orders", **settings: object) -> DuckdbStore:
    config = DuckdbStoreConfig.model_validate({"path": "lake.duckdb", **settings})
    return config.open(Place(root, "sales", entity, workspace="shop"))


def table(root: Path, name: str = "orders", schema: str = "main") -> pl.DataFrame:
    found = read_table(root / "lake.duckdb", TableName(schema, name))
    assert found is not None, f"no table {schema}.{name}"
    return found


def test_merge_replaces_rows_by_key_and_keeps_the_last_row_of_a_key_within_a_run(tmp_path):
    run(store(tmp_path), [orders(5)], RunType.FULL_DROP, "run-1")
    first = orders(3, start=3).with_columns(customer=pl.lit("first"))
    last = orders(1, start=4).with_columns(customer=pl.lit("last"))
    run(store(tmp_path, key_columns=["id"]), [first, last], RunType.MERGE, "run-2")

    merged = table(tmp_path).sort("id")
    assert merged["id"].to_list() == [0, 1, 2, 3, 4, 5]
    assert merged["customer"].to_list()[3:] == ["first", "last", "first"]


def test_the_first_merge_into_a_new_table_keeps_one_row_per_key(tmp_path):
    # A merge that created its table copied every staged row, keys repeated included.
    first = orders(3).with_columns(customer=pl.lit("first"))
    last = orders(2, start=1).with_columns(customer=pl.lit("last"))
    run(store(tmp_path, key_columns=["id"]), [first, last], RunType.MERGE, "run-1")
    merged = table(tmp_path).sort("id")
    assert merged["id"].to_list() == [0, 1, 2]
    assert merged["customer"].to_list() == ["first", "last", "last"]


def test_merge_on_a_key_the_data_lacks_names_the_key(tmp_path):
    staging = stage(store(tmp_path, key_columns=["sku"]), [orders(2)], RunType.MERGE, "run-1")
    with pytest.raises(DataError, match="sku"):
        store(tmp_path, key_columns=["sku"]).publish(staging)


def test_an_all_null_column_takes_the_type_later_data_brings(tmp_path):
    empty = pl.DataFrame({"id": [1], "note": [None]})
    run(store(tmp_path), [empty], RunType.FULL_DROP, "run-1")
    run(store(tmp_path), [pl.DataFrame({"id": [2], "note": ["x"]})], RunType.INCREMENTAL, "r2")
    assert table(tmp_path).sort("id")["note"].to_list() == [None, "x"]


def test_check_reports_a_file_in_use_by_another_process(tmp_path):
    run(store(tmp_path), [orders(2)], RunType.FULL_DROP, "run-1")
    code = (
        "from pathlib import Path\n"
        "from hygge.stores.duckdb_store import DuckdbStoreConfig\n"
        "from hygge.types import Place\n"
        f"place = Place(Path({str(tmp_path)!r}), 'sales', 'orders', workspace='shop')\n"
        "print(DuckdbStoreConfig(path='lake.duckdb').open(place).check())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "open in another process" in done.stdout
    close_databases()


def test_merge_matches_null_keys_as_equal(tmp_path):
    frame = pl.DataFrame(
        {"id": [None, 1], "v": ["a", "b"]}, schema={"id": pl.Int64, "v": pl.String}
    )
    run(store(tmp_path), [frame], RunType.FULL_DROP, "run-1")
    update = pl.DataFrame({"id": [None], "v": ["z"]}, schema={"id": pl.Int64, "v": pl.String})
    run(store(tmp_path, key_columns=["id"]), [update], RunType.MERGE, "run-2")
    assert sorted(table(tmp_path)["v"].to_list()) == ["b", "z"]


def test_merge_without_key_columns_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="key_columns"):
        store(tmp_path).prepare("run-1", RunType.MERGE)


def test_a_reader_never_sees_half_a_merge(tmp_path, monkeypatch):
    from hygge.errors import InjectedFault
    from hygge.faults import reset_faults

    run(store(tmp_path), [orders(4)], RunType.FULL_DROP, "run-1")
    before = content_hash(table(tmp_path))
    staging = stage(store(tmp_path, key_columns=["id"]), [orders(4, start=2)], RunType.MERGE, "m")
    monkeypatch.setenv("HYGGE_FAULT", "during_publish:raise")
    reset_faults()
    with pytest.raises(InjectedFault):
        store(tmp_path, key_columns=["id"]).publish(staging)
    assert content_hash(table(tmp_path)) == before
    monkeypatch.delenv("HYGGE_FAULT")
    store(tmp_path, key_columns=["id"]).publish(staging)
    assert table(tmp_path).height == 6


def test_a_new_source_column_is_added_and_old_rows_hold_null(tmp_path):
    run(store(tmp_path), [orders(2)], RunType.FULL_DROP, "run-1")
    wider = orders(2, start=2).with_columns(region=pl.lit("north"))
    run(store(tmp_path), [wider], RunType.INCREMENTAL, "run-2")
    result = table(tmp_path).sort("id")
    assert result["region"].to_list() == [None, None, "north", "north"]


def test_a_safe_widening_is_applied(tmp_path):
    narrow = pl.DataFrame({"id": [1, 2]}, schema={"id": pl.Int32})
    run(store(tmp_path), [narrow], RunType.FULL_DROP, "run-1")
    wide = pl.DataFrame({"id": [2**40]}, schema={"id": pl.Int64})
    run(store(tmp_path), [wide], RunType.INCREMENTAL, "run-2")
    result = table(tmp_path)
    assert result.schema["id"] == pl.Int64
    assert sorted(result["id"].to_list()) == [1, 2, 2**40]


def test_an_unsafe_type_change_names_table_column_both_types_and_what_to_do(tmp_path):
    run(store(tmp_path), [pl.DataFrame({"id": [1]})], RunType.FULL_DROP, "run-1")
    text = pl.DataFrame({"id": ["one"]})
    staging = stage(store(tmp_path), [text], RunType.INCREMENTAL, "run-2")
    with pytest.raises(DataError) as raised:
        store(tmp_path).publish(staging)
    message = str(raised.value)
    for part in ("main.orders", "column id", "BIGINT", "VARCHAR", "--full-drop"):
        assert part in message
    assert table(tmp_path)["id"].to_list() == [1]  # nothing changed


def test_a_table_hygge_did_not_create_is_refused_naming_it_and_what_to_do(tmp_path):
    execute(tmp_path / "lake.duckdb", "CREATE TABLE orders AS SELECT 1 AS mine")
    problem = store(tmp_path).ownership_problem()
    assert problem is not None
    for part in ("main.orders", "1 rows", "did not create", "if_exists: append"):
        assert part in problem
    with pytest.raises(StoreOwnershipError):
        store(tmp_path).prepare("run-1", RunType.FULL_DROP)
    assert table(tmp_path)["mine"].to_list() == [1]


def test_a_view_hygge_did_not_create_is_refused_even_with_if_exists(tmp_path):
    execute(tmp_path / "lake.duckdb", "CREATE VIEW orders AS SELECT 1 AS mine")
    with pytest.raises(StoreOwnershipError, match="view"):
        store(tmp_path, if_exists="replace").prepare("run-1", RunType.FULL_DROP)


def test_if_exists_append_keeps_the_strangers_rows_and_adds_the_runs(tmp_path):
    execute(
        tmp_path / "lake.duckdb",
        "CREATE TABLE orders (id BIGINT, note VARCHAR)",
        "INSERT INTO orders VALUES (99, 'kept')",
    )
    run(store(tmp_path, if_exists="append"), [orders(2)], RunType.INCREMENTAL, "run-1")
    result = table(tmp_path).sort("id")
    assert result["id"].to_list() == [0, 1, 99]
    assert store(tmp_path).ownership_problem() is None  # owned from now on


def test_if_exists_replace_drops_the_strangers_table_and_creates_it_from_the_data(tmp_path):
    execute(tmp_path / "lake.duckdb", "CREATE TABLE orders AS SELECT 1 AS mine")
    run(store(tmp_path, if_exists="replace"), [orders(3)], RunType.INCREMENTAL, "run-1")
    assert table(tmp_path).columns == orders(1).columns
    assert table(tmp_path).height == 3


def test_another_entitys_table_is_refused_even_with_if_exists(tmp_path):
    run(store(tmp_path, "orders", table="shared"), [orders(2)], RunType.FULL_DROP, "run-1")
    other = store(tmp_path, "customers", table="shared", if_exists="replace")
    problem = other.ownership_problem()
    assert problem is not None and "sales.orders" in problem
    with pytest.raises(StoreOwnershipError):
        other.prepare("run-1", RunType.FULL_DROP)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda p: p.write_bytes(b"PAR1" + b"\0" * 20), id="parquet-file"),
        pytest.param(lambda p: p.mkdir(), id="folder"),
        pytest.param(lambda p: p.write_text("someone's notes\n"), id="text-file"),
        pytest.param(lambda p: p.write_bytes(b""), id="empty-file"),
    ],
)
def test_a_path_that_is_not_a_duckdb_database_is_refused_and_left_alone(tmp_path, make):
    path = tmp_path / "lake.duckdb"
    make(path)
    before = path.read_bytes() if path.is_file() else None
    problem = store(tmp_path).ownership_problem()
    assert problem is not None and "not a DuckDB database" in problem
    with pytest.raises(StoreOwnershipError, match="not a DuckDB database"):
        store(tmp_path).prepare("run-1", RunType.FULL_DROP)
    store(tmp_path).abort(stage_record(tmp_path))  # abort touches nothing either
    assert (path.read_bytes() if path.is_file() else None) == before


def test_a_symlink_to_someones_file_is_refused_naming_the_target(tmp_path):
    target = tmp_path / "precious.parquet"
    target.write_bytes(b"PAR1" + b"\0" * 20)
    (tmp_path / "lake.duckdb").symlink_to(target)
    problem = store(tmp_path).ownership_problem()
    assert problem is not None and "precious.parquet" in problem and "parquet file" in problem
    with pytest.raises(StoreOwnershipError):
        store(tmp_path).prepare("run-1", RunType.FULL_DROP)
    assert target.read_bytes() == b"PAR1" + b"\0" * 20


def test_a_symlink_to_a_duckdb_database_writes_into_it(tmp_path):
    real = tmp_path / "real.duckdb"
    (tmp_path / "lake.duckdb").symlink_to(real)
    run(store(tmp_path), [orders(2)], RunType.FULL_DROP, "run-1")
    assert read_table(real, TableName("main", "orders")) is not None


def stage_record(root: Path):
    from hygge.stores.base import Staging

    return Staging(run_id="run-1", run_type=RunType.FULL_DROP, location="stage_x")


HOSTILE = [
    'o"rders',
    "orders; DROP TABLE main.victim; --",
    "orders -- comment",
    "ordres'; DELETE FROM victim; '",
    "ørdér 表",
    "a" * 120,
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_table_and_column_names_are_quoted_never_executed(tmp_path, name):
    execute(tmp_path / "lake.duckdb", "CREATE TABLE main.victim AS SELECT 1 AS v")
    quoted = '"' + name.replace('"', '""') + '"'
    frame = pl.DataFrame({name: [1, 2], "id": [1, 2]})
    for number, run_type in enumerate([RunType.FULL_DROP, RunType.INCREMENTAL, RunType.MERGE]):
        hostile = store(tmp_path, table=quoted, schema=name[:60], key_columns=[name])
        run(hostile, [frame.with_columns(pl.col(name) + number)], run_type, f"run-{number}")
    landed = table(tmp_path, name, schema=name[:60])
    assert landed.columns == [name, "id"]
    assert landed.height == 5  # 2, then 2 more, then a merge replacing one key and adding one
    assert table(tmp_path, "victim")["v"].to_list() == [1]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("a" * 121, "at most 120", id="too-long"),
        pytest.param("bad\nname", "control character", id="newline"),
        pytest.param("nul\0name", "control character", id="nul"),
        pytest.param('"open', "never closes", id="unclosed-quote"),
        pytest.param("a.b.c", "2 dots", id="three-parts"),
        pytest.param("_hygge.orders", "bookkeeping", id="hygges-schema"),
        pytest.param("", "empty", id="empty"),
    ],
)
def test_table_names_that_cannot_be_are_refused_with_the_reason(text, reason):
    with pytest.raises(ConfigError, match=reason):
        parse_table(text, None, "duckdb store of sales.orders")


def test_a_quoted_name_may_hold_a_dot_and_a_schema_is_split_at_unquoted_dots():
    assert parse_table('"a.b"', None, "x") == TableName("main", "a.b")
    assert parse_table('sales."a.b"', None, "x") == TableName("sales", "a.b")
    with pytest.raises(ConfigError, match="schema"):
        parse_table("sales.orders", "other", "x")


@pytest.mark.parametrize(
    ("column", "reason"),
    [
        pytest.param("_hygge_seq", "keeps for itself", id="reserved"),
        pytest.param("Amount", "differ only in case", id="case-twins"),
    ],
)
def test_columns_duckdb_cannot_hold_are_refused_naming_them(tmp_path, column, reason):
    frame = pl.DataFrame({"amount": [1], column: [2]})
    staging = store(tmp_path).prepare("run-1", RunType.FULL_DROP)
    with pytest.raises(DataError, match=reason):
        store(tmp_path).write(staging, frame)


def test_a_second_process_on_the_same_file_gets_a_clear_error(tmp_path):
    run(store(tmp_path), [orders(2)], RunType.FULL_DROP, "run-1")  # this process holds it
    code = (
        "from pathlib import Path\n"
        "from hygge.stores.duckdb_store import DuckdbStoreConfig\n"
        "from hygge.types import Place, RunType\n"
        f"place = Place(Path({str(tmp_path)!r}), 'sales', 'orders', workspace='shop')\n"
        "s = DuckdbStoreConfig(path='lake.duckdb').open(place)\n"
        "s.prepare('run-2', RunType.FULL_DROP)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode != 0
    assert "EntityLockedError" in done.stderr
    assert "open in another process" in done.stderr and f"PID {os.getpid()}" in done.stderr
    close_databases()
    assert table(tmp_path).height == 2  # untouched


def test_a_hostile_struct_field_name_in_a_new_column_is_quoted_never_executed(tmp_path):
    execute(tmp_path / "lake.duckdb", "CREATE TABLE main.victim AS SELECT 1 AS v")
    run(store(tmp_path), [pl.DataFrame({"id": [1]})], RunType.FULL_DROP, "run-1")
    field = 'x" BIGINT); DROP TABLE victim; --'
    added = pl.DataFrame({"id": [2], "nested": [{field: 1, "o'k": "a"}]})
    run(store(tmp_path), [added], RunType.INCREMENTAL, "run-2")  # ALTER TABLE ADD COLUMN
    assert table(tmp_path).sort("id")["nested"].to_list() == [None, {field: 1, "o'k": "a"}]
    assert table(tmp_path, "victim")["v"].to_list() == [1]


def test_a_database_someone_else_made_works_for_every_step_from_a_fresh_process(tmp_path):
    # Found by the reset test: last_commit read _hygge.commits before anything created it.
    execute(tmp_path / "lake.duckdb", "CREATE TABLE main.theirs AS SELECT 1 AS v")
    close_databases()  # the next store opens the file afresh, as a new process would
    assert store(tmp_path).last_commit() is None
    assert store(tmp_path).ownership_problem() is None
    run(store(tmp_path), [orders(2)], RunType.FULL_DROP, "run-1")
    assert table(tmp_path).height == 2
    assert table(tmp_path, "theirs")["v"].to_list() == [1]


def test_a_database_file_that_cannot_be_opened_names_the_file(tmp_path):
    path = tmp_path / "lake.duckdb"
    path.write_bytes(b"\0" * 8 + b"DUCK" + b"\xff" * 100)  # a damaged header
    with pytest.raises(StateError, match=r"cannot open DuckDB database .*lake\.duckdb"):
        store(tmp_path).prepare("run-1", RunType.FULL_DROP)
