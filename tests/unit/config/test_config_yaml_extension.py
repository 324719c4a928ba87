"""`.yaml` works wherever `.yml` does: hygge.yaml, flow.yaml, entities/*.yaml; never both."""

from __future__ import annotations

import pytest

from hygge.config import find_workspace_root, load_workspace
from hygge.errors import ConfigError

FLOW = "home: landing\nstore: lake\nentities: [orders]\n"


def test_a_flow_yaml_file_is_a_flow(write_workspace):
    root = write_workspace({"flows/sales/flow.yaml": FLOW})

    workspace = load_workspace(root, env={})

    assert [e.qualified_name for e in workspace.entities] == ["sales.orders"]
    assert workspace.flows["sales"].file == "flows/sales/flow.yaml"


def test_a_flow_yaml_error_names_the_yaml_file(write_workspace):
    root = write_workspace({"flows/sales/flow.yaml": FLOW + "run_tipe: incremental\n"})

    with pytest.raises(ConfigError) as raised:
        load_workspace(root, env={})

    assert (raised.value.file, raised.value.line) == ("flows/sales/flow.yaml", 4)


def test_flow_yml_and_flow_yaml_in_one_folder_are_refused_naming_both(write_workspace):
    root = write_workspace({"flows/sales/flow.yml": FLOW, "flows/sales/flow.yaml": FLOW})

    with pytest.raises(ConfigError) as raised:
        load_workspace(root, env={})

    assert raised.value.file == "flows/sales"
    assert raised.value.detail == (
        "both flow.yml and flow.yaml are here; hygge would not know which one to read"
    )
    assert raised.value.hint == "keep one of flows/sales/flow.yml and flows/sales/flow.yaml"


def test_a_hygge_yaml_file_is_the_project_file(tmp_path, monkeypatch):
    (tmp_path / "hygge.yaml").write_text("name: shop\n")
    (tmp_path / "flows" / "sales").mkdir(parents=True)
    (tmp_path / "flows" / "sales" / "flow.yml").write_text(FLOW)
    (tmp_path / "deep" / "er").mkdir(parents=True)

    root = find_workspace_root(tmp_path / "deep" / "er")
    workspace = load_workspace(root, env={})

    assert root == tmp_path.resolve()
    assert workspace.name == "shop"


def test_hygge_yml_and_hygge_yaml_together_are_refused_naming_both(tmp_path):
    (tmp_path / "hygge.yml").write_text("name: shop\n")
    (tmp_path / "hygge.yaml").write_text("name: shop\n")

    with pytest.raises(ConfigError) as raised:
        load_workspace(tmp_path, env={})

    assert raised.value.detail == (
        "both hygge.yml and hygge.yaml are here; hygge would not know which one to read"
    )
    assert raised.value.hint == "keep one of hygge.yml and hygge.yaml"
