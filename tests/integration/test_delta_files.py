"""The delta store commits its staged parquet files as the table's data files (one commit of
add actions with statistics, no re-encoding) where they fit, and rewrites through delta-rs
where they do not (merge, new columns, widened types, partitions); what each leaves behind;
`partition_by`; a 0-row first run."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from hygge.errors import ConfigError, DataError, HyggeError
from hygge.faults import CRASH_EXIT_CODE, FAULT_POINTS, reset_faults
from hygge.stores.delta.store import DeltaStore
from hygge.types import RunType
from tests.contract.store_contract import run as publish_run
from tests.integration.test_delta_store import open_store
from tests.support.cli import hygge
from tests.support.data import content_hash, orders
from tests.support.workspace import crash, land, write_workspace

deltalake = pytest.importorskip(
    "deltalake", reason="the delta extra (pip install 'hygge-el[delta]')"
)


FLOW = (
    "home: {type: parquet, path: landing}\nstore: {type: delta, path: lake}\nentities: [orders]\n"
)


def adds(table: Path) -> list[dict[str, object]]:
    """The add actions of the table's log, oldest commit first."""
    found = []
    for commit in sorted((table / "_delta_log").glob("*.json")):
        for line in commit.read_text().splitlines():
            action = json.loads(line)
            if "add" in action:
                found.append(action["add"])
    return found


def run_files(table: Path) -> set[str]:
    return {str(p.relative_to(table)) for p in (table / "hygge-data").rglob("*") if p.is_file()}


def test_a_full_drop_commits_the_staged_files_themselves_with_their_stats(tmp_path):
    store, table = open_store(tmp_path), tmp_path / "lake" / "orders"

    publish_run(store, [orders(5), orders(3, start=5)], RunType.FULL_DROP, "r1")

    added = adds(table)
    assert [a["path"] for a in added] == [
        "hygge-data/r1/000000.parquet",
        "hygge-data/r1/000001.parquet",
    ]
    assert run_files(table) == {"hygge-data/r1/000000.parquet", "hygge-data/r1/000001.parquet"}
    stats = json.loads(str(added[1]["stats"]))
    assert stats["numRecords"] == 3
    assert stats["minValues"]["id"] == 5 and stats["maxValues"]["id"] == 7
    assert stats["nullCount"]["id"] == 0 and "customer" in stats["minValues"]
    assert deltalake.DeltaTable(str(table)).version() == 0  # one commit
    assert not (table / "_hygge_staging").exists()
    assert content_hash(pl.read_delta(str(table)).select(orders(1).columns)) == content_hash(
        orders(8)
    )


def test_stats_bound_every_value_so_readers_skip_files_rightly(tmp_path):
    store, table = open_store(tmp_path), tmp_path / "lake" / "orders"
    moment = datetime(2024, 5, 1, 12, 0, 0, 123456)
    batch = pl.DataFrame(
        {
            "id": [1, 2, None],
            "at": [moment, None, moment.replace(microsecond=999)],
            "zoned": [moment.replace(tzinfo=UTC)] * 3,
            "f": [1.5, float("nan"), 2.0],
            "s": ["a" * 40, "b", None],
        }
    )
    publish_run(store, [batch], RunType.FULL_DROP, "r1")

    stats = json.loads(str(adds(table)[0]["stats"]))
    assert stats["nullCount"] == {"id": 1, "at": 1, "zoned": 0, "f": 0, "s": 1}
    assert stats["minValues"]["at"] == "2024-05-01 12:00:00.000"  # floored to milliseconds
    assert stats["maxValues"]["at"] == "2024-05-01 12:00:00.124"  # raised: still an upper bound
    assert stats["maxValues"]["zoned"] == "2024-05-01T12:00:00.124Z"
    assert "f" not in stats["minValues"] and "s" not in stats["maxValues"]  # NaN, long string
    dt = deltalake.DeltaTable(str(table))
    picked = dt.to_pyarrow_table(filters=[("at", ">=", moment)])  # pruned by the stats
    assert picked.num_rows == 1
    assert dt.to_pyarrow_table(filters=[("id", ">", 5)]).num_rows == 0


