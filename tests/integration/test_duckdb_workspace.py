"""`type: duckdb` in a workspace: loaded from YAML, entities of a flow writing one file in
parallel threads, a second `hygge go` on the same file, `hygge reset`, `connection:`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest

from hygge.config import load_workspace
from hygge.engine.plan import Selection, plan_run
from hygge.errors import ConfigError
from hygge.stores.duckdb_database import close_databases
from hygge.stores.duckdb_names import TableName
from hygge.stores.duckdb_store import DuckdbStoreConfig
from hygge.types import Place, RunType, Strict
from tests.contract.store_contract import run as run_store
from tests.support.cli import hygge
from tests.support.data import content_hash, orders
from tests.support.duckdb_lake import execute, read_table
from tests.support.workspace import crash, land, run, write_workspace

pytest.importorskip("duckdb", reason="the duckdb extra (pip install 'hygge-el[duckdb]')")

ENTITIES = ("orders", "returns", "refunds", "payments")
FLOW = """\
home: {type: parquet, path: landing, batch_size: 3}
store: {type: duckdb, path: lake.duckdb, table: 'sales."{entity}"', batch_size: 2}
run_type: incremental
key_columns: [id]
entities: [orders, returns, refunds, payments]
"""


def place_of(root: Path) -> Place:
    return plan_run(load_workspace(root), Selection()).tasks[0].place


def landed(root: Path, start: int = 0) -> None:
    for number, entity in enumerate(ENTITIES):
        land(root, entity, f"part-{start}", orders(7 + number, start=start))


def test_the_store_block_loads_from_yaml_with_entity_schema_and_key_columns(tmp_path):
    write_workspace(tmp_path, {"shop": FLOW})
    entity = load_workspace(tmp_path).entities[0]
    assert isinstance(entity.store, DuckdbStoreConfig)
    assert entity.store.table == 'sales."orders"'
    assert entity.store.key_columns == ["id"]
    store = entity.store.open(place_of(tmp_path))
    assert store.describe() == "duckdb lake.duckdb sales.orders"
    assert store.identity() == 'duckdb ./lake.duckdb "sales"."orders"'


def test_entities_of_a_flow_write_one_file_from_parallel_threads(tmp_path):
    write_workspace(tmp_path, {"shop": FLOW})
    landed(tmp_path)
    assert run(tmp_path, concurrency=4).ok
    landed(tmp_path, start=100)
    report = run(tmp_path, concurrency=4, run_type=None)
    assert report.ok, report.results
    for number, entity in enumerate(ENTITIES):
        table = read_table(tmp_path / "lake.duckdb", TableName("sales", entity))
        expected = orders(7 + number).vstack(orders(7 + number, start=100))
        assert table is not None and table.height == expected.height
        assert content_hash(table.select(expected.columns)) == content_hash(expected)


def test_a_second_hygge_go_on_a_file_in_use_fails_clearly_and_changes_nothing(tmp_path):
    write_workspace(tmp_path, {"shop": FLOW})
    landed(tmp_path)
    assert run(tmp_path).ok  # this process keeps the file open, as a running `hygge go` does
    landed(tmp_path, start=100)
    done = hygge(tmp_path, "go")
    assert done.returncode != 0
    assert "open in another process" in done.stdout + done.stderr
    table = read_table(tmp_path / "lake.duckdb", TableName("sales", "orders"))
    assert table is not None and table.height == 7
    close_databases()
    assert hygge(tmp_path, "go").returncode == 0  # once the file is free, it loads
    table = read_table(tmp_path / "lake.duckdb", TableName("sales", "orders"))
    assert table is not None and table.height == 14


def test_reset_refuses_a_table_hygge_did_not_create_and_resets_nothing(tmp_path):
    write_workspace(tmp_path, {"shop": FLOW})
    landed(tmp_path)
    assert run(tmp_path).ok
    execute(tmp_path / "lake.duckdb", "CREATE TABLE sales.theirs AS SELECT 1 AS x")
    close_databases()
    # The user points orders at an existing table and resets it, to reload it there.
    flow = FLOW.replace("entities: [orders, returns, refunds, payments]", "entities: [orders]")
    write_workspace(tmp_path, {"shop": flow.replace('"{entity}"', "theirs")})
    done = hygge(tmp_path, "reset", "-f", "shop", "-e", "orders", "--yes")
    assert done.returncode == 1
    out = done.stdout + done.stderr
    assert "cannot reset shop.orders" in out and "did not create" in out
    assert "Nothing was reset" in out
    theirs = read_table(tmp_path / "lake.duckdb", TableName("sales", "theirs"))
    assert theirs is not None and theirs["x"].to_list() == [1]
    close_databases()


def test_reset_of_an_interrupted_run_drops_only_its_staging_table(tmp_path):
    write_workspace(tmp_path, {"shop": FLOW})
    landed(tmp_path)
    execute(tmp_path / "lake.duckdb", "CREATE TABLE main.keep AS SELECT 1 AS v")
    close_databases()
    assert crash(tmp_path, "after_checkpoint") != 0
    done = hygge(tmp_path, "reset", "-f", "shop", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    staging = read_table(tmp_path / "lake.duckdb", TableName("_hygge", "stagings"))
    assert staging is not None and staging.height == 0
    keep = read_table(tmp_path / "lake.duckdb", TableName("main", "keep"))
    assert keep is not None and keep["v"].to_list() == [1]
    close_databases()


class DuckdbConnection(Strict):
    """The shape of hygge.yml `connections: {wh: {type: duckdb, path: …}}`."""

    type: Literal["duckdb"] = "duckdb"
    path: str


def test_a_duckdb_connection_names_the_file(tmp_path):
    connections = {"wh": DuckdbConnection(path="warehouse.duckdb")}
    place = Place(tmp_path, "shop", "orders", workspace="test", connections=connections)
    store = DuckdbStoreConfig(connection="wh").open(place)
    assert store.path == tmp_path / "warehouse.duckdb"
    run_store(store, [orders(2)], RunType.FULL_DROP, "run-1")
    assert (tmp_path / "warehouse.duckdb").is_file()


class LocalConnection(Strict):
    type: Literal["local"] = "local"
    path: str


def test_a_connection_that_is_not_duckdb_is_a_config_error(tmp_path):
    place = Place(tmp_path, "shop", "orders", connections={"files": LocalConnection(path="x")})
    with pytest.raises(ConfigError, match="connection 'files' is not a duckdb connection"):
        DuckdbStoreConfig(connection="files").open(place)


def test_path_and_connection_together_are_a_config_error(tmp_path):
    config = DuckdbStoreConfig(path="a.duckdb", connection="wh")
    write_workspace(tmp_path, {"shop": FLOW})
    with pytest.raises(ConfigError, match="not both"):
        config.open(place_of(tmp_path))


def test_merge_is_accepted_by_the_workspace_for_a_duckdb_store(tmp_path):
    write_workspace(tmp_path, {"shop": FLOW.replace("incremental", "merge")})
    landed(tmp_path)
    assert run(tmp_path).ok
    landed(tmp_path)  # the same rows again, in new files: merged on id, not doubled
    assert run(tmp_path, run_type=RunType.MERGE).ok
    table = read_table(tmp_path / "lake.duckdb", TableName("sales", "orders"))
    assert table is not None and table.height == 7
