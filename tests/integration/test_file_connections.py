"""File homes and stores take their storage from the connection they name, when they open."""

from __future__ import annotations

import base64
import io
import logging
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.engine.plan import Selection, plan_run
from hygge.errors import ConfigError
from hygge.homes.base import ReadSpec
from tests.support.azurite import KEY as AZURITE_KEY
from tests.support.data import orders
from tests.support.workspace import run, write_workspace

SECRET = "blob-Key-Value-77x"
LOCAL = """\
name: test
connections:
  data:
    type: local
    root: %s
"""
BLOB = """\
name: test
connections:
  blob:
    type: azure_blob
    account_url: https://acct.blob.core.windows.net
    credential: key
    key: ${BLOB_KEY}
"""
FLOW = """\
home: {type: parquet, path: landing, connection: %s}
store: {type: parquet, path: lake, connection: %s}
entities: [orders]
"""


def _only_task(root, env=None):
    (task,) = plan_run(load_workspace(root, env=env or {}), Selection()).tasks
    return task


def test_a_local_connection_root_holds_the_home_and_the_store(tmp_path):
    data = tmp_path / "data"
    (data / "landing" / "orders").mkdir(parents=True)
    orders(7).write_parquet(data / "landing" / "orders" / "part-1.parquet")
    root = write_workspace(tmp_path / "ws", {"shop": FLOW % ("data", "data")}, LOCAL % data)
    report = run(root)
    assert report.ok, report.failed
    published = pl.read_parquet(data / "lake" / "orders" / "*.parquet")
    assert published.sort("id").equals(orders(7).sort("id"))
    assert not (root / "lake").exists() and not (root / "landing").exists()


def test_a_relative_connection_root_is_relative_to_the_workspace_root(tmp_path):
    root = write_workspace(tmp_path, {"shop": FLOW % ("data", "data")}, LOCAL % "files")
    (tmp_path / "files" / "landing" / "orders").mkdir(parents=True)
    orders(3).write_parquet(tmp_path / "files" / "landing" / "orders" / "part-1.parquet")
    assert run(root).ok
    assert pl.read_parquet(tmp_path / "files" / "lake" / "orders" / "*.parquet").height == 3


def test_a_store_under_a_connection_root_overlapping_its_home_is_refused_at_load(tmp_path):
    flow = """\
    home: {type: parquet, path: files/lake}
    store: {type: parquet, path: lake, connection: data}
    entities: [orders]
    """
    root = write_workspace(tmp_path, {"shop": flow}, LOCAL % "files")
    with pytest.raises(ConfigError, match="same folder"):
        load_workspace(root, env={})


def _azurite_workspace(tmp_path, azurite, container, credential="key", secret="${BLOB_KEY}"):
    field = {"key": "key", "storage_key": "storage_account_key"}.get(credential, credential)
    project = (
        "name: test\nconnections:\n  blob:\n    type: azure_blob\n"
        f"    account_url: {azurite.account_url}\n    container: {container}\n"
        f"    credential: {credential}\n    {field}: '{secret}'\n"
    )
    return write_workspace(tmp_path, {"shop": FLOW % ("blob", "blob")}, project)


def _land_blob(azurite, container, frame, name="landing/orders/part-1.parquet", create=False):
    from azure.storage.blob import ContainerClient

    client = ContainerClient.from_connection_string(azurite.connection_string, container)
    if create:
        client.create_container()
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    client.upload_blob(name, buffer.getvalue())
    return client


def _read_blob_lake(client, prefix="lake/orders/"):
    names = [b.name for b in client.list_blobs(name_starts_with=prefix)]
    parts = [n for n in names if n.endswith(".parquet") and "/_" not in n]
    frames = [pl.read_parquet(io.BytesIO(client.download_blob(n).readall())) for n in parts]
    return pl.concat(frames) if frames else None


@pytest.mark.azurite
@pytest.mark.parametrize("credential", ["key", "storage_key"])
def test_a_file_home_and_store_on_an_azure_blob_connection_run_in_the_container(
    tmp_path, monkeypatch, azurite, blob_container, credential
):
    monkeypatch.setenv("BLOB_KEY", AZURITE_KEY)
    client = _land_blob(azurite, blob_container, orders(7))
    root = _azurite_workspace(tmp_path, azurite, blob_container, credential)

    report = run(root)

    assert report.ok, report.failed
    assert _read_blob_lake(client).sort("id").equals(orders(7).sort("id"))
    assert not (root / "lake").exists() and not (root / "landing").exists()
    assert run(root).ok  # a second full_drop replaces what the first published
    assert _read_blob_lake(client).height == 7


