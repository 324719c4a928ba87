"""File homes and stores whose folders overlap are refused when the workspace loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygge.config import load_workspace
from hygge.errors import ConfigError


def _error(write_workspace, files: dict[str, str]) -> ConfigError:
    root = write_workspace(files)
    with pytest.raises(ConfigError) as raised:
        load_workspace(root, env={})
    return raised.value


OWN_CASES = [
    pytest.param(
        "home: data/incoming\nstore: data\n",
        "its home 'data/incoming' (flows/f/flow.yml line 1) is inside its store 'data' "
        "(flows/f/flow.yml line 2)",
        id="home-inside-store",
    ),
    pytest.param(
        "home: data\nstore: data/out\n",
        "its store 'data/out' (flows/f/flow.yml line 2) is inside its home 'data' "
        "(flows/f/flow.yml line 1)",
        id="store-inside-home",
    ),
    pytest.param(
        "home: data\nstore: ./data/\n",
        "its home 'data' (flows/f/flow.yml line 1) and its store './data/' (flows/f/flow.yml "
        "line 2) are the same folder",
        id="same-folder-spelt-differently",
    ),
    pytest.param(
        "home: {type: local, path: lake/x/../in, format: csv}\nstore: {type: local, path: lake}\n",
        "its home 'lake/x/../in' (flows/f/flow.yml line 1) is inside its store 'lake' "
        "(flows/f/flow.yml line 2)",
        id="local-types-and-dot-dot",
    ),
]


@pytest.mark.parametrize(("flow_yml", "relation"), OWN_CASES)
def test_an_entity_whose_home_and_store_overlap_is_refused(write_workspace, flow_yml, relation):
    error = _error(write_workspace, {"flows/f/flow.yml": flow_yml})

    assert (error.file, error.line) == ("flows/f/flow.yml", None)
    assert error.detail == (
        f"entity 'f.f': {relation}; a full_drop run would delete files the home reads, and the "
        "home would read the store's own output"
    )
    assert error.hint == (
        "give the home and the store separate folders, neither inside the other "
        "(e.g. home: landing, store: lake)"
    )


def test_an_inline_entity_with_its_store_on_its_home_is_refused_at_its_line(write_workspace):
    error = _error(
        write_workspace,
        {"flows/f/flow.yml": "home: data\nstore: data\nentities:\n  - ok_one\n  - orders\n"},
    )

    assert (error.file, error.line) == ("flows/f/flow.yml", 4)
    assert "entity 'f.ok_one': its home 'data/ok_one'" in error.detail


def test_an_absolute_store_path_equal_to_the_resolved_home_is_refused(write_workspace, tmp_path):
    home = tmp_path / "ws" / "landing" / "o"
    error = _error(
        write_workspace,
        {
            "flows/f/flow.yml": "home: landing\nstore: lake\n",
            "flows/f/entities/o.yml": f"name: o\nstore:\n  path: {home}\n",
        },
    )

    assert (error.file, error.line) == ("flows/f/entities/o.yml", None)
    assert f"its store '{home}' (flows/f/entities/o.yml line 3)" in error.detail
    assert "are the same folder" in error.detail


def test_two_entities_with_the_same_store_folder_are_refused_naming_both(write_workspace):
    error = _error(
        write_workspace,
        {
            "flows/f1/flow.yml": "home: landing\nstore: lake\nentities: [orders]\n",
            "flows/f2/flow.yml": "home: more\nstore: lake\nentities: [orders]\n",
        },
    )

    assert str(error).splitlines() == [
        "flows/f2/flow.yml line 3: entity 'f2.orders' stores into 'lake/orders', which is also "
        "the store folder of entity 'f1.orders' (flows/f1/flow.yml line 3); each run of one "
        "would replace or mix with the other's files",
        "  hint: give each entity its own store folder: change a store path, or the entity name "
        "that is appended to it",
    ]


def test_a_store_folder_inside_another_entitys_store_folder_is_refused(write_workspace):
    error = _error(
        write_workspace,
        {
            "flows/all/flow.yml": "home: landing\nstore: lake\n",
            "flows/shop/flow.yml": "home: in\nstore: lake\n",
            "flows/shop/entities/orders.yml": "name: orders\n",
        },
    )

    assert (error.file, error.line) == ("flows/shop/entities/orders.yml", None)
    assert error.detail == (
        "entity 'shop.orders' stores into 'lake/orders', inside 'lake', the store folder of "
        "entity 'all.all' (flows/all/flow.yml); a full_drop run of 'all.all' would delete the "
        "files of 'shop.orders'"
    )


def test_an_entity_reading_another_entitys_store_is_chaining_and_loads(write_workspace):
    root = write_workspace(
        {
            "flows/raw/flow.yml": "home: landing\nstore: lake/raw\nentities: [orders]\n",
            "flows/clean/flow.yml": "home: lake/raw\nstore: lake/clean\nentities: [orders]\n",
        }
    )

    workspace = load_workspace(root)

    assert [e.qualified_name for e in workspace.entities] == ["clean.orders", "raw.orders"]


def test_store_folders_that_only_share_a_name_prefix_load(write_workspace):
    root = write_workspace(
        {"flows/f/flow.yml": "home: lake_in\nstore: lake\nentities: [orders, orders_eu]\n"}
    )

    workspace = load_workspace(root)

    assert [e.store.path for e in workspace.entities] == ["lake/orders", "lake/orders_eu"]


def test_a_home_and_store_that_only_share_a_name_prefix_load(write_workspace):
    # `data2` starts with the characters of `data` but is not inside it (nor the other way).
    root = write_workspace({"flows/f/flow.yml": "home: data\nstore: data2\n"})

    workspace = load_workspace(root)

    assert [e.store.path for e in workspace.entities] == ["data2"]


def test_a_store_reached_through_a_link_into_its_home_is_refused(write_workspace):
    root = write_workspace({"flows/f/flow.yml": "home: data\nstore: out/deep\n"})
    (root / "data").mkdir()
    (root / "out").symlink_to(root / "data", target_is_directory=True)

    with pytest.raises(ConfigError, match="is inside its home 'data'"):
        load_workspace(root, env={})


@pytest.mark.parametrize(
    "store",
    [
        pytest.param(".", id="the-workspace-root"),
        pytest.param("flows", id="the-flows-folder"),
        pytest.param(".hygge", id="the-state-folder"),
    ],
)
def test_a_store_folder_holding_the_workspace_s_own_folders_is_refused(
    tmp_path: Path, store: str
) -> None:
    (tmp_path / "hygge.yml").write_text("name: t\n")
    flow = tmp_path / "flows" / "whole"
    flow.mkdir(parents=True)
    (flow / "flow.yml").write_text(f"home: landing\nstore: '{store}'\n")

    with pytest.raises(ConfigError, match="holds the workspace's own folder") as raised:
        load_workspace(tmp_path)

    assert "flows/whole/flow.yml" in str(raised.value)
