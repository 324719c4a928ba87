"""`hygge go` from a landing container into an Open Mirroring landing zone, both on Azurite:
the README's walk-through, run as a user runs it. The landing zone keeps the spec (the
checker) and replaying its markers gives the source; a second run adds upserts in sequence."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import polars as pl
import pytest

from hygge.storage.blob import BlobStorage
from tests.support.cli import hygge
from tests.support.data import content_hash
from tests.support.open_mirroring_checker import assert_valid, data_files, replay

pytestmark = pytest.mark.azurite

PROJECT = """\
name: shop
connections:
  landing:
    type: azure_blob
    container: {landing}
    credential: connection_string
    connection_string: ${{HYGGE_STORAGE_CONNECTION}}
  onelake:
    type: azure_blob
    container: {workspace}
    credential: connection_string
    connection_string: ${{HYGGE_STORAGE_CONNECTION}}
"""
FLOW = """\
home: {type: parquet, path: sales, connection: landing}
store:
  type: open_mirroring
  connection: onelake
  mirror_name: shop.MountedRelationalDatabase
  schema: dbo
  key_columns: id
  partner_name: hygge
  source_type: parquet
  folder_deletion_wait_seconds: 0
run_type: incremental
watermark: {column: id}
entities: [orders]
"""
LANDING = "shop.MountedRelationalDatabase/Files/LandingZone"


def _container(azurite) -> str:
    from azure.storage.blob import BlobServiceClient

    name = f"t-{uuid.uuid4().hex[:20]}"
    BlobServiceClient.from_connection_string(azurite.connection_string).create_container(name)
    return name


def test_hygge_go_lands_a_container_in_an_open_mirroring_landing_zone(tmp_path: Path, azurite):
    landing, workspace = _container(azurite), _container(azurite)
    root = tmp_path / "shop"
    (root / "flows" / "sales").mkdir(parents=True)
    (root / "hygge.yml").write_text(PROJECT.format(landing=landing, workspace=workspace))
    (root / "flows" / "sales" / "flow.yml").write_text(FLOW)
    home = BlobStorage.connect(None, landing, connection_string=azurite.connection_string)
    mirror = BlobStorage.connect(None, workspace, connection_string=azurite.connection_string)
    env = {"HYGGE_STORAGE_CONNECTION": azurite.connection_string}

    def land(name: str, frame: pl.DataFrame) -> None:
        data = io.BytesIO()
        frame.write_parquet(data)
        home.put(f"sales/orders/{name}.parquet", data.getvalue())

    first = pl.DataFrame({"id": range(100), "amount": [i * 1.5 for i in range(100)]})
    land("part-1", first)
    done = hygge(root, "go", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    second = pl.DataFrame({"id": range(100, 150), "amount": [0.5] * 50})
    land("part-2", second)
    done = hygge(root, "go", env=env)
    assert done.returncode == 0, done.stdout + done.stderr

    assert_valid(mirror, LANDING)
    table = f"{LANDING}/dbo.schema/orders"
    assert [name for name, _ in data_files(mirror, table)] == [f"{n:020d}.parquet" for n in (1, 2)]
    source = pl.concat([first, second])
    replayed = replay(mirror, table)
    assert replayed is not None and replayed.height == 150
    assert content_hash(replayed.select(source.columns)) == content_hash(source)
    assert mirror.stat(f"{LANDING}/_partnerEvents.json") is not None
    assert not [i.key for i in mirror.list("") if "_hygge_staging" in i.key]  # cleaned up
