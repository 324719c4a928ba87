"""`--var flow.<flow>.<dotted.path>=value` overrides."""

from __future__ import annotations

import pytest

from hygge.config import load_workspace
from hygge.config.overrides import parse_value
from hygge.errors import ConfigError
from hygge.types import RunType

FILES = {
    "flows/sales/flow.yml": "home: in\nstore: lake\nentities: [orders]\n",
    "flows/stock/flow.yml": "home: in2\nstore: lake2\n",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("true", True, id="true"),
        pytest.param("False", False, id="false"),
        pytest.param("1", 1, id="one-is-an-int-not-a-bool"),
        pytest.param("0", 0, id="zero-is-an-int-not-a-bool"),
        pytest.param("-42", -42, id="negative-int"),
        pytest.param("2.5", 2.5, id="decimal"),
        pytest.param("1e3", 1000.0, id="exponent"),
        pytest.param("null", None, id="null"),
        pytest.param("yes", "yes", id="yes-stays-text"),
        pytest.param("/tmp/x", "/tmp/x", id="path"),
        pytest.param("a=b", "a=b", id="text-with-equals"),
    ],
)
def test_var_values_are_typed(text, expected):
    value = parse_value(text)

    assert value == expected
    assert type(value) is type(expected)


def test_var_sets_a_nested_store_key_for_every_entity_of_the_flow(write_workspace):
    root = write_workspace(FILES)

    workspace = load_workspace(root, overrides=["flow.sales.store.path=/tmp/x"])

    assert workspace.entity("sales.orders").store.path == "/tmp/x/orders"
    assert workspace.entity("stock.stock").store.path == "lake2"


def test_var_sets_run_type_and_typed_values(write_workspace):
    root = write_workspace(FILES)

    entity = load_workspace(
        root, overrides=["flow.sales.run_type=incremental", "flow.sales.queue_size=7"]
    ).entity("sales.orders")

    assert (entity.run_type, entity.queue_size) == (RunType.INCREMENTAL, 7)


def test_later_var_wins_over_an_earlier_one(write_workspace):
    root = write_workspace(FILES)

    entity = load_workspace(
        root, overrides=["flow.sales.queue_size=7", "flow.sales.queue_size=9"]
    ).entity("sales.orders")

    assert entity.queue_size == 9


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("sales.run_type=incremental", id="no-flow-prefix"),
        pytest.param("flow.sales.run_type", id="no-equals"),
        pytest.param("flow.sales..run_type=x", id="empty-key"),
    ],
)
def test_malformed_var_is_an_error_showing_the_form(write_workspace, text):
    root = write_workspace(FILES)

    with pytest.raises(ConfigError) as raised:
        load_workspace(root, overrides=[text])

    assert "malformed --var" in str(raised.value)
    assert raised.value.hint is not None and "flow.<flow>.<key>=<value>" in raised.value.hint


def test_var_naming_an_unknown_flow_lists_the_flows(write_workspace):
    root = write_workspace(FILES)

    with pytest.raises(ConfigError) as raised:
        load_workspace(root, overrides=["flow.sale.run_type=incremental"])

    assert "unknown flow 'sale' (did you mean 'sales'?)" in str(raised.value)
    assert raised.value.hint == "flows in this workspace: sales, stock"


def test_var_with_an_unknown_key_suggests_the_valid_one(write_workspace):
    root = write_workspace(FILES)

    with pytest.raises(ConfigError) as raised:
        load_workspace(root, overrides=["flow.sales.run_tpye=incremental"])

    assert raised.value.file == "--var flow.sales.run_tpye"
    assert "unknown key 'run_tpye' in a flow (did you mean 'run_type'?)" in str(raised.value)


def test_var_with_a_bad_value_names_the_var(write_workspace):
    root = write_workspace(FILES)

    with pytest.raises(ConfigError) as raised:
        load_workspace(root, overrides=["flow.sales.queue_size=lots"])

    assert str(raised.value).startswith("--var flow.sales.queue_size: invalid value 'lots'")


def test_var_cannot_replace_the_entity_list(write_workspace):
    root = write_workspace(FILES)

    with pytest.raises(ConfigError, match="'entities' cannot be set from the command line"):
        load_workspace(root, overrides=["flow.sales.entities=x"])
