"""`--var` values take `${VAR}` references like the workspace files' strings do."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygge.config import load_workspace
from hygge.errors import ConfigError
from tests.support.workspace import write_workspace

FLOW = "home: landing\nstore: lake\nentities: [orders]\n"


def _store_path(tmp_path: Path, var: str, env: dict[str, str]) -> str:
    root = write_workspace(tmp_path / "ws", {"sales": FLOW})
    workspace = load_workspace(root, overrides=[var], env=env)
    [entity] = workspace.entities
    return str(entity.store.path)  # type: ignore[union-attr]


def test_a_var_value_with_a_reference_is_substituted(tmp_path: Path) -> None:
    lake = tmp_path / "lakes"
    var = "flow.sales.store.path=${LAKES}/sales"

    assert _store_path(tmp_path, var, {"LAKES": str(lake)}) == f"{lake}/sales/orders"


def test_a_var_value_with_a_missing_variable_is_a_config_error_naming_the_var(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError, match=r"environment variable 'NOPE' is not set") as caught:
        _store_path(tmp_path, "flow.sales.store.path=${NOPE}/lake", {})

    assert "--var flow.sales.store.path" in str(caught.value)
