"""A workspace published to Azurite, and the app settings that point at it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.support.azurite import Azurite
from tests.support.durable_client import TaskHub

PROJECT = """\
name: shop
connections:
  landing:
    type: azure_blob
    container: {landing}
    credential: connection_string
    connection_string: ${{HYGGE_STORAGE_CONNECTION}}
  lake:
    type: azure_blob
    container: {lake}
    credential: connection_string
    connection_string: ${{HYGGE_STORAGE_CONNECTION}}
"""
SALES = """\
home: {type: parquet, path: sales, connection: landing}
store: {type: adls, path: sales, connection: lake}
run_type: incremental
watermark: {column: id}
entities: [orders, customers]
"""
STOCK = """\
home: {type: parquet, path: stock, connection: lake}
store: {type: adls, path: stock_copy, connection: lake}
entities: [levels]
"""


@dataclass(frozen=True)
class PublishedWorkspace:
    uri: str
    container: str
    landing: str
    lake: str
    connection_string: str


@pytest.fixture
def hub() -> TaskHub:
    return TaskHub()


@pytest.fixture
def published(azurite: Azurite, monkeypatch: pytest.MonkeyPatch) -> Iterator[PublishedWorkspace]:
    """Flows sales (orders, customers: homes in the landing container) and stock (levels:
    home in the lake), published under az://<container>/shop; the app settings set."""
    from azure.storage.blob import BlobServiceClient

    tag = uuid.uuid4().hex[:12]
    names = {"container": f"ws-{tag}", "landing": f"landing-{tag}", "lake": f"lake-{tag}"}
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    for name in names.values():
        service.create_container(name)
    files = {
        "shop/hygge.yml": PROJECT.format(landing=names["landing"], lake=names["lake"]),
        "shop/flows/sales/flow.yml": SALES,
        "shop/flows/stock/flow.yml": STOCK,
    }
    for key, text in files.items():
        service.get_blob_client(names["container"], key).upload_blob(text.encode())
    uri = f"az://{names['container']}/shop"
    for name in ("HYGGE_STORAGE_ACCOUNT_URL", "HYGGE_SCHEDULE", "HYGGE_CHUNK_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HYGGE_WORKSPACE", uri)
    monkeypatch.setenv("HYGGE_STORAGE_CONNECTION", azurite.connection_string)
    monkeypatch.setenv("HYGGE_LANDING_CONTAINER", names["landing"])
    monkeypatch.delenv("HYGGE_MAX_PARALLEL_ENTITIES", raising=False)
    yield PublishedWorkspace(uri=uri, connection_string=azurite.connection_string, **names)
