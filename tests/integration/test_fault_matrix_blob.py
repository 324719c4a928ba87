"""The fault matrix with the store on Azure blob storage (Azurite): a failure at every step
boundary, raised or a killed process, then a rerun; the blob lake must equal the source.

The home stays a local folder, so what is exercised is the store's staging and its
copy-then-switch-then-delete publish on real blob storage (no rename). It runs for every
store that writes blobs: a `local` store on an azure_blob connection, and the `adls`,
`onelake` and `blob` store types with their account named inline."""

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


# Each store kind: (how the flow's store block changes, where the entity's files land).
STORE_KINDS = {
    "connection": ("type: local", "lake/orders"),
    "adls": ("type: adls", "lake/orders"),
    "onelake": ("type: onelake, lakehouse: sales", "sales.Lakehouse/Files/orders"),
    "blob": ("type: blob", "lake/orders"),
}


@pytest.fixture(params=list(STORE_KINDS))
def blob_workspace(request, tmp_path, monkeypatch, azurite, blob_container):
    """A writer of workspaces whose store is in the test's container, and where it lands."""
    monkeypatch.setenv("HYGGE_TEST_BLOB_KEY", KEY)
    project = PROJECT % (azurite.account_url, blob_container)
    storage = BlobStorage.connect(None, blob_container, connection_string=azurite.connection_string)
    block, entity_path = STORE_KINDS[request.param]
    flow, store, connection = WATERMARKED, "parquet", None
    if request.param == "connection":
        connection = "lake"
    else:
        replaced = "type: local" if request.param != "onelake" else "type: local, path: lake"
        flow = WATERMARKED.replace(replaced, block)
        store += (
            f", account_url: '{azurite.account_url}', filesystem: {blob_container}, "
            "credential: storage_key, storage_account_key: '${HYGGE_TEST_BLOB_KEY}'"
        )

    def write(run_type: str) -> tuple[Path, pl.DataFrame]:
        root = tmp_path / "ws"
        source = prepare(root, store, run_type, flow, project=project, store_connection=connection)
        return root, source

    return write, storage, entity_path


def _published(storage: BlobStorage, root: Path, entity_path: str) -> pl.DataFrame:
    config = LocalHomeConfig(path=entity_path, format="parquet")
    home = FileHome(config, Place(root, "shop", "orders"), storage=storage)
    batches = [batch for batch, _ in home.read(home.open_window(ReadSpec()), FilePosition())]
    return pl.concat(batches)


def _assert_lake_matches(
    storage: BlobStorage, root: Path, source: pl.DataFrame, entity_path: str
) -> None:
    lake = _published(storage, root, entity_path).select(source.columns)
    assert lake.height == source.height
    assert content_hash(lake) == content_hash(source)


@pytest.mark.parametrize("run_type", RUN_TYPES)
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_an_error_at_any_step_then_a_rerun_leaves_the_blob_lake_equal_to_the_source(
    monkeypatch, blob_workspace, point, run_type
):
    write, storage, entity_path = blob_workspace
    root, source = write(run_type)
    monkeypatch.setenv("HYGGE_FAULT", f"{point}:raise")
    reset_faults()

    failed = run(root)

    expected = RunStatus.SUCCESS if point == "after_journal" else RunStatus.FAIL
    assert failed.results[0].status is expected, failed.results[0].message
    monkeypatch.delenv("HYGGE_FAULT")
    rerun = run(root)
    assert rerun.ok, rerun.results
    _assert_lake_matches(storage, root, source, entity_path)
    assert_state_is_settled(root, source, WATERMARKED)
    assert_journal_tells_the_story(root, interrupted=point != "after_journal")


@pytest.mark.parametrize("run_type", RUN_TYPES)
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_a_killed_process_at_any_step_resumes_into_the_blob_lake_without_loss_or_duplicates(
    blob_workspace, point, run_type
):
    write, storage, entity_path = blob_workspace
    root, source = write(run_type)

    assert crash(root, point) == CRASH_EXIT_CODE

    rerun = run(root)
    assert rerun.ok, rerun.results
    _assert_lake_matches(storage, root, source, entity_path)
    assert_state_is_settled(root, source, WATERMARKED)
    assert_journal_tells_the_story(root, interrupted=point != "after_journal")
