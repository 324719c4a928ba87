"""`${VAR}` / `${VAR:-default}` in every string value, before validation."""

from __future__ import annotations

import pytest

from hygge.config import load_workspace
from hygge.errors import ConfigError


def _store_path(write_workspace, store: str, env: dict[str, str]) -> str:
    root = write_workspace({"flows/f/flow.yml": f"home: in\nstore: {store}\n"})
    return load_workspace(root, env=env).entities[0].store.path


@pytest.mark.parametrize(
    ("store", "env", "expected"),
    [
        pytest.param("${LAKE}/out", {"LAKE": "/mnt/lake"}, "/mnt/lake/out", id="set"),
        pytest.param("${LAKE:-lake}/out", {}, "lake/out", id="default-when-unset"),
        pytest.param("${LAKE:-lake}/out", {"LAKE": "mine"}, "mine/out", id="set-beats-default"),
        pytest.param("${A}-${B:-b}", {"A": "a"}, "a-b", id="several"),
        pytest.param("$${LAKE}/out", {"LAKE": "x"}, "${LAKE}/out", id="escaped"),
        pytest.param("'${EMPTY:-}out'", {}, "out", id="empty-default"),
    ],
)
def test_environment_references_are_substituted(write_workspace, store, env, expected):
    assert _store_path(write_workspace, store, env) == expected


def test_substituted_values_are_validated_with_their_target_type(write_workspace):
    root = write_workspace({"flows/f/flow.yml": "home: in\nstore: out\nqueue_size: ${QUEUE}\n"})

    assert load_workspace(root, env={"QUEUE": "12"}).entities[0].queue_size == 12


def test_missing_variable_is_an_error_naming_it_the_file_and_the_line(write_workspace):
    root = write_workspace(
        {"flows/f/flow.yml": "home: in\nstore:\n  type: parquet\n  path: ${LAKE_ROOT}/x\n"}
    )

    with pytest.raises(ConfigError) as raised:
        load_workspace(root, env={})

    error = raised.value
    assert (error.file, error.line) == ("flows/f/flow.yml", 4)
    assert "environment variable 'LAKE_ROOT' is not set (used in store.path)" in str(error)
    assert error.hint is not None and "${LAKE_ROOT:-value}" in error.hint


def test_missing_variable_in_hygge_yml_names_hygge_yml(write_workspace):
    root = write_workspace(
        {
            "hygge.yml": "connections:\n  db:\n    server: ${DB_SERVER}\n",
            "flows/f/flow.yml": "home: in\nstore: out\n",
        }
    )

    with pytest.raises(ConfigError) as raised:
        load_workspace(root, env={})

    assert (raised.value.file, raised.value.line) == ("hygge.yml", 3)


def test_variables_are_substituted_in_list_items_of_entity_files(write_workspace):
    root = write_workspace(
        {
            "flows/f/flow.yml": "home: in\nstore: out\n",
            "flows/f/entities/o.yml": (
                "name: o\nwatermark:\n  column: ts\n  key_columns: ['${KEY}']\n"
            ),
        }
    )

    entity = load_workspace(root, env={"KEY": "order_id"}).entities[0]

    assert entity.watermark is not None and entity.watermark.key_columns == ["order_id"]


def test_environment_defaults_to_the_process_environment(write_workspace, monkeypatch):
    monkeypatch.setenv("HYGGE_TEST_LAKE", "from-env")
    root = write_workspace({"flows/f/flow.yml": "home: in\nstore: ${HYGGE_TEST_LAKE}\n"})

    assert load_workspace(root).entities[0].store.path == "from-env"
