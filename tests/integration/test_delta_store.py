"""`type: delta` as a user runs it: YAML, `hygge go`, merge, schema evolution, ownership,
app transactions, the watermark read back from the table, conflicts, optimize and vacuum.
Tables are read back with polars (`pl.read_delta`) and DuckDB (over the table's Arrow data;
DuckDB's delta extension downloads itself, which tests cannot)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.errors import (
    ConfigError,
    DataError,
    HyggeError,
    RetryableError,
    StoreOwnershipError,
)
from hygge.stores.delta import DeltaStoreConfig
from hygge.stores.delta.store import DeltaStore
from hygge.types import Place, RunType
from tests.contract.store_contract import run as publish_run
from tests.contract.test_delta_store_contract import read_delta
from tests.integration.test_fault_matrix_delta import hygge_commits
from tests.support.cli import hygge
from tests.support.data import content_hash, orders
from tests.support.workspace import land, run, state_of, write_workspace

deltalake = pytest.importorskip(
    "deltalake", reason="the delta extra (pip install 'hygge-el[delta]')"
)

FLOW = """\
home: {type: parquet, path: landing}
store: {type: delta, path: lake/delta%s}
run_type: %s
key_columns: [id]
watermark: {column: updated_at}
entities: [orders]
"""


def workspace(root: Path, run_type: str = "incremental", extra: str = "") -> Path:
    write_workspace(root, {"shop": FLOW % (extra, run_type)})
    return root / "lake" / "delta" / "orders"


def open_store(root: Path, **settings: object) -> DeltaStore:
    config = DeltaStoreConfig.model_validate({"path": "lake/orders", **settings})
    store: DeltaStore = config.open(Place(root, "sales", "orders", workspace="shop"))
    return store


def test_hygge_go_writes_a_delta_table_polars_and_duckdb_read(tmp_path):
    table = workspace(tmp_path)
    land(tmp_path, "orders", "a", orders(5))
    done = hygge(tmp_path, "go")
    assert done.returncode == 0, done.stdout + done.stderr
    land(tmp_path, "orders", "b", orders(3, start=5))
    assert hygge(tmp_path, "go").returncode == 0

    by_polars = read_delta(table, orders(1).schema)
    assert by_polars is not None and content_hash(by_polars) == content_hash(orders(8))
    duckdb = pytest.importorskip("duckdb")
    arrow = deltalake.DeltaTable(str(table)).to_pyarrow_table()
    count = duckdb.from_arrow(arrow).aggregate("count(*), count(DISTINCT id)").fetchall()
    assert count == [(8, 8)]
    assert len(hygge_commits(table)) == 2
    assert deltalake.DeltaTable(str(table)).version() == 1  # one Delta commit per run


def test_merge_updates_matching_keys_and_inserts_the_rest(tmp_path):
    table = workspace(tmp_path, "merge")
    land(tmp_path, "orders", "a", orders(6))
    assert run(tmp_path).ok
    changed = orders(4, start=4).with_columns(
        pl.col("customer") + "-changed", pl.col("updated_at").dt.offset_by("1h")
    )  # ids 4, 5 change; 6, 7 are new
    land(tmp_path, "orders", "b", changed)
    assert run(tmp_path).ok

    merged = read_delta(table, orders(1).schema)
    expected = pl.concat([orders(4), changed])
    assert merged is not None and merged.height == 8
    assert content_hash(merged) == content_hash(expected)
    history = deltalake.DeltaTable(str(table)).history(1)[0]
    assert history["operation"] == "MERGE"
    assert history["operationMetrics"]["num_target_rows_updated"] == 2


def test_merge_keeps_the_last_staged_row_of_a_key(tmp_path):
    store = open_store(tmp_path, key_columns=["id"])
    publish_run(store, [orders(3)], RunType.FULL_DROP, "run-1")
    first = orders(1, start=1).with_columns(customer=pl.lit("first"))
    last = orders(1, start=1).with_columns(customer=pl.lit("last"))
    publish_run(open_store(tmp_path, key_columns=["id"]), [first, last], RunType.MERGE, "run-2")
    merged = read_delta(tmp_path / "lake" / "orders")
    assert merged is not None and merged.height == 3
    assert merged.filter(pl.col("id") == 1)["customer"].to_list() == ["last"]


def test_each_run_commits_the_next_app_transaction_version_once(tmp_path):
    store = open_store(tmp_path)
    publish_run(store, [orders(2)], RunType.FULL_DROP, "run-1")
    staging = store.prepare("run-2", RunType.INCREMENTAL)
    staging = store.write(staging, orders(2, start=2))
    store.publish(staging)
    store.publish(staging)  # after a crash: nothing more is committed
    table = deltalake.DeltaTable(str(tmp_path / "lake" / "orders"))
    assert table.transaction_version(store.app) == 2
    assert table.version() == 1
    assert store.app == "hygge:shop/sales/orders"


def test_new_columns_are_added_and_safe_widenings_written(tmp_path):
    store = open_store(tmp_path)
    publish_run(store, [orders(2)], RunType.FULL_DROP, "run-1")
    more = orders(2, start=2).with_columns(pl.col("id").cast(pl.Int32), note=pl.lit("new"))
    publish_run(open_store(tmp_path), [more], RunType.INCREMENTAL, "run-2")
    table = read_delta(tmp_path / "lake" / "orders")
    assert table is not None
    assert table.schema["id"] == pl.Int64 and table.schema["note"] == pl.String
    assert table.sort("id")["note"].to_list() == [None, None, "new", "new"]


def test_a_column_that_does_not_fit_is_refused_naming_it_and_both_types(tmp_path):
    store = open_store(tmp_path)
    publish_run(store, [orders(2)], RunType.FULL_DROP, "run-1")
    wrong = orders(1, start=2).with_columns(pl.col("amount").cast(pl.String))
    with pytest.raises(DataError, match=r"column amount is double in the table but string"):
        publish_run(open_store(tmp_path), [wrong], RunType.INCREMENTAL, "run-2")
    assert deltalake.DeltaTable(str(tmp_path / "lake" / "orders")).version() == 0


def test_full_drop_replaces_the_schema(tmp_path):
    publish_run(open_store(tmp_path), [orders(2)], RunType.FULL_DROP, "run-1")
    other = pl.DataFrame({"id": ["a", "b", "c"]})
    publish_run(open_store(tmp_path), [other], RunType.FULL_DROP, "run-2")
    table = read_delta(tmp_path / "lake" / "orders")
    assert table is not None and table.schema == pl.Schema({"id": pl.String})


def test_a_delta_table_hygge_did_not_write_is_refused_naming_it(tmp_path):
    deltalake.write_deltalake(str(tmp_path / "lake" / "orders"), orders(2).to_arrow())
    with pytest.raises(StoreOwnershipError, match=r"Delta table .* holds 2 entries .*_delta_log"):
        open_store(tmp_path).prepare("run-1", RunType.FULL_DROP)


def test_adopt_existing_takes_over_a_foreign_delta_table_and_marks_it(tmp_path):
    deltalake.write_deltalake(str(tmp_path / "lake" / "orders"), orders(2).to_arrow())
    publish_run(open_store(tmp_path, adopt_existing=True), [orders(3)], RunType.FULL_DROP, "r1")
    assert open_store(tmp_path).ownership_problem() is None  # marked: no flag needed now
    assert (tmp_path / "lake" / "orders" / "_hygge_store.json").is_file()


def test_a_folder_of_other_files_is_refused_even_with_adopt_existing(tmp_path):
    folder = tmp_path / "lake" / "orders"
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("mine")
    store = open_store(tmp_path, adopt_existing=True)
    with pytest.raises(
        StoreOwnershipError, match=r"holds 1 entry and no Delta table \(notes.txt\)"
    ):
        store.prepare("run-1", RunType.FULL_DROP)
    assert (folder / "notes.txt").read_text() == "mine"


def test_another_entitys_table_is_refused(tmp_path):
    publish_run(open_store(tmp_path), [orders(2)], RunType.FULL_DROP, "run-1")
    config = DeltaStoreConfig(path="lake/orders")
    other = config.open(Place(tmp_path, "sales", "returns", workspace="shop"))
    assert "belongs to entity sales.orders" in (other.ownership_problem() or "")


def test_a_symlinked_folder_is_judged_where_it_points(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    deltalake.write_deltalake(str(elsewhere), orders(2).to_arrow())
    (tmp_path / "lake").mkdir()
    (tmp_path / "lake" / "orders").symlink_to(elsewhere)
    store = open_store(tmp_path)
    assert "Delta table ./elsewhere already holds 2 entries" in (store.ownership_problem() or "")
    assert store.identity() == "delta ./elsewhere"


def test_the_watermark_is_read_back_from_the_table_when_state_lost_it(tmp_path, caplog):
    table = workspace(tmp_path)
    land(tmp_path, "orders", "a", orders(4))
    assert run(tmp_path).ok
    state = state_of(load_workspace(tmp_path))
    assert state.clear_watermark("shop", "orders")  # state lost it; the table's commit has it
    land(tmp_path, "orders", "b", orders(2, start=4))
    assert run(tmp_path).ok
    assert "the store's completion marker names run" in caplog.text
    published = read_delta(table, orders(1).schema)
    assert published is not None and content_hash(published) == content_hash(orders(6))


def test_a_commit_conflict_is_retried_then_reported_as_retryable(tmp_path, monkeypatch):
    publish_run(open_store(tmp_path), [orders(2)], RunType.FULL_DROP, "run-1")
    store = open_store(tmp_path)
    staging = store.write(store.prepare("run-2", RunType.INCREMENTAL), orders(1, start=2))
    real, calls = DeltaStore._commit, []

    def conflicting(self, *args):
        calls.append(1)
        if len(calls) < 3:
            raise deltalake.exceptions.CommitFailedError("concurrent append")
        real(self, *args)

    monkeypatch.setattr(DeltaStore, "_commit", conflicting)
    store.publish(staging)
    assert len(calls) == 3
    monkeypatch.setattr(
        DeltaStore,
        "_commit",
        lambda *a: (_ for _ in ()).throw(deltalake.exceptions.CommitFailedError("conflict")),
    )
    blocked = store.write(store.prepare("run-3", RunType.INCREMENTAL), orders(1, start=3))
    with pytest.raises(RetryableError, match="another writer committed to the table 4 times"):
        store.publish(blocked)
    published = read_delta(tmp_path / "lake" / "orders")
    assert published is not None and published.height == 3


def test_optimize_and_vacuum_run_after_every_nth_publish(tmp_path):
    settings = {"optimize_every": 2, "vacuum_every": 2, "vacuum_retention_hours": 1}
    for number in range(2):
        store = open_store(tmp_path, **settings)
        publish_run(store, [orders(2, start=2 * number)], RunType.INCREMENTAL, f"run-{number}")
    operations = [
        h["operation"] for h in deltalake.DeltaTable(str(tmp_path / "lake" / "orders")).history()
    ]
    assert "OPTIMIZE" in operations
    published = read_delta(tmp_path / "lake" / "orders")
    assert published is not None and published.height == 4


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        pytest.param({"path": "s3://bucket/t"}, "scheme 's3://'", id="scheme"),
        pytest.param({"path": "az://lake/t"}, "needs `connection:`", id="az-without-account"),
        # (abfss://x@acct.dfs.core.windows.net is container x: the entity is its folder)
        pytest.param({"path": "https://acct.dfs.core.windows.net"}, "no folder", id="no-folder"),
        pytest.param({"path": "t", "optimize_every": 0}, "optimize_every", id="optimize-zero"),
        pytest.param({"path": "t", "optimise": 1}, "optimise", id="unknown-key"),
        pytest.param(
            {"path": "t", "credential": "sas", "sas": "${S}"},
            "credential fields are for a table in Azure at a full address",
            id="credential-on-a-local-path",
        ),
        pytest.param(
            {"path": "az://lake/t", "connection": "lake", "credential": "sas", "sas": "${S}"},
            "names the account and its credential",
            id="credential-with-connection",
        ),
        pytest.param(
            {"path": "abfss://c@acct.dfs.core.windows.net/t", "credential": "service_principal"},
            "needs `tenant_id",
            id="credential-lacking-a-field",
        ),
    ],
)
def test_bad_store_settings_are_refused_naming_the_field(tmp_path, settings, message):
    flow = "home: {type: parquet, path: landing}\nstore: %s\nentities: [orders]\n"
    block = "{" + ", ".join(f"{k}: '{v}'" for k, v in {"type": "delta", **settings}.items()) + "}"
    write_workspace(tmp_path, {"shop": flow % block})
    with pytest.raises(ConfigError, match=message):
        load_workspace(tmp_path)


def test_a_full_address_with_its_own_credential_loads(tmp_path):
    path = "abfss://c@acct.dfs.core.windows.net/tables"
    flow = "home: {type: parquet, path: landing}\nstore: %s\nentities: [orders]\n"
    block = (
        f"{{type: delta, path: '{path}', credential: storage_key, storage_account_key: '${{K}}'}}"
    )
    write_workspace(tmp_path, {"shop": flow % block})
    store = load_workspace(tmp_path).entities[0].store
    assert store.path == f"{path}/orders" and store.credential == "storage_key"


def test_merge_without_key_columns_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="merge needs key_columns"):
        open_store(tmp_path).prepare("run-1", RunType.MERGE)


@pytest.mark.parametrize("run_type", [RunType.INCREMENTAL, RunType.MERGE, RunType.FULL_DROP])
def test_two_attempts_publishing_one_run_at_once_commit_it_once(tmp_path, monkeypatch, run_type):
    publish_run(open_store(tmp_path, key_columns=["id"]), [orders(3)], RunType.FULL_DROP, "r1")
    path = tmp_path / "lake" / "orders"
    first, second = open_store(tmp_path, key_columns=["id"]), open_store(tmp_path)
    staging = first.write(first.prepare("run-2", run_type), orders(2, start=3))
    stale = deltalake.DeltaTable(str(path))  # what the slower attempt read before the other won
    monkeypatch.setattr(DeltaStore, "_clean", lambda self, staging, **_: None)
    first.publish(staging)  # the faster attempt commits the run
    snapshots = iter([stale, stale])  # the slower one checks, and writes, on its old snapshot
    real = DeltaStore._table
    monkeypatch.setattr(DeltaStore, "_table", lambda self: next(snapshots, None) or real(self))
    second.config = first.config
    second.publish(staging)

    table = deltalake.DeltaTable(str(path))
    assert table.version() == 1, "the slower attempt committed nothing"
    published = read_delta(path, orders(1).schema)
    expected = orders(2, start=3) if run_type is RunType.FULL_DROP else orders(5)
    assert published is not None and content_hash(published) == content_hash(expected)


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        pytest.param(OSError("connection reset"), RetryableError, id="storage-retryable"),
        pytest.param(deltalake.exceptions.DeltaError("bad"), HyggeError, id="delta-error"),
    ],
)
def test_a_failed_commit_says_which_table_and_whether_to_retry(
    tmp_path, monkeypatch, raised, expected
):
    store = open_store(tmp_path)
    staging = store.write(store.prepare("run-1", RunType.FULL_DROP), orders(1))

    def failing(self, *args):
        raise raised

    monkeypatch.setattr(DeltaStore, "_commit", failing)
    with pytest.raises(expected, match=r"Delta table \./lake/orders: .*nothing of this"):
        store.publish(staging)
    assert read_delta(tmp_path / "lake" / "orders") is None
