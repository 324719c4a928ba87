"""FileStore: staging layout, file names, atomic publish, and the errors a user can act on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError

import hygge.io.atomic
import hygge.storage.local
import hygge.stores.file_store
from hygge.errors import ConfigError, DataError, InjectedFault, StateError
from hygge.faults import reset_faults
from hygge.stores.base import Staging
from hygge.stores.file_marker import MARKER
from hygge.stores.file_publish import OPEN
from hygge.stores.file_store import FileStore, open_file_store
from hygge.stores.files import LocalStoreConfig, ParquetStoreConfig
from hygge.types import Place, RunType
from tests.support.data import orders, split_rows

STARTED = dt.datetime(2024, 5, 17, 8, 30, 5, tzinfo=dt.UTC)


def open_store(root: Path, entity: str = "orders", **config: Any) -> FileStore:
    settings = {"path": f"lake/{entity}", **config}
    return open_file_store(
        LocalStoreConfig(**settings), Place(root, "sales", entity), clock=lambda: STARTED
    )


def names(folder: Path) -> list[str]:
    """Data files in `folder`: everything but the store's markers (`_hygge_…`)."""
    found = folder.iterdir() if folder.exists() else []
    return sorted(p.name for p in found if p.name != MARKER and not p.name.startswith("_hygge_"))


def run(store: FileStore, frames: list[pl.DataFrame], run_type: RunType, run_id: str) -> Staging:
    staging = store.prepare(run_id, run_type)
    for frame in frames:
        staging = store.write(staging, frame)
    store.publish(staging)
    return staging


def test_staging_is_a_sibling_area_that_readers_of_the_entity_never_see(tmp_path):
    store = open_store(tmp_path)
    staging = store.prepare("run-1", RunType.FULL_DROP)
    staging = store.write(staging, orders(3))
    assert Path(staging.location) == tmp_path / "lake" / "_hygge_staging" / "orders" / "run-1"
    assert names(Path(staging.location)) == ["00000000000000000000.parquet"]
    assert not (tmp_path / "lake" / "orders").exists()


def test_paths_resolve_against_the_workspace_root_not_the_current_directory(tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    run(open_store(tmp_path / "ws"), [orders(2)], RunType.FULL_DROP, "run-1")
    assert names(tmp_path / "ws" / "lake" / "orders") == ["00000000000000000000.parquet"]
    assert names(elsewhere) == []


def test_publish_removes_the_staging_area_once_empty(tmp_path):
    run(open_store(tmp_path), [orders(2)], RunType.FULL_DROP, "run-1")
    assert names(tmp_path / "lake") == ["orders"]


def test_publish_keeps_the_staging_area_another_entity_still_uses(tmp_path):
    other = open_store(tmp_path, entity="customers")
    pending = other.prepare("run-9", RunType.FULL_DROP)
    run(open_store(tmp_path), [orders(2)], RunType.FULL_DROP, "run-1")
    assert names(tmp_path / "lake" / "_hygge_staging") == ["customers"]
    assert Path(pending.location).is_dir()


def test_full_drop_names_files_by_a_zero_padded_sequence(tmp_path):
    run(open_store(tmp_path), split_rows(orders(5), 2), RunType.FULL_DROP, "run-1")
    assert names(tmp_path / "lake" / "orders") == [f"{i:020d}.parquet" for i in range(3)]


def test_incremental_names_carry_run_start_and_run_id_so_runs_never_collide(tmp_path):
    store = open_store(tmp_path)
    run(store, [orders(2)], RunType.INCREMENTAL, "0123456789abcdef0123")
    run(store, [orders(2)], RunType.INCREMENTAL, "fedcba9876543210fedc")
    assert names(tmp_path / "lake" / "orders") == [
        "20240517T083005Z_0123456789ab_00000.parquet",
        "20240517T083005Z_fedcba987654_00000.parquet",
    ]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        pytest.param("{flow}_{entity}_{sequence:03d}.csv", "sales_orders_000.csv", id="new-names"),
        pytest.param(
            "{flow_name}-{name}-{sequence}.csv", "sales-orders-0.csv", id="original-names"
        ),
        pytest.param("part-{sequence:04d}", "part-0000.csv", id="extension-added"),
        pytest.param("{timestamp}-{sequence}.csv", "20240517T083005Z-0.csv", id="timestamp"),
    ],
)
def test_file_pattern_placeholders_render_the_file_name(tmp_path, pattern, expected):
    store = open_store(tmp_path, format="csv", file_pattern=pattern)
    run(store, [orders(1)], RunType.FULL_DROP, "run-1")
    assert names(tmp_path / "lake" / "orders") == [expected]


