"""Discovery of the workspace root, and loading through the WorkspaceSource seam."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygge.config import (
    LocalFolderSource,
    StorageWorkspaceSource,
    WorkspaceSource,
    find_workspace_root,
    load_workspace,
    open_workspace_source,
)
from hygge.errors import ConfigError
from hygge.storage import MemoryStorage


def test_root_is_found_by_walking_up_from_a_nested_folder(write_workspace):
    root = write_workspace({"flows/f/flow.yml": "home: a\nstore: b\n"})
    nested = root / "flows" / "f" / "x" / "y"
    nested.mkdir(parents=True)

    assert find_workspace_root(nested) == root.resolve()


def test_nearest_hygge_yml_wins(write_workspace):
    root = write_workspace({"inner/hygge.yml": "name: inner\n"})

    assert find_workspace_root(root / "inner") == (root / "inner").resolve()


def test_no_workspace_found_lists_where_it_looked_and_hints_at_init(tmp_path):
    start = tmp_path / "a" / "b"
    start.mkdir(parents=True)

    with pytest.raises(ConfigError) as raised:
        find_workspace_root(start)

    message = str(raised.value)
    assert str(start.resolve()) in message
    assert str(tmp_path.resolve()) in message
    assert raised.value.hint is not None and "hygge init NAME" in raised.value.hint


def test_local_folder_source_reads_lists_and_checks(tmp_path):
    (tmp_path / "flows" / "b").mkdir(parents=True)
    (tmp_path / "flows" / "a.yml").write_text("x: 1\n", encoding="utf-8")
    source = LocalFolderSource(tmp_path)

    assert isinstance(source, WorkspaceSource)
    assert source.label == str(tmp_path)
    assert source.list_dir("flows") == ["a.yml", "b"]
    assert source.list_dir("missing") == []
    assert source.read_text("flows/a.yml") == "x: 1\n"
    assert source.is_dir("flows/b") and not source.is_dir("flows/a.yml")
    assert source.exists("flows/a.yml") and not source.exists("nope")
    with pytest.raises(FileNotFoundError):
        source.read_text("nope.yml")


def test_workspace_loads_from_any_source_such_as_a_blob_prefix(memory_source):
    source = memory_source(
        {
            "hygge.yml": "name: cloud\nstate: {path: /srv/hygge-state}\n",
            "flows/sales/flow.yml": "home: /srv/landing\nstore: /srv/lake\n",
            "flows/sales/entities/orders.yml": "name: orders\n",
        }
    )

    workspace = load_workspace(source=source, env={})

    assert workspace.name == "cloud"
    assert workspace.location == "az://container/prefix"  # not az:/container/prefix
    assert workspace.entity("sales.orders").store.path == "/srv/lake/orders"
    assert not workspace.on_disk
    assert set(source.reads) == {
        "hygge.yml",
        "flows/sales/flow.yml",
        "flows/sales/entities/orders.yml",
    }


def test_source_with_an_explicit_root_uses_that_root(memory_source, tmp_path):
    source = memory_source({"hygge.yml": "x: 1\n"})

    with pytest.raises(ConfigError) as raised:
        load_workspace(tmp_path, source=source, env={})

    # read from the source, not from tmp_path, and named as the source names it
    assert raised.value.file == "az://container/prefix/hygge.yml"


def test_loading_reads_no_environment_when_env_is_given(memory_source, monkeypatch):
    monkeypatch.setenv("LAKE", "from-process")
    source = memory_source(
        {"hygge.yml": "name: c\n", "flows/f/flow.yml": "home: in\nstore: ${LAKE:-lake}\n"}
    )

    workspace = load_workspace(Path("/srv/ws"), source=source, env={})

    assert workspace.entities[0].store.path == "lake"


def _write_storage_workspace(storage, prefix):
    storage.put(f"{prefix}/hygge.yml", b"name: stored\nstate: {path: /srv/state}\n")
    storage.put(f"{prefix}/flows/sales/flow.yml", b"home: /srv/landing\nstore: /srv/lake\n")
    storage.put(f"{prefix}/flows/sales/entities/orders.yml", b"name: orders\n")
    storage.put("other/hygge.yml", b"name: not-this-one\n")


def test_a_workspace_loads_from_a_prefix_of_an_object_storage():
    storage = MemoryStorage("container")
    _write_storage_workspace(storage, "teams/sales")

    workspace = load_workspace(source=StorageWorkspaceSource(storage, "teams/sales"), env={})

    assert workspace.name == "stored"
    assert workspace.location == "memory://container/teams/sales"
    assert [e.qualified_name for e in workspace.entities] == ["sales.orders"]


def test_a_storage_source_lists_reads_and_checks_like_a_folder():
    storage = MemoryStorage()
    _write_storage_workspace(storage, "ws")
    source = StorageWorkspaceSource(storage, "ws")

    assert isinstance(source, WorkspaceSource)
    assert source.list_dir("") == ["flows", "hygge.yml"]
    assert source.list_dir("flows/sales") == ["entities", "flow.yml"]
    assert source.is_dir("flows") and not source.is_dir("hygge.yml")
    assert source.exists("hygge.yml") and source.exists("flows") and not source.exists("x.yml")
    with pytest.raises(FileNotFoundError):
        source.read_text("missing.yml")


def test_a_workspace_uri_picks_the_local_folder_source_for_a_path_or_file_uri(tmp_path):
    (tmp_path / "hygge.yml").write_text("name: local\n", encoding="utf-8")
    (tmp_path / "flows" / "f").mkdir(parents=True)
    (tmp_path / "flows" / "f" / "flow.yml").write_text("home: a\nstore: b\n", encoding="utf-8")

    for uri in (str(tmp_path), tmp_path.as_uri()):
        workspace = load_workspace(source=uri, env={})
        assert workspace.name == "local" and workspace.root == tmp_path.resolve()


def test_an_az_workspace_uri_without_an_account_says_which_variables_to_set():
    with pytest.raises(ConfigError) as raised:
        load_workspace(source="az://container/prefix", env={})

    message = str(raised.value)
    assert "az://container/prefix" in message  # not az:/container/prefix
    assert "HYGGE_STORAGE_CONNECTION" in message and "HYGGE_STORAGE_ACCOUNT_URL" in message
    assert isinstance(open_workspace_source("/tmp"), LocalFolderSource)
