"""The Delta store on Azure blob storage (Azurite): OneLake-style `Tables/` folders in a
container, reached through an azure_blob connection (account key or connection string).
A run and a second run, a crash mid-publish and at the boundaries around it (raised and a
killed process) for full_drop / incremental / merge, and a foreign table refused. Tables are
read back with delta-rs and polars over the same storage options."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.engine.plan import Selection, plan_run
from hygge.errors import StoreOwnershipError
from hygge.faults import CRASH_EXIT_CODE, reset_faults
from hygge.types import RunStatus, RunType
from tests.integration.test_fault_matrix_delta import assert_state_is_settled
from tests.support.azurite import ACCOUNT, KEY
from tests.support.data import content_hash, orders
from tests.support.workspace import crash, land, run, write_workspace

deltalake = pytest.importorskip("deltalake", reason="pip install 'hygge-el[delta]'")
pytestmark = pytest.mark.azurite

PROJECT = """\
name: test
connections:
  lake:
    type: azure_blob
    account_url: %s
    container: %s
    credential: %s
"""
CREDENTIALS = {
    "key": "key\n    key: ${HYGGE_TEST_BLOB_KEY}",
    "connection_string": "connection_string\n    connection_string: ${HYGGE_TEST_BLOB_CS}",
}
FLOW = """\
home: {type: parquet, path: landing, batch_size: 4}
store: {type: delta, path: "%s", connection: lake}
run_type: %s
key_columns: [id]
watermark: {column: updated_at}
entities: [orders]
"""
POINTS = ["before_publish", "during_publish", "after_publish"]


@pytest.fixture
def delta_workspace(tmp_path, monkeypatch, azurite, blob_container):
    monkeypatch.setenv("HYGGE_TEST_BLOB_KEY", KEY)
    monkeypatch.setenv("HYGGE_TEST_BLOB_CS", azurite.connection_string)
    options = {
        "account_name": ACCOUNT,
        "account_key": KEY,
        "endpoint": azurite.account_url,
        "allow_http": "true",
    }
    uri = f"az://{blob_container}/sales.Lakehouse/Tables/orders"

    def write(run_type: str, credential: str = "key", address: bool = False) -> Path:
        root = tmp_path / "ws"
        project = PROJECT % (azurite.account_url, blob_container, CREDENTIALS[credential])
        path = "sales.Lakehouse/Tables/{entity}"
        path = f"az://{blob_container}/{path}" if address else path
        write_workspace(root, {"shop": FLOW % (path, run_type)}, project=project)
        land(root, "orders", "a", orders(12))
        assert run(root).ok
        land(root, "orders", "b", orders(11, start=12))
        return root

    return write, uri, options


def read_table(uri: str, options: dict[str, str]) -> pl.DataFrame:
    frame = pl.read_delta(uri, storage_options=options)
    return frame.select(pl.col(n).cast(t) for n, t in orders(1).schema.items())


def hygge_runs(uri: str, options: dict[str, str]) -> list[str]:
    history = deltalake.DeltaTable(uri, storage_options=options).history()
    return [json.loads(h["hygge.commit"])["run_id"] for h in history if "hygge.commit" in h]


@pytest.mark.parametrize("address", [False, True], ids=["folder", "az-address"])
@pytest.mark.parametrize("credential", list(CREDENTIALS))
def test_two_runs_into_a_onelake_style_table_on_blob_storage(delta_workspace, credential, address):
    write, uri, options = delta_workspace
    root = write("incremental", credential, address)
    assert run(root).ok
    table = read_table(uri, options)
    assert table.height == 23 and content_hash(table) == content_hash(orders(23))
    assert len(hygge_runs(uri, options)) == 2
    assert deltalake.DeltaTable(uri, storage_options=options).version() == 1


@pytest.mark.parametrize("run_type", ["full_drop", "incremental", "merge"])
@pytest.mark.parametrize("point", POINTS)
def test_a_raised_fault_around_publish_then_a_rerun_equals_the_source(
    delta_workspace, monkeypatch, point, run_type
):
    write, uri, options = delta_workspace
    root = write(run_type)
    monkeypatch.setenv("HYGGE_FAULT", f"{point}:raise")
    reset_faults()
    assert run(root).results[0].status is RunStatus.FAIL
    monkeypatch.delenv("HYGGE_FAULT")
    assert run(root).ok
    table = read_table(uri, options)
    assert table.height == 23 and content_hash(table) == content_hash(orders(23))
    assert len(set(hygge_runs(uri, options))) == len(hygge_runs(uri, options)) == 2
    assert_state_is_settled(root, orders(23))


@pytest.mark.parametrize("run_type", ["full_drop", "incremental", "merge"])
def test_a_process_killed_mid_publish_resumes_to_the_source(delta_workspace, run_type):
    write, uri, options = delta_workspace
    root = write(run_type)
    assert crash(root, "during_publish") == CRASH_EXIT_CODE
    assert run(root).ok
    table = read_table(uri, options)
    assert table.height == 23 and content_hash(table) == content_hash(orders(23))
    assert len(hygge_runs(uri, options)) == 2
    assert_state_is_settled(root, orders(23))


def test_a_foreign_delta_table_in_the_container_is_refused(delta_workspace, tmp_path):
    write, uri, options = delta_workspace
    deltalake.write_deltalake(uri, orders(2).to_arrow(), storage_options=options)
    root = tmp_path / "ws"
    with pytest.raises(AssertionError):
        write("full_drop")  # the first run fails: the table is not hygge's
    task = plan_run(load_workspace(root), Selection()).tasks[0]
    with pytest.raises(StoreOwnershipError, match=r"Delta table .* holds 2 entries"):
        task.store.open(task.place).prepare("run-x", RunType.FULL_DROP)
    assert read_table(uri, options).height == 2


def test_from_a_landing_container_into_onelake_style_tables_through_a_kill_mid_publish(
    tmp_path, monkeypatch, azurite, blob_container
):
    """The issue's closing scene: blobs landed in a container, a run killed mid-publish, the
    resumed run; the table equals the source and its log has one hygge commit per run."""
    from hygge.storage.blob import BlobStorage

    monkeypatch.setenv("HYGGE_TEST_BLOB_KEY", KEY)
    storage = BlobStorage.connect(None, blob_container, connection_string=azurite.connection_string)
    root = tmp_path / "ws"
    project = PROJECT % (azurite.account_url, blob_container, CREDENTIALS["key"])
    flow = FLOW.replace(
        "home: {type: parquet, path: landing, batch_size: 4}",
        "home: {type: parquet, path: landing, connection: lake, batch_size: 4}",
    ) % ("sales.Lakehouse/Tables/{entity}", "incremental")
    write_workspace(root, {"shop": flow}, project=project)

    def land_blob(name: str, frame: pl.DataFrame) -> None:
        import io

        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        storage.put(f"landing/orders/{name}.parquet", buffer.getvalue())

    land_blob("a", orders(12))
    assert run(root).ok
    land_blob("b", orders(11, start=12))
    assert crash(root, "during_publish") == CRASH_EXIT_CODE
    assert run(root).ok

    uri = f"az://{blob_container}/sales.Lakehouse/Tables/orders"
    options = {
        "account_name": ACCOUNT,
        "account_key": KEY,
        "endpoint": azurite.account_url,
        "allow_http": "true",
    }
    table = read_table(uri, options)
    assert table.height == 23 and content_hash(table) == content_hash(orders(23))
    assert len(hygge_runs(uri, options)) == 2
    assert deltalake.DeltaTable(uri, storage_options=options).version() == 1


def test_inline_credential_fields_reach_a_table_at_a_full_address(
    tmp_path, monkeypatch, azurite, blob_container
):
    monkeypatch.setenv("HYGGE_TEST_BLOB_CS", azurite.connection_string)
    address = f"abfss://{blob_container}@{ACCOUNT}.dfs.core.windows.net/Tables/{{entity}}"
    store = (
        f'{{type: delta, path: "{address}", credential: connection_string, '
        "connection_string: '${HYGGE_TEST_BLOB_CS}'}"
    )
    flow = f"home: {{type: parquet, path: landing}}\nstore: {store}\nentities: [orders]\n"
    root = write_workspace(tmp_path / "ws", {"shop": flow})
    land(root, "orders", "a", orders(5))

    assert run(root).ok

    options = {
        "account_name": ACCOUNT,
        "account_key": KEY,
        "endpoint": azurite.account_url,
        "allow_http": "true",
    }
    table = read_table(f"az://{blob_container}/Tables/orders", options)
    assert table.height == 5 and content_hash(table) == content_hash(orders(5))
    monkeypatch.delenv("HYGGE_TEST_BLOB_CS")
    failed = run(root)
    assert not failed.ok and "HYGGE_TEST_BLOB_CS" in (failed.results[0].message or "")