def test_an_unknown_placeholder_is_refused_by_the_config_naming_the_pattern(tmp_path):
    with pytest.raises(
        ValidationError, match=r"\{sequence\}-\{table\}.*unknown placeholder \{table\}"
    ):
        open_store(tmp_path, file_pattern="{sequence}-{table}.parquet")


def test_a_pattern_making_hidden_names_is_refused_by_the_config(tmp_path):
    with pytest.raises(ValidationError, match="hidden"):
        open_store(tmp_path, file_pattern="_{sequence}.parquet")


def test_incremental_pattern_without_run_id_continues_after_the_highest_published_sequence(
    tmp_path,
):
    store = open_store(tmp_path, file_pattern="{entity}_{sequence:03d}.parquet")
    run(store, split_rows(orders(4), 2), RunType.INCREMENTAL, "run-1")
    staging = run(store, split_rows(orders(4), 2), RunType.INCREMENTAL, "run-2")
    assert staging.artefacts == ["orders_002.parquet", "orders_003.parquet"]
    assert names(tmp_path / "lake" / "orders") == [f"orders_{i:03d}.parquet" for i in range(4)]


def test_incremental_write_refuses_a_name_already_published(tmp_path):
    store = open_store(tmp_path, file_pattern="{sequence}.parquet")
    staging = store.prepare("run-1", RunType.INCREMENTAL)
    (tmp_path / "lake" / "orders").mkdir(parents=True)
    orders(1).write_parquet(tmp_path / "lake" / "orders" / "0.parquet")
    with pytest.raises(StateError, match="never overwrites"):
        store.write(staging, orders(2))


def test_incremental_publish_refuses_a_collision_and_publishes_nothing(tmp_path):
    store = open_store(tmp_path, file_pattern="{sequence}.parquet")
    store.publish(store.prepare("run-0", RunType.INCREMENTAL))  # the folder is the store's
    staging = store.prepare("run-1", RunType.INCREMENTAL)
    for frame in split_rows(orders(4), 2):
        staging = store.write(staging, frame)
    target = tmp_path / "lake" / "orders"
    orders(1).write_parquet(target / "1.parquet")  # appears between write and publish
    with pytest.raises(StateError, match="never overwrites"):
        store.publish(staging)
    assert names(target) == ["1.parquet"]
    assert names(Path(staging.location)) == ["0.parquet", "1.parquet"]


@pytest.mark.parametrize("run_type", [RunType.FULL_DROP, RunType.INCREMENTAL])
def test_a_staged_file_lost_before_publish_is_a_state_error_not_silent_loss(tmp_path, run_type):
    store = open_store(tmp_path)
    staging = store.prepare("run-1", run_type)
    for frame in split_rows(orders(4), 2):
        staging = store.write(staging, frame)
    (Path(staging.location) / staging.artefacts[1]).unlink()
    with pytest.raises(StateError, match="lost"):
        store.publish(staging)


def test_publishing_a_staging_whose_folder_vanished_is_a_state_error(tmp_path):
    store = open_store(tmp_path)
    staging = store.prepare("run-1", RunType.FULL_DROP)
    hygge.io.atomic.remove_tree(Path(staging.location))
    with pytest.raises(StateError, match="is gone"):
        store.publish(staging)