@pytest.mark.azurite
def test_a_connection_string_and_a_sas_open_the_container(
    tmp_path, monkeypatch, caplog, azurite, blob_container
):
    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    monkeypatch.setenv("BLOB_CONNECTION", azurite.connection_string)
    for credential, secret in (("sas", "${BLOB_SAS}"), ("connection_string", "${BLOB_CONNECTION}")):
        container = f"{blob_container}-{credential.replace('_', '-')}"
        _land_blob(azurite, container, orders(3), create=True)
        sas = generate_container_sas(
            "devstoreaccount1",
            container,
            account_key=AZURITE_KEY,
            permission=ContainerSasPermissions(read=True, write=True, delete=True, list=True),
            expiry=datetime.now(UTC) + timedelta(hours=1),
        )
        monkeypatch.setenv("BLOB_SAS", sas)
        root = _azurite_workspace(tmp_path / credential, azurite, container, credential, secret)
        with caplog.at_level(logging.DEBUG):
            report = run(root)
        assert report.ok, (credential, report.failed)
        signature = dict(part.split("=", 1) for part in sas.split("&"))["sig"]
        assert signature not in caplog.text and AZURITE_KEY not in caplog.text


@pytest.mark.azurite
def test_a_wrong_key_names_account_container_and_role_but_never_the_key(
    tmp_path, monkeypatch, caplog, azurite, blob_container
):
    wrong = base64.b64encode(SECRET.encode() * 4).decode()
    monkeypatch.setenv("BLOB_KEY", wrong)
    root = _azurite_workspace(tmp_path, azurite, blob_container)
    task = _only_task(root, env={"BLOB_KEY": wrong})
    with caplog.at_level(logging.DEBUG), pytest.raises(ConfigError) as raised:
        task.home.open(task.place).open_window(ReadSpec())
    message = f"{raised.value} {raised.value.hint}"
    assert "devstoreaccount1" in message and blob_container in message
    assert "Storage Blob Data Contributor" in message and "account key" in message
    with caplog.at_level(logging.DEBUG):
        report = run(root)
    assert report.failed and "Storage Blob Data" in str(report.failed[0].message)
    for text in (message, caplog.text, str(report.failed[0].message)):
        assert wrong not in text and SECRET not in text
    saved = [p.read_bytes() for p in (tmp_path / ".hygge").rglob("*") if p.is_file()]
    assert saved and all(wrong.encode() not in data for data in saved)


@pytest.mark.azurite
def test_a_missing_container_is_named(tmp_path, monkeypatch, azurite):
    monkeypatch.setenv("BLOB_KEY", AZURITE_KEY)
    root = _azurite_workspace(tmp_path, azurite, "no-such-container")
    task = _only_task(root, env={"BLOB_KEY": AZURITE_KEY})
    with pytest.raises(ConfigError, match="no container 'no-such-container' of storage account"):
        task.home.open(task.place).open_window(ReadSpec())


def test_a_missing_secret_names_the_connection_and_the_variable_when_it_opens(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("BLOB_KEY", raising=False)
    root = write_workspace(tmp_path, {"shop": FLOW % ("blob", "blob")}, BLOB)
    task = _only_task(root)
    with pytest.raises(ConfigError, match=r"'BLOB_KEY' is not set.*connection 'blob'"):
        task.store.open(task.place)


@pytest.mark.azurite
def test_a_resolved_secret_is_in_no_task_state_file_journal_row_or_log(
    tmp_path, monkeypatch, caplog, azurite, blob_container
):
    monkeypatch.setenv("BLOB_KEY", AZURITE_KEY)
    _land_blob(azurite, blob_container, orders(4))
    root = _azurite_workspace(tmp_path, azurite, blob_container)
    task = _only_task(root, env={"BLOB_KEY": AZURITE_KEY})
    assert AZURITE_KEY not in task.model_dump_json()
    with caplog.at_level(logging.DEBUG):
        report = run(root)
    assert report.ok, report.failed
    saved = [p.read_bytes() for p in (tmp_path / ".hygge").rglob("*") if p.is_file()]
    assert saved and all(AZURITE_KEY.encode() not in data for data in saved)
    assert AZURITE_KEY not in caplog.text
