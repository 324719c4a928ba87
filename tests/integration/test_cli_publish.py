"""`hygge publish FOLDER az://…` against Azurite: what it uploads and shows, --dry-run, a
broken workspace refused, blobs it did not publish left alone, then `hygge go -w` runs it."""

from __future__ import annotations

import pytest

from tests.integration.test_cli_blob_workspace import FLOW, PROJECT, _container, _names, _put
from tests.support.azurite import KEY
from tests.support.cli import hygge
from tests.support.workspace import write_workspace

pytestmark = pytest.mark.azurite


def _shop(tmp_path, azurite):
    landing, lake = _container(azurite), _container(azurite)
    root = write_workspace(
        tmp_path / "shop", {"sales": FLOW}, PROJECT.format(landing=landing, lake=lake)
    )
    (root / ".env").write_text("HYGGE_STORAGE_CONNECTION=secret\n")
    (root / ".hygge").mkdir()
    (root / ".hygge" / "owner.json").write_text("{}")
    (root / "landing").mkdir()
    (root / "landing" / "a.parquet").write_bytes(b"PAR1")
    return root


def _said(done) -> str:
    return done.stdout + done.stderr


def test_publish_uploads_only_workspace_files_and_shows_what_changed(
    tmp_path, azurite, blob_container
):
    root = _shop(tmp_path, azurite)
    env = {"HYGGE_STORAGE_CONNECTION": azurite.connection_string}
    target = f"az://{blob_container}/shop"

    dry = hygge(tmp_path, "publish", str(root), target, "--dry-run", env=env)
    assert dry.returncode == 0, _said(dry)
    assert "added     flows/sales/flow.yml" in dry.stdout and "nothing was written" in dry.stdout
    assert _names(azurite, blob_container) == []

    first = hygge(tmp_path, "publish", str(root), target, env=env)
    assert first.returncode == 0, _said(first)
    assert "Published: 2 added, 0 changed, 0 removed, 0 unchanged" in first.stdout
    assert _names(azurite, blob_container) == [
        "shop/.hygge-published.json",
        "shop/flows/sales/flow.yml",
        "shop/hygge.yml",
    ]

    (root / "flows" / "sales" / "flow.yml").write_text(FLOW + "queue_size: 2\n")
    again = hygge(tmp_path, "publish", str(root), target, env=env)
    assert again.returncode == 0, _said(again)
    assert "changed   flows/sales/flow.yml" in again.stdout
    assert "1 changed, 0 removed, 1 unchanged" in again.stdout
    for done in (dry, first, again):
        assert KEY not in _said(done)


def test_publish_refuses_a_workspace_that_would_not_load_from_blob(
    tmp_path, azurite, blob_container
):
    root = write_workspace(tmp_path / "shop", {"sales": "home: landing\nstore: lake\n"})
    env = {"HYGGE_STORAGE_CONNECTION": azurite.connection_string}

    done = hygge(tmp_path, "publish", str(root), f"az://{blob_container}/shop", env=env)

    assert done.returncode == 2, _said(done)
    assert f"{root}/flows/sales/flow.yml line 1" in done.stderr
    assert "is relative" in done.stderr
    assert _names(azurite, blob_container) == []


def test_publish_leaves_blobs_it_did_not_publish_and_refuses_to_replace_them(
    tmp_path, azurite, blob_container
):
    root = _shop(tmp_path, azurite)
    env = {"HYGGE_STORAGE_CONNECTION": azurite.connection_string}
    _put(azurite, blob_container, "shop/hygge.yml", b"name: by-hand\n")

    done = hygge(tmp_path, "publish", str(root), f"az://{blob_container}/shop", env=env)

    assert done.returncode == 1, _said(done)
    assert f"az://{blob_container}/shop/hygge.yml (not published by hygge)" in done.stderr
    assert _names(azurite, blob_container) == ["shop/hygge.yml"]


def test_a_published_workspace_runs_with_go_w(tmp_path, azurite, blob_container):
    root = _shop(tmp_path, azurite)
    env = {"HYGGE_STORAGE_CONNECTION": azurite.connection_string}
    target = f"az://{blob_container}/shop"
    assert hygge(tmp_path, "publish", str(root), target, env=env).returncode == 0

    listed = hygge(tmp_path, "list", "-w", target, env=env)

    assert listed.returncode == 0, _said(listed)
    assert "sales.orders" in listed.stdout


def test_publish_to_a_local_folder_is_refused(tmp_path, azurite):
    root = _shop(tmp_path, azurite)

    done = hygge(tmp_path, "publish", str(root), str(tmp_path / "elsewhere"))

    assert done.returncode == 2, _said(done)
    assert "az://container/prefix" in done.stderr
