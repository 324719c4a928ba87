"""`{entity}` is replaced in the fields each home/store config declares, and refused elsewhere."""

from __future__ import annotations

import pytest

from hygge.config import load_workspace
from hygge.errors import ConfigError
from hygge.homes import LocalHomeConfig
from hygge.stores.files import LocalStoreConfig


def test_file_configs_declare_path_as_their_entity_field():
    assert LocalHomeConfig.entity_fields == ("path",)
    assert LocalStoreConfig.entity_fields == ("path",)


def test_entity_in_a_declared_field_is_replaced(write_workspace):
    flow = (
        "home: {type: local, format: csv, path: 'in/{entity}.csv'}\nstore: out\nentities: [a, b]\n"
    )
    workspace = load_workspace(write_workspace({"flows/f/flow.yml": flow}), env={})
    assert [e.home.path for e in workspace.entities] == ["in/a.csv", "in/b.csv"]


def test_entity_in_a_pattern_field_is_left_for_the_writer(write_workspace):
    flow = (
        "home: in\nstore: {type: parquet, path: out, file_pattern: '{entity}-{sequence}.parquet'}\n"
    )
    workspace = load_workspace(write_workspace({"flows/f/flow.yml": flow}), env={})
    assert workspace.entities[0].store.file_pattern == "{entity}-{sequence}.parquet"


def test_entity_in_any_other_field_is_a_config_error_naming_it(write_workspace):
    home = "  type: local\n  path: in\n  format: csv\n  options: {}\n  changed_files: '{entity}'"
    flow = f"home:\n{home}\nstore: out\n"
    with pytest.raises(ConfigError, match=r"home\.changed_files contains \{entity\}") as caught:
        load_workspace(write_workspace({"flows/f/flow.yml": flow}), env={})
    assert caught.value.line == 6
    assert "path" in str(caught.value)
