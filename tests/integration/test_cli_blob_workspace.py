"""`hygge … -w az://<container>/<prefix>` (and HYGGE_WORKSPACE): a workspace read from an
Azurite container drives a run from a landing container into a lake container, its state
beside the workspace, nothing written to the folder hygge runs in."""

from __future__ import annotations

import io
import json
import uuid

import polars as pl
import pytest

from tests.support.azurite import KEY
from tests.support.cli import hygge

pytestmark = pytest.mark.azurite

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
FLOW = """\
home: {type: parquet, path: sales, connection: landing}
store: {type: parquet, path: sales, connection: lake}
run_type: incremental
watermark: {column: id}
entities: [orders]
"""


def _service(azurite):
    from azure.storage.blob import BlobServiceClient

    return BlobServiceClient.from_connection_string(azurite.connection_string)


def _container(azurite) -> str:
    name = f"t-{uuid.uuid4().hex[:20]}"
    _service(azurite).create_container(name)
    return name


def _put(azurite, container: str, name: str, data: bytes) -> None:
    _service(azurite).get_blob_client(container, name).upload_blob(data, overwrite=True)


def _names(azurite, container: str) -> list[str]:
    client = _service(azurite).get_container_client(container)
    return sorted(blob.name for blob in client.list_blobs())


def _parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def _lake_ids(azurite, lake: str) -> list[int]:
    client = _service(azurite).get_container_client(lake)
    ids: list[int] = []
    for name in _names(azurite, lake):
        if name.startswith("sales/orders/") and name.endswith(".parquet") and "/_" not in name:
            data = client.download_blob(name).readall()
            ids += pl.read_parquet(io.BytesIO(data))["id"].to_list()
    return sorted(ids)


@pytest.fixture
def blob_shop(azurite, blob_container):
    """A workspace at az://<config>/shop naming a landing and a lake container."""
    landing, lake = _container(azurite), _container(azurite)
    _put(
        azurite,
        blob_container,
        "shop/hygge.yml",
        PROJECT.format(landing=landing, lake=lake).encode(),
    )
    _put(azurite, blob_container, "shop/flows/sales/flow.yml", FLOW.encode())
    return blob_container, landing, lake


def _said(done) -> str:
    return done.stdout + done.stderr


def test_go_runs_a_workspace_read_from_blob_with_its_state_beside_it(tmp_path, azurite, blob_shop):
    config, landing, lake = blob_shop
    _put(azurite, landing, "sales/orders/a.parquet", _parquet(pl.DataFrame({"id": [1, 2, 3]})))
    env = {"HYGGE_STORAGE_CONNECTION": azurite.connection_string}
    where = f"az://{config}/shop"

    first = hygge(tmp_path, "go", "-w", where, env=env)

    assert first.returncode == 0, _said(first)
    assert _lake_ids(azurite, lake) == [1, 2, 3]
    assert list(tmp_path.iterdir()) == []  # nothing on this disk: no .hygge in the cwd
    names = _names(azurite, config)
    assert "shop/.hygge/owner.json" in names
    assert "shop/.hygge/watermarks/sales/orders.json" in names

    _put(azurite, landing, "sales/orders/b.parquet", _parquet(pl.DataFrame({"id": [4, 5]})))
    second = hygge(tmp_path, "go", env={**env, "HYGGE_WORKSPACE": where})
    assert second.returncode == 0, _said(second)
    assert _lake_ids(azurite, lake) == [1, 2, 3, 4, 5]

    shown = hygge(tmp_path, "journal", "--json", "-w", where, env=env)
    assert shown.returncode == 0, _said(shown)
    rows = [json.loads(line) for line in shown.stdout.splitlines() if line.strip()]
    assert [(r["entity"], r["status"], r["row_count"]) for r in rows] == [
        ("orders", "success", 2),
        ("orders", "success", 3),
    ]
    owner = _service(azurite).get_blob_client(config, "shop/.hygge/owner.json")
    assert json.loads(owner.download_blob().readall())["root"] == where  # not a cwd path
    for done in (first, second, shown):
        assert KEY not in _said(done)


def test_list_of_a_blob_workspace_from_anywhere(tmp_path, azurite, blob_shop):
    config = blob_shop[0]
    env = {"HYGGE_STORAGE_CONNECTION": azurite.connection_string}

    done = hygge(tmp_path, "list", "-w", f"az://{config}/shop", env=env)

    assert done.returncode == 0, _said(done)
    assert "sales.orders" in done.stdout


def test_a_broken_blob_workspace_names_the_blob_and_line(tmp_path, azurite, blob_shop):
    config = blob_shop[0]
    _put(azurite, config, "shop/flows/sales/flow.yml", (FLOW + "run_tpye: full_drop\n").encode())
    env = {"HYGGE_STORAGE_CONNECTION": azurite.connection_string}

    done = hygge(tmp_path, "go", "-w", f"az://{config}/shop", env=env)

    assert done.returncode == 2, _said(done)
    assert f"az://{config}/shop/flows/sales/flow.yml line 6" in done.stderr
    assert "run_type" in done.stderr


def test_a_missing_blob_workspace_says_where_it_looked(tmp_path, azurite, blob_container):
    env = {"HYGGE_STORAGE_CONNECTION": azurite.connection_string}

    done = hygge(tmp_path, "list", "-w", f"az://{blob_container}/nothing-here", env=env)

    assert done.returncode == 2, _said(done)
    assert f"no hygge.yml in az://{blob_container}/nothing-here" in done.stderr


def test_a_blob_workspace_without_an_account_says_what_to_set(tmp_path):
    done = hygge(tmp_path, "list", "-w", "az://config/shop", env={"HYGGE_STORAGE_CONNECTION": ""})

    assert done.returncode == 2, _said(done)
    assert "HYGGE_STORAGE_ACCOUNT_URL" in done.stderr


def test_debug_reset_and_unlock_work_on_a_blob_workspace(tmp_path, azurite, blob_shop):
    config, landing, _ = blob_shop
    _put(azurite, landing, "sales/orders/a.parquet", _parquet(pl.DataFrame({"id": [1, 2]})))
    env = {
        "HYGGE_STORAGE_CONNECTION": azurite.connection_string,
        "HYGGE_WORKSPACE": f"az://{config}/shop",
    }
    assert hygge(tmp_path, "go", env=env).returncode == 0

    debug = hygge(tmp_path, "debug", env=env)
    reset = hygge(tmp_path, "reset", "--flow", "sales", "--yes", env=env)
    unlock = hygge(tmp_path, "unlock", "--flow", "sales", "--entity", "orders", env=env)

    assert debug.returncode == 0, _said(debug)
    assert f"az://{config}/shop/.hygge" in debug.stdout
    assert reset.returncode == 0, _said(reset)
    assert "shop/.hygge/watermarks/sales/orders.json" not in _names(azurite, config)
    assert unlock.returncode == 0, _said(unlock)
    assert "sales.orders is not locked: nothing to unlock." in unlock.stdout
    assert list(tmp_path.iterdir()) == []
