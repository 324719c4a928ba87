"""Stores `adls`, `onelake` and `blob`: the original's fields, on Azure blob storage (Azurite)."""

from __future__ import annotations

import io
import logging

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.engine.plan import Selection, plan_run
from hygge.errors import ConfigError
from hygge.stores.ownership import StoreOwnershipError
from hygge.types import RunType
from tests.support.azurite import KEY
from tests.support.data import orders
from tests.support.workspace import land, run, write_workspace

pytestmark = pytest.mark.azurite
STORE = """\
home: {type: parquet, path: landing}
store:
  type: %s
  account_url: %s
  filesystem: %s
  credential: storage_key
  storage_account_key: ${LAKE_KEY}
%s
entities: [orders]
"""


def _workspace(tmp_path, azurite, container, kind="adls", extra="  path: lake", project=None):
    flow = STORE % (kind, azurite.account_url, container, extra)
    return write_workspace(tmp_path, {"shop": flow}, project or "name: test\n")


def _client(azurite, container):
    from azure.storage.blob import ContainerClient

    return ContainerClient.from_connection_string(azurite.connection_string, container)


def _names(client, prefix=""):
    return sorted(b.name for b in client.list_blobs(name_starts_with=prefix))


def _published(client, prefix):
    names = [n for n in _names(client, prefix) if n.endswith(".parquet") and "/_" not in n]
    frames = [pl.read_parquet(io.BytesIO(client.download_blob(n).readall())) for n in names]
    return pl.concat(frames) if frames else pl.DataFrame()


@pytest.mark.parametrize("kind", ["adls", "blob"])
def test_a_store_with_an_inline_account_lands_the_entity_under_its_path(
    tmp_path, monkeypatch, azurite, blob_container, kind
):
    monkeypatch.setenv("LAKE_KEY", KEY)
    root = _workspace(tmp_path, azurite, blob_container, kind)
    land(root, "orders", "part-1", orders(9))

    report = run(root)

    assert report.ok, report.failed
    client = _client(azurite, blob_container)
    assert _published(client, "lake/orders/").sort("id").equals(orders(9).sort("id"))
    assert not (root / "lake").exists()
    assert not [n for n in _names(client) if "_hygge_staging" in n]  # staging is gone


def test_a_onelake_store_defaults_to_the_lakehouse_files_folder_with_its_schema(
    tmp_path, monkeypatch, azurite, blob_container
):
    monkeypatch.setenv("LAKE_KEY", KEY)
    extra = "  lakehouse: sales\n  schema: dbo"
    root = _workspace(tmp_path, azurite, blob_container, "onelake", extra)
    land(root, "orders", "part-1", orders(5))

    assert run(root).ok
    assert run(root).ok  # a second full_drop replaces the first

    client = _client(azurite, blob_container)
    published = _published(client, "sales.Lakehouse/Files/dbo.schema/orders/")
    assert published.sort("id").equals(orders(5).sort("id"))
    assert all(n.startswith("sales.Lakehouse/Files/") for n in _names(client))


def test_a_store_on_a_connection_may_pick_another_container_with_filesystem(
    tmp_path, monkeypatch, azurite, blob_container
):
    from azure.storage.blob import BlobServiceClient

    other = f"{blob_container}-x"
    BlobServiceClient.from_connection_string(azurite.connection_string).create_container(other)
    monkeypatch.setenv("LAKE_KEY", KEY)
    project = (
        "name: test\nconnections:\n  lake:\n    type: azure_blob\n"
        f"    account_url: {azurite.account_url}\n    container: {blob_container}\n"
        "    credential: storage_key\n    storage_account_key: ${LAKE_KEY}\n"
    )
    flow = (
        "home: {type: parquet, path: landing}\n"
        f"store: {{type: adls, connection: lake, filesystem: {other}, path: raw}}\n"
        "entities: [orders]\n"
    )
    root = write_workspace(tmp_path, {"shop": flow}, project)
    land(root, "orders", "part-1", orders(4))

    assert run(root).ok

    assert _published(_client(azurite, other), "raw/orders/").height == 4
    assert _names(_client(azurite, blob_container)) == []


def test_full_drop_replaces_only_the_entity_folder_and_refuses_a_foreign_one(
    tmp_path, monkeypatch, azurite, blob_container
):
    monkeypatch.setenv("LAKE_KEY", KEY)
    client = _client(azurite, blob_container)
    client.upload_blob("lake/notes.txt", b"a sibling of the entity folder")
    client.upload_blob("lake/ordersx/keep.parquet", b"a neighbour whose name starts alike")
    root = _workspace(tmp_path, azurite, blob_container, "adls")
    land(root, "orders", "part-1", orders(6))
    assert run(root).ok
    land(root, "orders", "part-2", orders(3, start=6))

    assert run(root).ok

    assert _published(client, "lake/orders/").height == 9
    assert {"lake/notes.txt", "lake/ordersx/keep.parquet"} <= set(_names(client, "lake/"))
    client.upload_blob("lake/customers/theirs.parquet", b"written by someone else")
    flow = (STORE % ("adls", azurite.account_url, blob_container, "  path: lake")).replace(
        "[orders]", "[customers]"
    )
    write_workspace(root, {"shop": flow})
    land(root, "customers", "part-1", orders(2))
    report = run(root)
    assert report.failed
    assert "theirs.parquet" in str(report.failed[0].message)
    assert _names(client, "lake/customers/") == ["lake/customers/theirs.parquet"]