def test_full_drop_readers_see_the_old_or_the_new_set_in_one_exchange(tmp_path, monkeypatch):
    store = open_store(tmp_path)
    run(store, split_rows(orders(4), 2), RunType.FULL_DROP, "run-1")
    old = names(tmp_path / "lake" / "orders")
    staging = store.prepare("run-2", RunType.FULL_DROP)
    staging = store.write(staging, orders(1))
    seen: list[list[str]] = []
    exchange = hygge.storage.local.exchange_dirs

    def observed_exchange(a: Path, b: Path) -> bool:
        seen.append(names(tmp_path / "lake" / "orders"))
        done = exchange(a, b)
        seen.append(names(tmp_path / "lake" / "orders"))
        return done

    monkeypatch.setattr(hygge.storage.local, "exchange_dirs", observed_exchange)
    store.publish(staging)
    assert seen == [old, ["00000000000000000000.parquet"]]
    assert pl.read_parquet(tmp_path / "lake" / "orders" / "*.parquet").height == 1


def test_abort_after_a_fallback_swap_died_halfway_restores_the_old_set(tmp_path, monkeypatch):
    store = open_store(tmp_path)
    run(store, [orders(3)], RunType.FULL_DROP, "run-1")
    staging = store.write(store.prepare("run-2", RunType.FULL_DROP), orders(1))
    with monkeypatch.context() as patch:
        patch.setattr(hygge.io.atomic, "_renameat2", lambda src, dst, flags: False)
        aside_folder = Path(staging.location).parent  # synced right after the first rename
        real_fsync = hygge.storage.local.fsync_dir
        patch.setattr(
            hygge.storage.local,
            "fsync_dir",
            lambda path: _raise_injected(path) if path == aside_folder else real_fsync(path),
        )
        with pytest.raises(InjectedFault):
            store.publish(staging)
    assert not (tmp_path / "lake" / "orders").exists()  # between the two renames
    store.abort(staging)
    assert pl.read_parquet(tmp_path / "lake" / "orders" / "*.parquet").height == 3
    assert names(tmp_path / "lake") == ["orders"]


def test_abort_removes_the_staging_folder_and_is_idempotent(tmp_path):
    store = open_store(tmp_path)
    staging = store.write(store.prepare("run-1", RunType.FULL_DROP), orders(2))
    store.abort(staging)
    store.abort(staging)
    assert names(tmp_path / "lake") == []


def test_writing_to_an_aborted_staging_is_a_state_error(tmp_path):
    store = open_store(tmp_path)
    staging = store.prepare("run-1", RunType.FULL_DROP)
    store.abort(staging)
    with pytest.raises(StateError, match="missing"):
        store.write(staging, orders(1))


def test_discard_unlisted_removes_partial_and_uncheckpointed_files(tmp_path):
    store = open_store(tmp_path)
    checkpoint = store.write(store.prepare("run-1", RunType.FULL_DROP), orders(2))
    store.write(checkpoint, orders(2))
    (Path(checkpoint.location) / ".00000000000000000002.parquet.ab12cd34.tmp").write_bytes(b"x")
    store.discard_unlisted(checkpoint)
    assert names(Path(checkpoint.location)) == checkpoint.artefacts


def test_prepare_clears_a_leftover_of_the_same_run_that_never_checkpointed(tmp_path):
    store = open_store(tmp_path)
    store.write(store.prepare("run-1", RunType.FULL_DROP), orders(2))
    staging = store.prepare("run-1", RunType.FULL_DROP)
    assert names(Path(staging.location)) == []


def test_file_stores_refuse_merge(tmp_path):
    with pytest.raises(ConfigError, match="full_drop and incremental"):
        open_store(tmp_path).prepare("run-1", RunType.MERGE)