def test_an_append_of_the_tables_columns_adds_files_and_new_columns_rewrite(tmp_path):
    store, table = open_store(tmp_path), tmp_path / "lake" / "orders"
    publish_run(store, [orders(3)], RunType.FULL_DROP, "r1")
    publish_run(open_store(tmp_path), [orders(2, start=3)], RunType.INCREMENTAL, "r2")
    wider = orders(2, start=5).with_columns(pl.lit("x").alias("note"))
    publish_run(open_store(tmp_path), [wider], RunType.INCREMENTAL, "r3")

    paths = [str(a["path"]) for a in adds(table)]
    assert paths[:2] == ["hygge-data/r1/000000.parquet", "hygge-data/r2/000000.parquet"]
    assert not paths[2].startswith("hygge-data/")  # delta-rs wrote the new column's file
    assert not (table / "hygge-data" / "r3").exists()  # the run's own files are gone
    back = pl.read_delta(str(table))
    assert back.height == 7 and back["note"].null_count() == 5


def test_batches_of_different_columns_in_one_run_are_rewritten(tmp_path):
    store, table = open_store(tmp_path), tmp_path / "lake" / "orders"
    later = orders(2, start=3).with_columns(pl.lit(1).alias("extra"))

    publish_run(store, [orders(3), later], RunType.FULL_DROP, "r1")

    assert not any(str(a["path"]).startswith("hygge-data/") for a in adds(table))
    assert run_files(table) == set()
    back = pl.read_delta(str(table))
    assert back.height == 5 and back["extra"].null_count() == 3


def test_a_merge_rewrites_and_leaves_none_of_its_files(tmp_path):
    table = tmp_path / "lake" / "orders"
    publish_run(open_store(tmp_path, key_columns=["id"]), [orders(3)], RunType.FULL_DROP, "r1")
    publish_run(open_store(tmp_path, key_columns=["id"]), [orders(2, start=2)], RunType.MERGE, "r2")

    assert pl.read_delta(str(table)).height == 4
    assert run_files(table) == {"hygge-data/r1/000000.parquet"}


def test_an_aborted_run_deletes_its_files_and_a_committed_one_keeps_them(tmp_path, monkeypatch):
    table = tmp_path / "lake" / "orders"
    store = open_store(tmp_path)
    staging = store.write(store.prepare("r1", RunType.FULL_DROP), orders(3))
    assert run_files(table) == {"hygge-data/r1/000000.parquet"}
    store.abort(staging)
    assert not (table / "hygge-data").exists() and not (table / "_delta_log").exists()

    staging = store.write(store.prepare("r2", RunType.FULL_DROP), orders(3))
    monkeypatch.setenv("HYGGE_FAULT", "during_publish:raise")  # committed, then a crash
    reset_faults()
    with pytest.raises(Exception, match="during_publish"):
        store.publish(staging)
    monkeypatch.delenv("HYGGE_FAULT")
    reset_faults()
    open_store(tmp_path).abort(staging)  # e.g. `hygge reset` after the crash

    assert run_files(table) == {"hygge-data/r2/000000.parquet"}  # the table reads it
    assert pl.read_delta(str(table)).height == 3


def test_a_stale_attempts_unlisted_file_is_discarded_and_never_committed(tmp_path):
    table = tmp_path / "lake" / "orders"
    store = open_store(tmp_path)
    staging = store.write(store.prepare("r1", RunType.FULL_DROP), orders(3))
    store.write(staging, orders(2, start=3))  # staged, but the checkpoint never listed it

    store.discard_unlisted(staging)
    store.publish(staging)

    assert run_files(table) == {"hygge-data/r1/000000.parquet"}
    assert pl.read_delta(str(table)).height == 3


def test_a_staged_file_removed_by_hand_stops_the_publish_naming_it(tmp_path):
    table = tmp_path / "lake" / "orders"
    store = open_store(tmp_path)
    staging = store.write(store.prepare("r1", RunType.FULL_DROP), orders(3))
    (table / "hygge-data" / "r1" / "000000.parquet").unlink()

    with pytest.raises(Exception, match=r"staged files \['000000.parquet'\]"):
        store.publish(staging)
    assert not (table / "_delta_log").exists()