def test_a_refused_foreign_folder_is_refused_before_staging_when_the_store_opens(
    tmp_path, monkeypatch, azurite, blob_container
):
    monkeypatch.setenv("LAKE_KEY", KEY)
    client = _client(azurite, blob_container)
    client.upload_blob("lake/orders/theirs.parquet", b"not hygge's")
    root = _workspace(tmp_path, azurite, blob_container, "adls")
    (task,) = plan_run(load_workspace(root, env={"LAKE_KEY": KEY}), Selection()).tasks
    store = task.store.open(task.place)

    with pytest.raises(StoreOwnershipError, match=r"theirs\.parquet"):
        store.prepare("run-1", RunType.FULL_DROP)
    assert _names(client) == ["lake/orders/theirs.parquet"]


def _sas(container):
    from datetime import UTC, datetime, timedelta

    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    permission = ContainerSasPermissions(read=True, write=True, delete=True, list=True)
    expiry = datetime.now(UTC) + timedelta(hours=1)
    return generate_container_sas(
        "devstoreaccount1", container, account_key=KEY, permission=permission, expiry=expiry
    )


@pytest.mark.parametrize("kind", ["adls", "onelake", "blob"])
@pytest.mark.parametrize("credential", ["storage_key", "sas", "connection_string"])
def test_an_inline_secret_stays_a_reference_and_is_in_no_task_state_file_journal_or_log(
    tmp_path, monkeypatch, caplog, azurite, blob_container, kind, credential
):
    secret = {
        "storage_key": KEY,
        "sas": _sas(blob_container),
        "connection_string": azurite.connection_string,
    }[credential]
    field = "storage_account_key" if credential == "storage_key" else credential
    monkeypatch.setenv("LAKE_SECRET", secret)
    extra = "  lakehouse: sales" if kind == "onelake" else "  path: lake"
    flow = (STORE % (kind, azurite.account_url, blob_container, extra)).replace(
        "credential: storage_key\n  storage_account_key: ${LAKE_KEY}",
        f"credential: {credential}\n  {field}: ${{LAKE_SECRET}}",
    )
    root = write_workspace(tmp_path, {"shop": flow})
    land(root, "orders", "part-1", orders(3))
    (task,) = plan_run(load_workspace(root), Selection()).tasks
    assert getattr(task.store, field) == "${LAKE_SECRET}"
    assert secret not in task.model_dump_json()

    with caplog.at_level(logging.DEBUG):
        report = run(root)

    assert report.ok, report.failed
    saved = [p.read_bytes() for p in (root / ".hygge").rglob("*") if p.is_file()]
    journal = list((root / ".hygge").rglob("*.parquet"))
    assert journal and saved and all(secret.encode() not in data for data in saved)
    signature = secret.split("sig=")[-1].split("&")[0] if credential == "sas" else KEY
    assert secret not in caplog.text and signature not in caplog.text


def test_a_missing_secret_names_the_store_the_field_and_the_variable(
    tmp_path, monkeypatch, azurite, blob_container
):
    monkeypatch.delenv("LAKE_KEY", raising=False)
    root = _workspace(tmp_path, azurite, blob_container, "blob")
    (task,) = plan_run(load_workspace(root, env={}), Selection()).tasks

    with pytest.raises(ConfigError) as raised:
        task.store.open(task.place)

    message = str(raised.value)
    assert "'LAKE_KEY' is not set" in message and "storage_account_key" in message
    assert "blob store of shop.orders" in message


def test_a_wrong_key_names_the_store_the_account_and_the_role(
    tmp_path, monkeypatch, azurite, blob_container
):
    import base64

    wrong = base64.b64encode(b"not-the-key" * 6).decode()
    monkeypatch.setenv("LAKE_KEY", wrong)
    root = _workspace(tmp_path, azurite, blob_container, "adls")
    land(root, "orders", "part-1", orders(2))

    report = run(root)

    message = str(report.failed[0].message)
    assert "adls store of shop.orders" in message and "devstoreaccount1" in message
    assert "Storage Blob Data Contributor" in message and wrong not in message


def test_incremental_runs_add_files_whose_names_never_collide_with_earlier_runs(
    tmp_path, monkeypatch, azurite, blob_container
):
    monkeypatch.setenv("LAKE_KEY", KEY)
    root = _workspace(
        tmp_path, azurite, blob_container, "blob", "  path: lake\n  incremental: true"
    )
    client = _client(azurite, blob_container)
    seen: list[set[str]] = []
    for run_number in range(3):
        land(root, "orders", f"part-{run_number}", orders(4, start=4 * run_number))
        assert run(root).ok
        seen.append({n for n in _names(client, "lake/orders/") if n.endswith(".parquet")})

    assert seen[0] < seen[1] < seen[2]  # every run only adds; nothing is overwritten
    assert _published(client, "lake/orders/").sort("id").equals(orders(12).sort("id"))
