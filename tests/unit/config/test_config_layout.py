"""Flows and entities: where they come from, how they are named, which files win."""

from __future__ import annotations

import pytest

from hygge.config import load_workspace
from hygge.errors import ConfigError

FLOW = "home: data/in\nstore: lake\n"


def test_flow_is_named_after_its_folder(write_workspace):
    root = write_workspace({"flows/orders/flow.yml": FLOW})

    workspace = load_workspace(root)

    assert list(workspace.flows) == ["orders"]
    assert workspace.flows["orders"].file == "flows/orders/flow.yml"


def test_flow_name_key_that_differs_from_the_folder_is_ignored_with_a_warning(write_workspace):
    root = write_workspace({"flows/orders/flow.yml": "name: sales\n" + FLOW})

    workspace = load_workspace(root)

    assert list(workspace.flows) == ["orders"]
    assert workspace.warnings == [
        "flows/orders/flow.yml line 1: name 'sales' differs from the folder name 'orders', "
        "which names the flow; the name key is ignored"
    ]


def test_flow_without_entities_is_one_entity_named_after_the_flow(write_workspace):
    root = write_workspace({"flows/orders/flow.yml": FLOW})

    workspace = load_workspace(root)

    assert [e.qualified_name for e in workspace.entities] == ["orders.orders"]
    assert workspace.entities[0].source_file == "flows/orders/flow.yml"


def test_inline_entities_may_be_names_or_mappings(write_workspace):
    root = write_workspace(
        {
            "flows/shop/flow.yml": FLOW
            + "entities:\n  - orders\n  - name: customers\n    queue_size: 9\n",
        }
    )

    workspace = load_workspace(root)

    assert workspace.flows["shop"].entities == ["orders", "customers"]
    assert workspace.entity("shop.customers").queue_size == 9
    assert workspace.entity("shop.orders").queue_size == 4


def test_entity_files_are_read_in_file_name_order(write_workspace):
    root = write_workspace(
        {
            "flows/shop/flow.yml": FLOW,
            "flows/shop/entities/b.yml": "name: zebra\n",
            "flows/shop/entities/a.yaml": "name: yak\n",
            "flows/shop/entities/notes.txt": "not an entity",
        }
    )

    workspace = load_workspace(root)

    assert workspace.flows["shop"].entities == ["yak", "zebra"]
    assert workspace.entity("shop.zebra").source_file == "flows/shop/entities/b.yml"


def test_entity_files_replace_inline_entities(write_workspace):
    root = write_workspace(
        {
            "flows/shop/flow.yml": FLOW + "entities: [orders]\n",
            "flows/shop/entities/customers.yml": "name: customers\n",
        }
    )

    workspace = load_workspace(root)

    assert workspace.flows["shop"].entities == ["customers"]
    assert workspace.warnings == [
        "flows/shop/flow.yml line 3: inline entities are ignored because "
        "flows/shop/entities/ holds files"
    ]


def test_entity_file_without_name_is_an_error_naming_the_file(write_workspace):
    root = write_workspace(
        {"flows/shop/flow.yml": FLOW, "flows/shop/entities/orders.yml": "run_type: incremental\n"}
    )

    with pytest.raises(ConfigError) as raised:
        load_workspace(root)

    assert raised.value.file == "flows/shop/entities/orders.yml"
    assert "an entity needs a 'name'" in str(raised.value)


def test_inline_entity_mapping_without_name_is_an_error_with_its_line(write_workspace):
    root = write_workspace({"flows/shop/flow.yml": FLOW + "entities:\n  - queue_size: 3\n"})

    with pytest.raises(ConfigError) as raised:
        load_workspace(root)

    assert (raised.value.file, raised.value.line) == ("flows/shop/flow.yml", 4)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("dbo.orders", id="dot"),
        pytest.param("-orders", id="leading-dash"),
        pytest.param("or ders", id="space"),
        pytest.param("42", id="number-as-yaml-int"),
    ],
)
def test_invalid_entity_name_is_an_error_with_file_and_line(write_workspace, name):
    root = write_workspace(
        {
            "flows/shop/flow.yml": FLOW,
            "flows/shop/entities/e.yml": f"run_type: full_drop\nname: {name}\n",
        }
    )

    with pytest.raises(ConfigError) as raised:
        load_workspace(root)

    assert (raised.value.file, raised.value.line) == ("flows/shop/entities/e.yml", 2)
    assert "invalid entity name" in str(raised.value)


def test_invalid_inline_entity_name_points_at_its_line(write_workspace):
    root = write_workspace({"flows/shop/flow.yml": FLOW + "entities:\n  - ok\n  - not.ok\n"})

    with pytest.raises(ConfigError) as raised:
        load_workspace(root)

    assert (raised.value.file, raised.value.line) == ("flows/shop/flow.yml", 5)


@pytest.mark.parametrize(
    ("name", "renamed"),
    [
        pytest.param("_hygge_staging", "hygge_staging", id="the-staging-folder"),
        pytest.param("_orders", "orders", id="leading-underscore"),
        pytest.param(".orders", "orders", id="leading-dot"),
    ],
)
def test_entity_name_starting_with_underscore_or_dot_is_refused_with_file_and_line(
    write_workspace, name, renamed
):
    root = write_workspace({"flows/shop/flow.yml": FLOW + f"entities:\n  - ok\n  - '{name}'\n"})

    with pytest.raises(ConfigError) as raised:
        load_workspace(root)

    assert str(raised.value).splitlines() == [
        f"flows/shop/flow.yml line 5: invalid entity name '{name}': names starting with '_' or "
        "'.' are reserved: file readers skip such folders as hidden, and '_hygge_staging' is "
        "where file stores stage a run",
        f"  hint: rename it to start with a letter or digit, e.g. '{renamed}'",
    ]


