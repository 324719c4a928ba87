"""Flow and entity names become file names: too long ones are refused when the workspace loads."""

from __future__ import annotations

import pytest

from hygge.config import load_workspace
from hygge.errors import ConfigError
from hygge.state.layout import MAX_NAME_BYTES

FLOW = "home: data/in\nstore: lake\n"
LONGEST = "e" * MAX_NAME_BYTES
TOO_LONG = "e" * (MAX_NAME_BYTES + 1)


def test_names_are_limited_to_100_bytes() -> None:
    assert MAX_NAME_BYTES == 100


def test_an_inline_entity_name_over_the_limit_is_refused_with_file_and_line(write_workspace):
    root = write_workspace({"flows/shop/flow.yml": FLOW + f"entities:\n  - ok\n  - {TOO_LONG}\n"})

    with pytest.raises(ConfigError) as raised:
        load_workspace(root)

    assert (raised.value.file, raised.value.line) == ("flows/shop/flow.yml", 5)
    assert raised.value.detail == (
        f"entity name '{TOO_LONG[:20]}…' is 101 bytes long; flow and entity names are limited "
        "to 100 bytes, so that the state and staging files named after them fit in a file "
        "name (255 bytes)"
    )
    assert raised.value.hint == "shorten the name"


def test_an_entity_file_name_over_the_limit_is_refused_with_file_and_line(write_workspace):
    root = write_workspace(
        {
            "flows/shop/flow.yml": FLOW,
            "flows/shop/entities/e.yml": f"run_type: full_drop\nname: {TOO_LONG}\n",
        }
    )

    with pytest.raises(ConfigError) as raised:
        load_workspace(root)

    assert (raised.value.file, raised.value.line) == ("flows/shop/entities/e.yml", 2)
    assert "is 101 bytes long" in raised.value.detail


def test_a_flow_folder_name_over_the_limit_is_refused(write_workspace):
    name = "f" * (MAX_NAME_BYTES + 1)
    root = write_workspace({f"flows/{name}/flow.yml": FLOW + "entities: [orders]\n"})

    with pytest.raises(ConfigError) as raised:
        load_workspace(root)

    assert raised.value.file == f"flows/{name}"
    assert raised.value.detail.startswith(f"flow name '{name[:20]}…' is 101 bytes long")
    assert raised.value.hint == "rename the flow's folder"


def test_names_of_exactly_the_limit_load(write_workspace):
    flow = "f" * MAX_NAME_BYTES
    root = write_workspace({f"flows/{flow}/flow.yml": FLOW + f"entities: [{LONGEST}]\n"})

    workspace = load_workspace(root)

    assert [e.name for e in workspace.entities] == [LONGEST]