def test_csv_refuses_nested_columns_naming_them_and_suggesting_parquet(tmp_path):
    store = open_store(tmp_path, format="csv")
    staging = store.prepare("run-1", RunType.FULL_DROP)
    frame = pl.DataFrame({"id": [1], "tags": [["a", "b"]], "address": [{"city": "Aarhus"}]})
    with pytest.raises(DataError, match=r"tags \(List.*address \(Struct.*parquet"):
        store.write(staging, frame)
    assert names(Path(staging.location)) == []


def test_ndjson_refuses_nan_which_json_would_turn_into_null(tmp_path):
    store = open_store(tmp_path, format="ndjson")
    staging = store.prepare("run-1", RunType.FULL_DROP)
    with pytest.raises(DataError, match=r"NaN.*ratio"):
        store.write(staging, pl.DataFrame({"ratio": [1.0, float("nan")]}))


def test_parquet_compression_and_format_options_reach_the_writer(tmp_path):
    store = open_file_store(
        ParquetStoreConfig(
            path="lake/orders", compression="zstd", format_options={"row_group_size": 2}
        ),
        Place(tmp_path, "sales", "orders"),
    )
    run(store, [orders(5)], RunType.FULL_DROP, "run-1")
    metadata = pq.ParquetFile(tmp_path / "lake" / "orders" / f"{0:020d}.parquet").metadata
    assert metadata.num_row_groups == 3
    assert metadata.row_group(0).column(0).compression == "ZSTD"


def test_parquet_defaults_to_snappy(tmp_path):
    run(open_store(tmp_path), [orders(2)], RunType.FULL_DROP, "run-1")
    metadata = pq.ParquetFile(tmp_path / "lake" / "orders" / f"{0:020d}.parquet").metadata
    assert metadata.row_group(0).column(0).compression == "SNAPPY"


def test_an_unknown_format_option_is_refused_by_the_config_with_the_nearest_option(tmp_path):
    with pytest.raises(ValidationError, match=r"'row_groupsize' \(did you mean 'row_group_size'"):
        open_store(tmp_path, format_options={"row_groupsize": 10})


def test_options_hygge_controls_are_refused(tmp_path):
    with pytest.raises(ValidationError, match="partition_by"):
        open_store(tmp_path, format_options={"partition_by": "id"})


def test_compression_set_twice_to_different_codecs_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="compression is set twice"):
        open_store(tmp_path, compression="zstd", format_options={"compression": "gzip"})


def test_check_reports_a_store_path_that_is_a_file(tmp_path):
    (tmp_path / "lake").mkdir()
    (tmp_path / "lake" / "orders").write_text("not a folder")
    store = open_store(tmp_path)
    assert store.check() == [
        f"store path {tmp_path / 'lake' / 'orders'} is a file; a file store needs a folder"
    ]
    with pytest.raises(StateError, match="is a file"):
        store.prepare("run-1", RunType.FULL_DROP)


def test_check_is_clean_for_a_new_store_under_a_writable_root(tmp_path):
    assert open_store(tmp_path).check() == []


def test_describe_names_the_format_and_configured_path(tmp_path):
    assert open_store(tmp_path, format="csv").describe() == "csv lake/orders"


def test_publish_fsyncs_the_folders_whose_entries_changed(tmp_path, monkeypatch):
    synced: list[Path] = []
    monkeypatch.setattr(hygge.io.atomic, "fsync_dir", synced.append)
    monkeypatch.setattr(hygge.stores.file_store, "fsync_dir", synced.append)
    monkeypatch.setattr(hygge.storage.local, "fsync_dir", synced.append)
    store = open_store(tmp_path)
    staging = store.write(store.prepare("run-1", RunType.FULL_DROP), orders(1))
    synced.clear()
    store.publish(staging)
    assert tmp_path / "lake" in synced  # the exchange / rename into place is durable