def test_entity_file_naming_the_staging_folder_is_refused_at_its_name_line(write_workspace):
    root = write_workspace(
        {
            "flows/shop/flow.yml": FLOW,
            "flows/shop/entities/e.yml": "run_type: full_drop\nname: _hygge_staging\n",
        }
    )

    with pytest.raises(ConfigError) as raised:
        load_workspace(root)

    assert (raised.value.file, raised.value.line) == ("flows/shop/entities/e.yml", 2)
    assert "'_hygge_staging' is where file stores stage a run" in raised.value.detail


def test_flow_without_entities_in_an_underscore_folder_is_refused(write_workspace):
    root = write_workspace({"flows/_shop/flow.yml": FLOW})

    with pytest.raises(ConfigError) as raised:
        load_workspace(root)

    assert raised.value.file == "flows/_shop/flow.yml"
    assert "invalid entity name '_shop' (a flow without entities" in raised.value.detail
    assert raised.value.hint == (
        "rename the flow folder to start with a letter or digit, e.g. 'shop'"
    )


def test_entity_name_with_an_underscore_inside_is_accepted(write_workspace):
    root = write_workspace({"flows/shop/flow.yml": FLOW + "entities: [order_lines, v2_orders]\n"})

    workspace = load_workspace(root)

    assert [entity.name for entity in workspace.entities] == ["order_lines", "v2_orders"]


def test_invalid_flow_folder_name_is_an_error(write_workspace):
    root = write_workspace({"flows/bad name/flow.yml": FLOW})

    with pytest.raises(ConfigError) as raised:
        load_workspace(root)

    assert raised.value.file == "flows/bad name"


def test_duplicate_entity_names_in_a_flow_name_both_files(write_workspace):
    root = write_workspace(
        {
            "flows/shop/flow.yml": FLOW,
            "flows/shop/entities/a.yml": "name: orders\n",
            "flows/shop/entities/b.yml": "name: orders\n",
        }
    )

    with pytest.raises(ConfigError) as raised:
        load_workspace(root)

    message = str(raised.value)
    assert "flows/shop/entities/a.yml" in message
    assert "flows/shop/entities/b.yml" in message


def test_duplicate_inline_entities_name_both_lines(write_workspace):
    root = write_workspace({"flows/shop/flow.yml": FLOW + "entities: [orders,\n  orders]\n"})

    with pytest.raises(ConfigError) as raised:
        load_workspace(root)

    assert "flows/shop/flow.yml line 3 and in flows/shop/flow.yml line 4" in str(raised.value)


def test_folder_without_flow_yml_is_skipped_with_a_warning(write_workspace):
    root = write_workspace({"flows/shop/flow.yml": FLOW, "flows/notes/readme.md": "hi"})

    workspace = load_workspace(root)

    assert list(workspace.flows) == ["shop"]
    assert workspace.warnings == [
        "flows/notes: no flow.yml (or flow.yaml), so it is not a flow; skipped"
    ]


def test_flows_dir_setting_is_honoured(write_workspace):
    root = write_workspace({"hygge.yml": "flows_dir: pipelines\n", "pipelines/a/flow.yml": FLOW})

    assert list(load_workspace(root).flows) == ["a"]


def test_missing_flows_folder_is_an_error_with_a_hint(write_workspace):
    root = write_workspace({"hygge.yml": "name: shop\nflows_dir: pipelines\n"})

    with pytest.raises(ConfigError) as raised:
        load_workspace(root)

    assert (raised.value.file, raised.value.line) == ("hygge.yml", 2)
    assert "the flows folder 'pipelines' does not exist" in str(raised.value)
    assert raised.value.hint is not None and "pipelines/<flow>/flow.yml" in raised.value.hint


def test_flows_folder_without_any_flow_is_an_error(write_workspace):
    root = write_workspace({"flows/.keep/x": ""})

    with pytest.raises(ConfigError) as raised:
        load_workspace(root)

    assert "holds no flow" in str(raised.value)
    assert raised.value.hint is not None


def test_workspace_name_defaults_to_the_folder_name(write_workspace):
    root = write_workspace({"hygge.yml": "flows_dir: flows\n", "flows/a/flow.yml": FLOW})

    assert load_workspace(root).name == "ws"


def test_unknown_entity_lookup_suggests_the_nearest_name(write_workspace):
    root = write_workspace({"flows/shop/flow.yml": FLOW + "entities: [orders]\n"})
    workspace = load_workspace(root)

    with pytest.raises(
        ConfigError, match=r"unknown entity 'shop\.order' \(did you mean 'shop\.orders'\?\)"
    ):
        workspace.entity("shop.order")


def test_state_and_journal_folders_follow_hygge_yml(write_workspace):
    root = write_workspace(
        {
            "hygge.yml": "state:\n  path: var/state\njournal:\n  path: var/journal\n",
            "flows/a/flow.yml": FLOW,
        }
    )

    workspace = load_workspace(root)

    assert workspace.state_dir == root.resolve() / "var" / "state"
    assert workspace.journal_dir == root.resolve() / "var" / "journal"


def test_journal_defaults_to_the_state_folder(write_workspace):
    root = write_workspace({"hygge.yml": "state:\n  path: var/state\n", "flows/a/flow.yml": FLOW})

    workspace = load_workspace(root)

    assert workspace.journal_dir == root.resolve() / "var" / "state" / "journal"