def test_vacuum_deletes_files_a_later_full_drop_replaced(tmp_path):
    table = tmp_path / "lake" / "orders"
    publish_run(open_store(tmp_path), [orders(3)], RunType.FULL_DROP, "r1")
    publish_run(open_store(tmp_path), [orders(2)], RunType.FULL_DROP, "r2")
    dt = deltalake.DeltaTable(str(table))
    dt.vacuum(retention_hours=0, dry_run=False, enforce_retention_duration=False)
    assert run_files(table) == {"hygge-data/r2/000000.parquet"}  # r1's, replaced, is gone
    settings = {"vacuum_every": 3, "vacuum_retention_hours": 1}
    publish_run(open_store(tmp_path, **settings), [orders(2)], RunType.INCREMENTAL, "r3")

    assert run_files(table) == {"hygge-data/r2/000000.parquet", "hygge-data/r3/000000.parquet"}
    assert not (table / "hygge-data" / "r1").exists()  # hygge's vacuum drops emptied folders
    assert pl.read_delta(str(table)).height == 4


# -- partition_by ----------------------------------------------------------------------------


def test_partition_by_makes_a_partitioned_table_for_every_run_type(tmp_path):
    table = tmp_path / "lake" / "orders"
    settings = {"partition_by": ["customer"], "key_columns": ["id"]}
    publish_run(open_store(tmp_path, **settings), [orders(6)], RunType.FULL_DROP, "r1")
    publish_run(open_store(tmp_path, **settings), [orders(2, start=6)], RunType.INCREMENTAL, "r2")
    changed = orders(2, start=6).with_columns(pl.col("amount") * 0 + 1)
    publish_run(open_store(tmp_path, **settings), [changed], RunType.MERGE, "r3")

    dt = deltalake.DeltaTable(str(table))
    assert dt.metadata().partition_columns == ["customer"]
    assert all(a["partitionValues"] for a in adds(table))
    back = pl.read_delta(str(table))
    assert back.height == 8 and sorted(back["id"]) == list(range(8))
    assert run_files(table) == set()


def test_partition_by_a_column_the_data_lacks_is_refused_naming_it(tmp_path):
    store = open_store(tmp_path, partition_by=["region"])
    with pytest.raises(DataError, match=r"partition_by \['region'\] is not a column"):
        publish_run(store, [orders(2)], RunType.FULL_DROP, "r1")
    assert not (tmp_path / "lake" / "orders" / "_delta_log").exists()


def test_an_append_with_another_partitioning_is_refused_and_a_full_drop_changes_it(tmp_path):
    table = tmp_path / "lake" / "orders"
    publish_run(open_store(tmp_path), [orders(3)], RunType.FULL_DROP, "r1")
    store = open_store(tmp_path, partition_by="customer")
    with pytest.raises(DataError, match=r"partitioned by nothing .* partition_by: \['customer'\]"):
        publish_run(store, [orders(2, start=3)], RunType.INCREMENTAL, "r2")

    publish_run(open_store(tmp_path, partition_by="customer"), [orders(4)], RunType.FULL_DROP, "r3")
    assert deltalake.DeltaTable(str(table)).metadata().partition_columns == ["customer"]
    assert pl.read_delta(str(table)).height == 4


@pytest.mark.parametrize(
    ("value", "message"),
    [([" id"], "names a column ' id'"), (["id", "id"], "names id twice"), ([""], "names a column")],
)
def test_bad_partition_by_is_refused_at_load_naming_the_field(tmp_path, value, message):
    flow = FLOW.replace("path: lake}", "path: lake, partition_by: %s}")
    write_workspace(tmp_path, {"d": flow % json.dumps(value)})
    from hygge.config import load_workspace

    with pytest.raises(ConfigError, match="partition_by") as caught:
        load_workspace(tmp_path)
    assert message in str(caught.value)


# -- a 0-row first run ---------------------------------------------------------------------


def test_a_first_full_drop_of_an_empty_source_on_the_cli_creates_an_empty_table(tmp_path):
    flow = FLOW
    write_workspace(tmp_path, {"d": flow})
    land(tmp_path, "orders", "p1", orders(3).clear())

    done = hygge(tmp_path, "go")

    assert done.returncode == 0, done.stdout + done.stderr
    back = pl.read_delta(str(tmp_path / "lake" / "orders"))
    assert back.height == 0 and back.columns == orders(1).columns
    assert back.schema["updated_at"] == orders(1).schema["updated_at"]
    land(tmp_path, "orders", "p2", orders(2))
    assert hygge(tmp_path, "go").returncode == 0
    assert pl.read_delta(str(tmp_path / "lake" / "orders")).height == 2


