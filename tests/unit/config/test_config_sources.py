"""Discovery of the workspace root, and loading through the WorkspaceSource seam."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygge.config import LocalFolderSource, WorkspaceSource, find_workspace_root, load_workspace
from hygge.errors import ConfigError


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
            "hygge.yml": "name: cloud\n",
            "flows/sales/flow.yml": "home: landing\nstore: lake\n",
            "flows/sales/entities/orders.yml": "name: orders\n",
        }
    )

    workspace = load_workspace(source=source, env={})

    assert workspace.name == "cloud"
    assert workspace.root == Path("az://container/prefix")
    assert workspace.entity("sales.orders").store.path == "lake/orders"
    assert set(source.reads) == {
        "hygge.yml",
        "flows/sales/flow.yml",
        "flows/sales/entities/orders.yml",
    }


def test_source_with_an_explicit_root_uses_that_root(memory_source, tmp_path):
    source = memory_source({"hygge.yml": "x: 1\n"})

    with pytest.raises(ConfigError) as raised:
        load_workspace(tmp_path, source=source, env={})

    assert raised.value.file == "hygge.yml"  # read from the source, not from tmp_path


def test_loading_reads_no_environment_when_env_is_given(memory_source, monkeypatch):
    monkeypatch.setenv("LAKE", "from-process")
    source = memory_source(
        {"hygge.yml": "name: c\n", "flows/f/flow.yml": "home: in\nstore: ${LAKE:-lake}\n"}
    )

    workspace = load_workspace(source=source, env={})

    assert workspace.entities[0].store.path == "lake"
