"""`${VAR:-default}` and `${VAR-default}` keep their shell meanings."""

from __future__ import annotations

import pytest

from hygge.config import load_workspace
from hygge.errors import ConfigError


def _home_path(write_workspace, reference: str, env: dict[str, str]) -> str:
    root = write_workspace({"flows/f/flow.yml": f"home: '{reference}'\nstore: lake\n"})
    [entity] = load_workspace(root, env=env).entities
    return str(entity.home.path)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("reference", "env", "path"),
    [
        pytest.param("${IN:-landing}", {}, "landing", id="colon-unset-uses-default"),
        pytest.param("${IN:-landing}", {"IN": ""}, "landing", id="colon-empty-uses-default"),
        pytest.param("${IN:-landing}", {"IN": "data"}, "data", id="colon-set-uses-value"),
        pytest.param("${IN-landing}", {}, "landing", id="dash-unset-uses-default"),
        pytest.param("${IN-landing}", {"IN": "data"}, "data", id="dash-set-uses-value"),
        pytest.param("x${IN-}y", {}, "xy", id="dash-empty-default"),
        pytest.param("a/${IN:-b-c}/d", {"IN": ""}, "a/b-c/d", id="default-with-a-dash"),
        pytest.param("$${IN-x}", {}, "${IN-x}", id="escaped"),
    ],
)
def test_a_default_applies_as_in_a_shell(write_workspace, reference, env, path):
    assert _home_path(write_workspace, reference, env) == path


def test_a_dash_default_keeps_a_set_but_empty_value(write_workspace):
    root = write_workspace({"flows/f/flow.yml": "home: 'in${SUFFIX-_raw}'\nstore: lake\n"})

    [entity] = load_workspace(root, env={"SUFFIX": ""}).entities

    assert entity.home.path == "in"  # type: ignore[union-attr]


def test_an_empty_variable_without_a_default_is_used_as_empty(write_workspace):
    assert _home_path(write_workspace, "landing${SUFFIX}", {"SUFFIX": ""}) == "landing"


def test_an_unset_variable_without_a_default_names_both_default_forms(write_workspace):
    root = write_workspace({"flows/f/flow.yml": "home: '${IN}'\nstore: lake\n"})

    with pytest.raises(ConfigError) as raised:
        load_workspace(root, env={})

    assert raised.value.line == 1
    assert raised.value.hint == (
        "set IN, or give a default: ${IN:-value} (used when IN is unset or empty) or "
        "${IN-value} (used only when IN is unset)"
    )