def test_a_full_drop_over_a_published_folder_fsyncs_each_folder_once(tmp_path, monkeypatch):
    """The exchange syncs the entity's folder; the staging side is synced once, by the
    clean-up that removes the old set the exchange put there (one rename: both are durable)."""
    store = open_store(tmp_path)
    run(store, [orders(2)], RunType.FULL_DROP, "run-1")
    synced = _record_syncs(monkeypatch)
    staging = store.write(store.prepare("run-2", RunType.FULL_DROP), orders(3))
    synced.clear()
    store.publish(staging)

    staging_root = tmp_path / "lake" / "_hygge_staging" / "orders"
    run_folder = staging_root / "run-2"
    assert sorted(synced) == sorted([run_folder, tmp_path / "lake", staging_root])
    assert pl.read_parquet(tmp_path / "lake" / "orders" / "*.parquet").equals(orders(3))
    assert not staging_root.exists()


def _raise_injected(path: Path) -> None:
    raise InjectedFault(f"crash while syncing {path}")


@pytest.mark.parametrize("run_type", [RunType.FULL_DROP, RunType.INCREMENTAL])
def test_the_during_publish_fault_point_leaves_a_state_that_publish_completes(
    tmp_path, monkeypatch, run_type
):
    store = open_store(tmp_path)
    staging = store.prepare("run-1", run_type)
    for frame in split_rows(orders(6), 2):
        staging = store.write(staging, frame)
    monkeypatch.setenv("HYGGE_FAULT", "during_publish:raise")
    reset_faults()
    with pytest.raises(InjectedFault, match="during_publish"):
        store.publish(staging)
    monkeypatch.delenv("HYGGE_FAULT")
    store.publish(staging)
    assert pl.read_parquet(tmp_path / "lake" / "orders" / "*.parquet").sort("id").equals(orders(6))
    assert names(tmp_path / "lake") == ["orders"]


def _record_syncs(monkeypatch) -> list[Path]:
    synced: list[Path] = []
    monkeypatch.setattr(hygge.io.atomic, "fsync_dir", synced.append)
    monkeypatch.setattr(hygge.stores.file_store, "fsync_dir", synced.append)
    monkeypatch.setattr(hygge.storage.local, "fsync_dir", synced.append)
    return synced


def test_prepare_fsyncs_the_parent_of_every_folder_it_creates(tmp_path, monkeypatch):
    synced = _record_syncs(monkeypatch)
    root = tmp_path / "new" / "workspace"
    open_store(root).prepare("run-1", RunType.FULL_DROP)
    staging_root = root / "lake" / "_hygge_staging" / "orders"
    # new, workspace, lake, _hygge_staging, orders and run-1 were all created: each entry durable
    for created in [tmp_path / "new", root, root / "lake", staging_root.parent, staging_root]:
        assert created.parent in synced, created
    assert staging_root in synced


def test_prepare_leaves_the_run_folders_own_entries_to_the_first_chunks_sync(tmp_path, monkeypatch):
    """The open marker's entry is made durable by the `sync` of the same folder that every
    first chunk makes (rows or none), before a synced checkpoint can list the staging."""
    store = open_store(tmp_path)
    synced = _record_syncs(monkeypatch)
    staging = store.prepare("run-1", RunType.FULL_DROP)
    run_folder = tmp_path / "lake" / "_hygge_staging" / "orders" / "run-1"
    assert run_folder not in synced
    assert (run_folder / OPEN).read_bytes() == b"run-1"
    store.sync(staging)
    assert synced.count(run_folder) == 1


@pytest.mark.parametrize("run_type", [RunType.FULL_DROP, RunType.INCREMENTAL])
def test_a_run_into_a_deep_new_entity_path_fsyncs_the_parent_of_each_new_folder(
    tmp_path, monkeypatch, run_type
):
    synced = _record_syncs(monkeypatch)
    store = open_store(tmp_path, path="lake/sales/eu/orders")
    run(store, [orders(1)], run_type, "run-1")
    entity = tmp_path / "lake" / "sales" / "eu" / "orders"
    assert entity.is_dir()
    for created in list(entity.parents)[:3]:  # eu, sales, lake: new entries of their parents
        assert created.parent in synced, created
    assert entity.parent in synced  # orders itself, wherever it came from