def test_an_empty_full_drop_of_other_columns_replaces_the_tables_schema_too(tmp_path):
    """A full_drop replaces the table, schema included, even of a source of no rows."""
    write_workspace(tmp_path, {"d": FLOW})
    land(tmp_path, "orders", "p1", orders(3))
    assert hygge(tmp_path, "go").returncode == 0
    (tmp_path / "landing" / "orders" / "p1.parquet").unlink()
    other = pl.DataFrame(schema={"id": pl.Int32, "note": pl.String, "x": pl.Float32})
    land(tmp_path, "orders", "p2", other)

    done = hygge(tmp_path, "go")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "the entity is now empty" in done.stdout
    back = pl.read_delta(str(tmp_path / "lake" / "orders"))
    assert back.height == 0
    assert back.schema == other.schema


def test_an_empty_full_drop_into_a_table_hygge_did_not_write_is_refused_and_keeps_it(tmp_path):
    table = tmp_path / "lake" / "orders"
    deltalake.write_deltalake(str(table), orders(3).to_arrow())
    write_workspace(tmp_path, {"d": FLOW})
    land(tmp_path, "orders", "p1", pl.DataFrame(schema={"note": pl.String}))

    done = hygge(tmp_path, "go")

    assert done.returncode != 0
    assert "hygge did not write" in " ".join(done.stdout.split()), done.stdout
    back = pl.read_delta(str(table))
    assert back.height == 3 and back.columns == orders(1).columns


def test_an_empty_run_without_known_columns_writes_no_table(tmp_path):
    store = open_store(tmp_path)
    staging = store.prepare("r1", RunType.FULL_DROP)
    store.publish(staging)
    assert not (tmp_path / "lake" / "orders" / "_delta_log").exists()
    assert isinstance(store, DeltaStore)


@pytest.mark.parametrize("name", ["hygge-data", "_hygge_staging"])
def test_hygges_own_folder_as_a_link_is_refused_and_nothing_is_written_through_it(tmp_path, name):
    flow = FLOW
    write_workspace(tmp_path / "ws", {"d": flow})
    land(tmp_path / "ws", "orders", "p1", orders(3))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep")
    table = tmp_path / "ws" / "lake" / "orders"
    table.mkdir(parents=True)
    (table / name).symlink_to(outside)

    done = hygge(tmp_path / "ws", "go")

    assert done.returncode != 0
    assert f"{name} is a symbolic link" in done.stdout.replace("\n", " ")
    assert sorted(p.name for p in outside.iterdir()) == ["precious.txt"]
    assert not (table / "_delta_log").exists()


def test_an_empty_file_beside_files_of_rows_takes_nothing_from_them(tmp_path):
    flow = FLOW
    write_workspace(tmp_path, {"d": flow})
    land(tmp_path, "orders", "a0", orders(3).select("id").clear())  # fewer columns, no rows
    land(tmp_path, "orders", "b1", orders(4))

    done = hygge(tmp_path, "go")

    assert done.returncode == 0, done.stdout + done.stderr
    back = pl.read_delta(str(tmp_path / "lake" / "orders"))
    assert back.height == 4 and back.columns == orders(1).columns


def test_a_table_with_a_check_constraint_is_written_by_delta_rs_which_enforces_it(tmp_path):
    table = tmp_path / "lake" / "orders"
    publish_run(open_store(tmp_path), [orders(3)], RunType.FULL_DROP, "r1")
    deltalake.DeltaTable(str(table)).alter.add_constraint({"small": "id < 10"})

    with pytest.raises(HyggeError, match="failed validation check"):  # ready files would skip it
        publish_run(open_store(tmp_path), [orders(2, start=20)], RunType.INCREMENTAL, "r2")
    publish_run(open_store(tmp_path), [orders(2, start=3)], RunType.INCREMENTAL, "r3")

    assert pl.read_delta(str(table)).height == 5
    assert not str(adds(table)[-1]["path"]).startswith("hygge-data/")


def test_a_run_staged_by_an_earlier_hygge_beside_its_marker_still_publishes(tmp_path):
    from hygge.stores.delta import staged

    table = tmp_path / "lake" / "orders"
    store = open_store(tmp_path)
    staging = store.prepare("r1", RunType.FULL_DROP)
    orders(3).write_parquet(table / "_hygge_staging" / "r1" / "000000.parquet")
    extra = staged.with_schema(staging, orders(0).to_arrow().schema)
    staging = staging.model_copy(update={"artefacts": ["000000.parquet"], "extra": extra})

    store.discard_unlisted(staging)
    assert store.missing_staged(staging) == []
    store.publish(staging)

    assert pl.read_delta(str(table)).height == 3
    assert not (table / "_hygge_staging").exists() and run_files(table) == set()


