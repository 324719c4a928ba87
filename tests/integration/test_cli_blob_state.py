"""`hygge go` with `state: {type: azure_blob}`: a local landing folder into a local parquet
lake, with watermarks, file ledger, locks, owner and journal in an Azurite container."""

from __future__ import annotations

import json

import polars as pl
import pytest

from tests.support.azurite import KEY
from tests.support.cli import hygge
from tests.support.workspace import (
    ORDERS_BY_ID_FLOW,
    blob_state_project,
    land,
    read_lake,
    write_workspace,
)

pytestmark = pytest.mark.azurite


def _project(azurite, container: str) -> str:
    return blob_state_project(azurite.account_url, container, "HYGGE_TEST_STATE_CS")


def _blobs(azurite, container: str) -> list[str]:
    from azure.storage.blob import ContainerClient

    client = ContainerClient.from_connection_string(azurite.connection_string, container)
    return sorted(blob.name for blob in client.list_blobs())


def _content(azurite, container: str, name: str) -> bytes:
    from azure.storage.blob import BlobClient

    blob = BlobClient.from_connection_string(azurite.connection_string, container, name)
    return bytes(blob.download_blob().readall())


def _said(done) -> str:
    return done.stdout + done.stderr


def test_go_keeps_its_state_in_blob_and_journal_reads_it(tmp_path, azurite, blob_container):
    ws = write_workspace(
        tmp_path / "shop", {"sales": ORDERS_BY_ID_FLOW}, _project(azurite, blob_container)
    )
    land(ws, "orders", "a", pl.DataFrame({"id": [1, 2, 3]}))
    env = {"HYGGE_TEST_STATE_CS": azurite.connection_string}

    first = hygge(ws, "go", env=env)

    assert first.returncode == 0, _said(first)
    assert read_lake(ws, "orders")["id"].to_list() == [1, 2, 3]
    assert not (ws / ".hygge").exists()  # nothing of the state on this disk
    names = _blobs(azurite, blob_container)
    assert "hygge-state/shop/owner.json" in names
    assert "hygge-state/shop/watermarks/sales/orders.json" in names
    assert any(n.startswith("hygge-state/shop/files/sales/orders/") for n in names)
    journal = [n for n in names if n.startswith("hygge-state/shop/journal/sales/orders/")]
    assert len(journal) == 1 and journal[0].endswith(".parquet")
    assert not any("/locks/" in n or "/checkpoints/" in n for n in names)  # released, cleared

    land(ws, "orders", "b", pl.DataFrame({"id": [4, 5]}))
    second = hygge(ws, "go", env=env)
    assert second.returncode == 0, _said(second)
    assert sorted(read_lake(ws, "orders")["id"].to_list()) == [1, 2, 3, 4, 5]

    shown = hygge(ws, "journal", "--json", env=env)
    assert shown.returncode == 0, _said(shown)
    rows = [json.loads(line) for line in shown.stdout.splitlines() if line.strip()]
    assert [(r["entity"], r["status"], r["row_count"]) for r in rows] == [
        ("orders", "success", 2),
        ("orders", "success", 3),
    ]
    for done in (first, second, shown):
        assert KEY not in _said(done)  # the secret never shows
    assert not [n for n in names if KEY.encode() in _content(azurite, blob_container, n)]


def test_go_without_the_secret_names_the_variable(tmp_path, azurite, blob_container):
    ws = write_workspace(
        tmp_path / "shop", {"sales": ORDERS_BY_ID_FLOW}, _project(azurite, blob_container)
    )
    land(ws, "orders", "a", pl.DataFrame({"id": [1]}))

    done = hygge(ws, "go")

    assert done.returncode == 2, _said(done)
    assert "HYGGE_TEST_STATE_CS" in _said(done)
    assert _blobs(azurite, blob_container) == []
