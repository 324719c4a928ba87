"""The fault matrix for the Open Mirroring store (`type: open_mirroring`).

Every named fault point x full_drop, incremental and merge: `raise` fails the step in process;
`exit` kills the process (os._exit, as `kill -9`) in a child. After the fault a plain run
resumes or restarts; the landing zone must keep the spec (the checker) and replaying its row
markers in sequence order, as Fabric does, must give the source: row count and an
order-insensitive content hash. The landing zone is a local folder, and (a subset) a blob
container on Azurite.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.faults import CRASH_EXIT_CODE, FAULT_POINTS, reset_faults
from hygge.storage import LocalStorage, ObjectStorage
from hygge.types import RunStatus
from tests.support.azurite import KEY
from tests.support.data import content_hash, orders
from tests.support.open_mirroring_checker import assert_valid, replay
from tests.support.workspace import (
    assert_state_is_settled,
    crash,
    land,
    run,
    state_of,
    write_workspace,
)

FLOW = """\
home: {type: parquet, path: landing, batch_size: 4}
store: {type: open_mirroring, %s, folder_deletion_wait_seconds: 0, batch_size: 5}
run_type: %s
key_columns: [id]
watermark: {column: updated_at}
entities: [orders]
"""
LOCAL = "path: onelake/LandingZone"
RUN_TYPES = ["full_drop", "incremental", "merge"]
# The points an Azurite run covers: the store's own steps (staging, publish) and after.
AZURITE_POINTS = ["after_stage", "before_publish", "during_publish", "after_publish"]


def prepare(root: Path, run_type: str, store: str = LOCAL) -> pl.DataFrame:
    """A workspace with one completed run, then new data landed; returns the full source."""
    write_workspace(root, {"shop": FLOW % (store, run_type)})
    land(root, "orders", "a", orders(12))
    assert run(root).ok
    land(root, "orders", "b", orders(11, start=12))
    return orders(23)


def assert_mirror_matches(storage: ObjectStorage, landing: str, source: pl.DataFrame) -> None:
    assert_valid(storage, landing)
    table = replay(storage, f"{landing}/orders")
    assert table is not None
    table = table.select(source.columns)
    assert table.height == source.height
    assert content_hash(table) == content_hash(source)


def _local(root: Path) -> tuple[ObjectStorage, str]:
    return LocalStorage(root / "onelake"), "LandingZone"


@pytest.mark.parametrize("run_type", RUN_TYPES)
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_an_error_at_any_step_then_a_rerun_leaves_the_mirror_equal_to_the_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, point: str, run_type: str
) -> None:
    root = tmp_path / "ws"
    source = prepare(root, run_type)
    monkeypatch.setenv("HYGGE_FAULT", f"{point}:raise")
    reset_faults()

    failed = run(root)

    expected = RunStatus.SUCCESS if point == "after_journal" else RunStatus.FAIL
    assert failed.results[0].status is expected, failed.results
    monkeypatch.delenv("HYGGE_FAULT")
    rerun = run(root)
    assert rerun.ok, rerun.results
    assert_mirror_matches(*_local(root), source)
    assert_state_is_settled(root, source)


@pytest.mark.parametrize("run_type", RUN_TYPES)
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_a_killed_process_at_any_step_resumes_without_loss_or_duplicates(
    tmp_path: Path, point: str, run_type: str
) -> None:
    root = tmp_path / "ws"
    source = prepare(root, run_type)

    assert crash(root, point) == CRASH_EXIT_CODE

    assert state_of(load_workspace(root)).list_locks(), "the dead run's lock is left behind"
    rerun = run(root)
    assert rerun.ok, rerun.results
    assert_mirror_matches(*_local(root), source)
    assert_state_is_settled(root, source)


@pytest.fixture
def azure_store(monkeypatch, azurite, blob_container) -> tuple[str, ObjectStorage]:
    """The store block's fields for a landing zone in the test's container, and its storage."""
    from hygge.storage.blob import BlobStorage

    monkeypatch.setenv("HYGGE_TEST_BLOB_KEY", KEY)
    fields = (
        f"account_url: '{azurite.account_url}', filesystem: {blob_container}, "
        "mirror_name: sales.MountedRelationalDatabase, credential: storage_key, "
        "storage_account_key: '${HYGGE_TEST_BLOB_KEY}'"
    )
    storage = BlobStorage.connect(None, blob_container, connection_string=azurite.connection_string)
    return fields, storage


AZURE_LANDING = "sales.MountedRelationalDatabase/Files/LandingZone"


@pytest.mark.azurite
@pytest.mark.parametrize("run_type", RUN_TYPES)
@pytest.mark.parametrize("point", AZURITE_POINTS)
def test_on_azurite_an_error_then_a_rerun_leaves_the_mirror_equal_to_the_source(
    tmp_path, monkeypatch, azure_store, point, run_type
):
    fields, storage = azure_store
    root = tmp_path / "ws"
    source = prepare(root, run_type, fields)
    monkeypatch.setenv("HYGGE_FAULT", f"{point}:raise")
    reset_faults()
    assert run(root).results[0].status is RunStatus.FAIL

    monkeypatch.delenv("HYGGE_FAULT")
    assert run(root).ok
    assert_mirror_matches(storage, AZURE_LANDING, source)
    assert_state_is_settled(root, source)


@pytest.mark.azurite
@pytest.mark.parametrize("run_type", RUN_TYPES)
@pytest.mark.parametrize("point", ["during_publish", "after_publish"])
def test_on_azurite_a_killed_process_mid_publish_resumes_without_loss_or_duplicates(
    tmp_path, azure_store, point, run_type
):
    fields, storage = azure_store
    root = tmp_path / "ws"
    source = prepare(root, run_type, fields)

    assert crash(root, point) == CRASH_EXIT_CODE

    assert run(root).ok
    assert_mirror_matches(storage, AZURE_LANDING, source)
    assert_state_is_settled(root, source)