@pytest.mark.parametrize("run_type", ["full_drop", "incremental"])
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_a_killed_run_then_a_rerun_leaves_only_files_the_table_reads(tmp_path, point, run_type):
    flow = FLOW.replace("path: landing}", "path: landing, batch_size: 4}")
    write_workspace(tmp_path, {"d": f"{flow}\nrun_type: {run_type}\n"})
    table = tmp_path / "lake" / "orders"
    land(tmp_path, "orders", "a", orders(6))
    assert hygge(tmp_path, "go").returncode == 0
    land(tmp_path, "orders", "b", orders(9, start=6))

    assert crash(tmp_path, point) == CRASH_EXIT_CODE
    assert hygge(tmp_path, "go").returncode == 0

    dt = deltalake.DeltaTable(str(table))
    read = set(dt.get_add_actions(flatten=True).column("path").to_pylist())
    left = run_files(table)
    assert left == read or (run_type == "full_drop" and read <= left)  # replaced ones: vacuum's
    assert all(path.startswith("hygge-data/") for path in read)
    assert not (table / "_hygge_staging").exists()
    back = pl.read_delta(str(table)).select(orders(1).columns)
    assert content_hash(back) == content_hash(orders(15))


def test_an_append_without_partition_by_keeps_the_tables_partitioning(tmp_path):
    table = tmp_path / "lake" / "orders"
    publish_run(open_store(tmp_path, partition_by="customer"), [orders(3)], RunType.FULL_DROP, "r1")

    publish_run(open_store(tmp_path), [orders(2, start=3)], RunType.INCREMENTAL, "r2")

    assert deltalake.DeltaTable(str(table)).metadata().partition_columns == ["customer"]
    assert all(a["partitionValues"] for a in adds(table))
    assert pl.read_delta(str(table)).height == 5


def test_an_abort_where_the_log_cannot_be_read_keeps_the_runs_files(tmp_path):
    table = tmp_path / "lake" / "orders"
    publish_run(open_store(tmp_path), [orders(3)], RunType.FULL_DROP, "r1")
    store = open_store(tmp_path)
    staging = store.write(store.prepare("r2", RunType.INCREMENTAL), orders(2, start=3))
    for commit in (table / "_delta_log").glob("*.json"):
        commit.write_text("{not json")

    store.abort(staging)

    assert run_files(table) == {"hygge-data/r1/000000.parquet", "hygge-data/r2/000000.parquet"}
    assert not (table / "_hygge_staging").exists()


def test_stats_cover_the_first_32_columns_as_delta_writers_do(tmp_path):
    table = tmp_path / "lake" / "orders"
    wide = pl.DataFrame({f"c{i:03d}": [i, i + 1] for i in range(40)})
    publish_run(open_store(tmp_path), [wide], RunType.FULL_DROP, "r1")

    stats = json.loads(str(adds(table)[0]["stats"]))
    assert stats["numRecords"] == 2
    assert sorted(stats["nullCount"]) == [f"c{i:03d}" for i in range(32)]
    assert stats["maxValues"]["c031"] == 32 and "c032" not in stats["minValues"]
    assert pl.read_delta(str(table)).equals(wide)


@pytest.mark.parametrize("run_type", ["full_drop", "incremental"])
def test_two_hygge_go_at_once_commit_the_source_once(tmp_path, run_type):
    from concurrent.futures import ThreadPoolExecutor

    write_workspace(tmp_path, {"d": f"{FLOW}\nrun_type: {run_type}\n"})
    table = tmp_path / "lake" / "orders"
    for part in range(4):
        land(tmp_path, "orders", f"p{part}", orders(5, start=part * 5))

    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(lambda _: hygge(tmp_path, "go"), range(2)))

    assert any(d.returncode == 0 for d in done), [d.stdout for d in done]
    back = pl.read_delta(str(table)).select(orders(1).columns)
    assert content_hash(back) == content_hash(orders(20))
    dt = deltalake.DeltaTable(str(table))
    assert set(dt.get_add_actions(flatten=True).column("path").to_pylist()) <= run_files(table)
    assert not (table / "_hygge_staging").exists()
