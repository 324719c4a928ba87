"""Session 25: a staging table a stranger dropped or emptied is never published by the
embedded SQL stores either (sqlite, duckdb), and the refusal names the whole way out: a reset,
then a full reload."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygge.errors import StateError
from hygge.stores.sql.config import SqliteStoreConfig
from hygge.types import Place, RunType
from tests.contract.store_contract import assert_same_rows, stage
from tests.support.data import orders
from tests.support.sql_stores import execute_sqlite, read_sqlite

WAY_OUT = (
    "nothing of the run can be published: `hygge reset -f sales -e orders` drops it, then "
    "`hygge go --full-drop -e sales.orders` reloads the entity"
)


@pytest.mark.parametrize("stranger", ["DROP TABLE {t}", "DELETE FROM {t}"])
def test_a_sqlite_staging_table_lost_before_publish_is_refused_naming_the_way_out(
    tmp_path: Path, stranger: str
) -> None:
    config = SqliteStoreConfig(path="lake.sqlite")
    store = config.open(Place(tmp_path, "sales", "orders", "shop"))
    store.publish(stage(store, [orders(3)], RunType.INCREMENTAL, "run-1"))
    staging = stage(store, [orders(2, start=3)], RunType.INCREMENTAL, "run-2")
    execute_sqlite(tmp_path / "lake.sqlite", stranger.format(t=f'"{staging.location}"'))

    with pytest.raises(StateError, match="gone from") as refused:
        store.publish(staging)

    assert WAY_OUT in " ".join(str(refused.value).split())
    assert_same_rows(read_sqlite(tmp_path / "lake.sqlite", "orders", orders(1).schema), orders(3))


@pytest.mark.parametrize("stranger", ["DROP TABLE {t}", "DELETE FROM {t}"])
def test_a_duckdb_staging_table_lost_before_publish_is_refused_naming_the_way_out(
    tmp_path: Path, stranger: str
) -> None:
    pytest.importorskip("duckdb")
    from hygge.stores.duckdb_names import TableName
    from hygge.stores.duckdb_store import DuckdbStoreConfig
    from tests.support.duckdb_lake import execute, read_table

    config = DuckdbStoreConfig.model_validate({"path": "lake.duckdb"})
    store = config.open(Place(tmp_path, "sales", "orders", workspace="shop"))
    store.publish(stage(store, [orders(3)], RunType.INCREMENTAL, "run-1"))
    staging = stage(store, [orders(2, start=3)], RunType.INCREMENTAL, "run-2")
    execute(tmp_path / "lake.duckdb", stranger.format(t=f'_hygge."{staging.location}"'))

    with pytest.raises(StateError, match="gone from") as refused:
        store.publish(staging)

    assert WAY_OUT in " ".join(str(refused.value).split())
    table = read_table(tmp_path / "lake.duckdb", TableName("main", "orders"), orders(1).schema)
    assert_same_rows(table, orders(3))


def test_a_duckdb_staging_table_missing_one_batchs_rows_is_never_published(tmp_path: Path):
    pytest.importorskip("duckdb")
    from hygge.stores.duckdb_store import DuckdbStoreConfig
    from tests.support.duckdb_lake import execute

    config = DuckdbStoreConfig.model_validate({"path": "lake.duckdb"})
    store = config.open(Place(tmp_path, "sales", "orders", workspace="shop"))
    staging = stage(store, [orders(2), orders(2, start=2)], RunType.INCREMENTAL, "run-1")
    execute(
        tmp_path / "lake.duckdb", f'DELETE FROM _hygge."{staging.location}" WHERE _hygge_seq = 1'
    )

    assert store.missing_staged(staging) == ["000000", "000001"]
    with pytest.raises(StateError, match="gone from"):
        store.publish(staging)


DUCKDB_FLOW = """\
home: {type: parquet, path: landing}
store: {type: duckdb, path: lake.duckdb, batch_size: 2}
run_type: incremental
watermark: {column: updated_at}
entities: [orders]
"""


@pytest.mark.parametrize("point", ["after_checkpoint", "before_publish"])
@pytest.mark.parametrize("stranger", ["DROP TABLE {t}", "DELETE FROM {t}"])
def test_a_duckdb_staging_table_lost_after_a_crash_is_read_again_not_published_empty(
    tmp_path: Path, stranger: str, point: str
) -> None:
    pytest.importorskip("duckdb")
    from hygge.stores.duckdb_database import close_databases
    from hygge.stores.duckdb_names import TableName
    from tests.support.cli import hygge
    from tests.support.duckdb_lake import execute, read_table
    from tests.support.workspace import crash, land, run, write_workspace

    root = write_workspace(tmp_path / "ws", {"shop": DUCKDB_FLOW})
    land(root, "orders", "a", orders(3))
    assert run(root).ok
    land(root, "orders", "b", orders(4, start=3))
    close_databases()  # DuckDB lets one process at a time open the file
    assert crash(root, point) == 86
    lake = root / "lake.duckdb"
    found = read_table(lake, TableName("_hygge", "stagings"))
    assert found is not None and found.height == 1
    execute(lake, stranger.format(t=f'_hygge."{found["location"][0]}"'))

    lost = run(root)

    if point == "after_checkpoint":
        # The local driver leaves the last chunk's checkpoint to the commit: the crash left
        # the begin's, which lists nothing staged, so the resumed run stages the window again.
        assert lost.ok, lost.results
        assert_same_rows(read_table(lake, TableName("main", "orders"), orders(1).schema), orders(7))
        return
    # The staging the `publishing` checkpoint lists is gone: nothing is published.
    assert not lost.ok and "gone from" in (lost.results[0].message or "")
    table = read_table(lake, TableName("main", "orders"), orders(1).schema)
    assert_same_rows(table, orders(3))
    # Publishing had begun: refused for good, the way out.
    assert WAY_OUT.replace("sales", "shop") in " ".join((lost.results[0].message or "").split())
    close_databases()
    reset = hygge(root, "reset", "--flow", "shop", "--entity", "orders", "--yes")
    assert reset.returncode == 0, reset.stdout + reset.stderr
    again = run(root, run_type=RunType.FULL_DROP)
    assert again.ok, again.results
    assert_same_rows(read_table(lake, TableName("main", "orders"), orders(1).schema), orders(7))


def test_sqlite_bookkeeping_dropped_under_a_long_lived_process_is_made_again(tmp_path: Path):
    config = SqliteStoreConfig(path="lake.sqlite")
    store = config.open(Place(tmp_path, "sales", "orders", "shop"))
    store.publish(stage(store, [orders(3)], RunType.INCREMENTAL, "run-1"))
    execute_sqlite(tmp_path / "lake.sqlite", "DROP TABLE _hygge_runs", "DROP TABLE _hygge_stagings")

    store.publish(stage(store, [orders(2, start=3)], RunType.INCREMENTAL, "run-2"))

    assert_same_rows(read_sqlite(tmp_path / "lake.sqlite", "orders", orders(1).schema), orders(5))


@pytest.mark.parametrize(
    ("store", "table"),
    [
        pytest.param("sqlite", "_hygge_stage_0123abcd", id="sqlite-staging-name"),
        pytest.param("sqlite", "_HYGGE_Stagings", id="sqlite-bookkeeping-other-case"),
        pytest.param("duckdb", "_hygge.stage_0123abcd", id="duckdb-staging-name"),
        pytest.param("duckdb", '"_HYGGE"."owners"', id="duckdb-bookkeeping-other-case"),
    ],
)
def test_a_user_table_named_like_hygges_staging_is_refused_before_anything_runs(
    tmp_path: Path, store: str, table: str
) -> None:
    from tests.support.workspace import land, run, write_workspace

    if store == "duckdb":
        pytest.importorskip("duckdb")
    quoted = "'" + table.replace("'", "''") + "'"
    flow = (
        "home: {type: parquet, path: landing}\n"
        f"store: {{type: {store}, path: lake.{store}, table: {quoted}}}\nentities: [orders]\n"
    )
    root = write_workspace(tmp_path / "ws", {"shop": flow})
    land(root, "orders", "a", orders(2))

    (refused,) = run(root).results

    assert refused.error_type == "ConfigError", refused
    assert "own bookkeeping" in (refused.message or "")
    assert not (root / f"lake.{store}").exists()  # nothing was written
