"""Entity paths: the flow path plus the entity, always relative to the workspace root."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygge.config import find_workspace_root, load_workspace
from hygge.types import Place


def _entity(write_workspace, flow_yml, entity_yml=None, name="orders"):
    files = {"flows/f/flow.yml": flow_yml}
    if entity_yml is not None:
        files["flows/f/entities/e.yml"] = f"name: {name}\n{entity_yml}"
    return load_workspace(write_workspace(files)).entities[0]


def test_entity_name_is_appended_to_file_home_and_store_paths(write_workspace):
    entity = _entity(write_workspace, "home: data/in\nstore: lake/out\n", "")

    assert entity.home.path == "data/in/orders"
    assert entity.store.path == "lake/out/orders"


def test_entity_relative_path_is_joined_onto_the_flow_path_without_the_name(write_workspace):
    entity = _entity(
        write_workspace, "home: data/in/\nstore: lake\n", "home:\n  path: sub/folder\n"
    )

    assert entity.home.path == "data/in/sub/folder"
    assert entity.store.path == "lake/orders"


def test_entity_absolute_path_is_used_as_is(write_workspace):
    entity = _entity(write_workspace, "home: data/in\nstore: lake\n", "home:\n  path: /mnt/x\n")

    assert entity.home.path == "/mnt/x"


def test_implicit_entity_uses_the_flow_path_as_is(write_workspace):
    entity = _entity(write_workspace, "home: data/in/orders.parquet\nstore: lake/orders\n")

    assert entity.home.path == "data/in/orders.parquet"
    assert entity.store.path == "lake/orders"


def test_entity_placeholder_is_replaced_and_no_sub_folder_is_appended(write_workspace):
    entity = _entity(write_workspace, "home: landing/{entity}/files\nstore: lake/{entity}_v1\n", "")

    assert entity.home.path == "landing/orders/files"
    assert entity.store.path == "lake/orders_v1"


def test_inline_string_entities_get_their_own_sub_folder(write_workspace):
    root = write_workspace({"flows/f/flow.yml": "home: in\nstore: out\nentities: [a, b]\n"})

    paths = [(e.home.path, e.store.path) for e in load_workspace(root).entities]

    assert paths == [("in/a", "out/a"), ("in/b", "out/b")]


def test_entity_store_of_another_type_replaces_the_flow_store(write_workspace):
    entity = _entity(
        write_workspace,
        "home: in\nstore:\n  type: parquet\n  path: lake\n  compression: zstd\n",
        "store:\n  type: local\n  path: exports/orders.csv\n  format: csv\n",
    )

    assert entity.store.type == "local"
    assert entity.store.path == "exports/orders.csv"
    assert entity.store.compression is None


def test_entity_block_without_type_merges_into_the_flow_block(write_workspace):
    entity = _entity(
        write_workspace,
        "home: in\nstore:\n  type: local\n  path: out\n  format: csv\n",
        "store:\n  batch_size: 10\n",
    )

    assert (entity.store.type, entity.store.format, entity.store.batch_size) == ("local", "csv", 10)
    assert entity.store.path == "out/orders"


def test_block_without_type_is_parquet(write_workspace):
    entity = _entity(write_workspace, "home:\n  path: in\nstore:\n  path: out\n")

    assert (entity.home.type, entity.store.type) == ("parquet", "parquet")


@pytest.mark.parametrize("cwd_kind", ["root", "sub", "elsewhere"])
def test_paths_stay_relative_to_the_workspace_root_whatever_the_cwd(
    write_workspace, tmp_path, monkeypatch, cwd_kind
):
    root = write_workspace({"flows/f/flow.yml": "home: data/in\nstore: lake\nentities: [a]\n"})
    cwd = {"root": root, "sub": root / "flows" / "f", "elsewhere": tmp_path}[cwd_kind]
    monkeypatch.chdir(cwd)

    workspace = load_workspace(root)
    entity = workspace.entities[0]
    place = Place(workspace.root, entity.flow, entity.name)

    assert entity.store.path == "lake/a"
    assert place.resolve(entity.store.path) == root.resolve() / "lake" / "a"


def test_workspace_is_found_and_loaded_from_a_nested_folder(write_workspace, monkeypatch):
    root = write_workspace({"flows/f/flow.yml": "home: data/in\nstore: lake\n"})
    nested = root / "flows" / "f" / "deeper"
    nested.mkdir()
    monkeypatch.chdir(nested)

    workspace = load_workspace()

    assert workspace.root == root.resolve()
    assert find_workspace_root() == root.resolve()
    assert Path(workspace.root / workspace.entities[0].store.path) == root.resolve() / "lake"
