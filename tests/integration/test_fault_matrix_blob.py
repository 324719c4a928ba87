"""The fault matrix with the store on Azure blob storage (Azurite): a failure at every step
boundary, raised or a killed process, then a rerun; the blob lake must equal the source.

The home stays a local folder, so what is exercised is the store's staging and its
copy-then-switch-then-delete publish on real blob storage (no rename)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from hygge.faults import CRASH_EXIT_CODE, FAULT_POINTS, reset_faults
from hygge.homes.base import FilePosition, ReadSpec
from hygge.homes.file_home import FileHome
from hygge.homes.files import LocalHomeConfig
from hygge.storage.blob import BlobStorage
from hygge.types import Place, RunStatus
from tests.integration.test_fault_matrix import (
    WATERMARKED,
    assert_journal_tells_the_story,
    assert_state_is_settled,
    prepare,
)
from tests.support.azurite import KEY
from tests.support.data import content_hash
from tests.support.workspace import crash, run

pytestmark = pytest.mark.azurite
RUN_TYPES = ["full_drop", "incremental"]
PROJECT = """\
name: test
connections:
  lake:
    type: azure_blob
    account_url: %s
    container: %s
    credential: key
    key: ${HYGGE_TEST_BLOB_KEY}
"""


@pytest.fixture
def blob_workspace(tmp_path, monkeypatch, azurite, blob_container):
    """A writer of workspaces whose store is `lake/` in the test's container."""
    monkeypatch.setenv("HYGGE_TEST_BLOB_KEY", KEY)
    project = PROJECT % (azurite.account_url, blob_container)
    storage = BlobStorage.connect(None, blob_container, connection_string=azurite.connection_string)

    def write(run_type: str) -> tuple[Path, pl.DataFrame]:
        root = tmp_path / "ws"
        source = prepare(
            root, "parquet", run_type, WATERMARKED, project=project, store_connection="lake"
        )
        return root, source

    return write, storage


def _published(storage: BlobStorage, root: Path) -> pl.DataFrame:
    config = LocalHomeConfig(path="lake/orders", format="parquet")
    home = FileHome(config, Place(root, "shop", "orders"), storage=storage)
    batches = [batch for batch, _ in home.read(home.open_window(ReadSpec()), FilePosition())]
    return pl.concat(batches)


def _assert_lake_matches(storage: BlobStorage, root: Path, source: pl.DataFrame) -> None:
    lake = _published(storage, root).select(source.columns)
    assert lake.height == source.height
    assert content_hash(lake) == content_hash(source)


@pytest.mark.parametrize("run_type", RUN_TYPES)
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_an_error_at_any_step_then_a_rerun_leaves_the_blob_lake_equal_to_the_source(
    monkeypatch, blob_workspace, point, run_type
):
    write, storage = blob_workspace
    root, source = write(run_type)
    monkeypatch.setenv("HYGGE_FAULT", f"{point}:raise")
    reset_faults()

    failed = run(root)

    expected = RunStatus.SUCCESS if point == "after_journal" else RunStatus.FAIL
    assert failed.results[0].status is expected, failed.results[0].message
    monkeypatch.delenv("HYGGE_FAULT")
    rerun = run(root)
    assert rerun.ok, rerun.results
    _assert_lake_matches(storage, root, source)
    assert_state_is_settled(root, source, WATERMARKED)
    assert_journal_tells_the_story(root, interrupted=point != "after_journal")


@pytest.mark.parametrize("run_type", RUN_TYPES)
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_a_killed_process_at_any_step_resumes_into_the_blob_lake_without_loss_or_duplicates(
    blob_workspace, point, run_type
):
    write, storage = blob_workspace
    root, source = write(run_type)

    assert crash(root, point) == CRASH_EXIT_CODE

    rerun = run(root)
    assert rerun.ok, rerun.results
    _assert_lake_matches(storage, root, source)
    assert_state_is_settled(root, source, WATERMARKED)
    assert_journal_tells_the_story(root, interrupted=point != "after_journal")
