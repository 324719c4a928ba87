"""Every configuration error names the file (workspace-relative) and, where known, the line."""

from __future__ import annotations

import pytest

from hygge.config import load_workspace
from hygge.errors import ConfigError


def _error(write_workspace, files: dict[str, str]) -> ConfigError:
    root = write_workspace(files)
    with pytest.raises(ConfigError) as raised:
        load_workspace(root, env={})
    return raised.value


def _flow_error(write_workspace, flow_yml: str) -> ConfigError:
    return _error(write_workspace, {"flows/orders/flow.yml": flow_yml})


FLOW_YML = "flows/orders/flow.yml"

CASES = [
    pytest.param(
        "home: in\nstore:\n  type: parquet\n  path: out\n\n  compresion: zstd\n",
        6,
        "unknown key 'compresion' in store (did you mean 'compression'?)",
        id="unknown-store-key",
    ),
    pytest.param(
        "home: in\nstore: out\nrun_tpye: incremental\n",
        3,
        "unknown key 'run_tpye' in a flow (did you mean 'run_type'?)",
        id="unknown-flow-key",
    ),
    pytest.param(
        "home: in\nstore: out\npolish:\n  hash_ids:\n    - name: h\n      from_colums: [a]\n",
        6,
        "unknown key 'from_colums' in polish.hash_ids[0] (did you mean 'from_columns'?)",
        id="unknown-nested-key",
    ),
    pytest.param(
        "home: in\nstore:\n  type: parqet\n  path: out\n",
        3,
        "unknown store type 'parqet' (did you mean 'parquet'?)",
        id="unknown-type",
    ),
    pytest.param(
        "home: in\nstore:\n  type: azure_blob\n  table: dbo.orders\n",
        3,
        "store type 'azure_blob' is not supported by this version of hygge yet",
        id="known-but-not-yet-supported-type",
    ),
    pytest.param(
        "home: in\nstore:\n  type: local\n  format: csv\n",
        2,
        "missing required key 'path' in store",
        id="missing-key",
    ),
    pytest.param(
        "home: in\nstore: out\nqueue_size: many\n",
        3,
        "invalid value 'many' for 'queue_size': input should be a valid integer",
        id="wrong-type",
    ),
    pytest.param(
        "home: in\nstore: out\nrun_type: incremntal\n",
        3,
        "invalid value 'incremntal' for 'run_type': input should be 'full_drop', 'incremental' "
        "or 'merge' (did you mean 'incremental'?)",
        id="bad-enum",
    ),
    pytest.param(
        "home: in\nstore:\n  type: local\n  path: out\n  format: xlsx\n",
        5,
        "invalid value 'xlsx' for 'store.format'",
        id="bad-literal",
    ),
    pytest.param(
        "home: in\nstore: out\nqueue_size: 1000\n",
        3,
        "input should be less than or equal to 100",
        id="out-of-range",
    ),
    pytest.param(
        "home: in\nstore: out\nrun_type: merge\n",
        3,
        "run_type 'merge' is not supported by store type 'parquet' (it supports: full_drop, "
        "incremental)",
        id="run-type-the-store-cannot-do",
    ),
    pytest.param(
        "home: in\nstore: out\nmerge_strategy: upsert\n",
        3,
        "merge_strategy 'upsert' is not supported by store type 'parquet' (its merge "
        "strategies: none: it cannot merge)",
        id="merge-strategy-the-store-does-not-list",
    ),
    pytest.param(
        "home: in\nstore: out\nrun_type: incremental\nfull_drop: true\n",
        4,
        "'full_drop: true' contradicts 'run_type: incremental'",
        id="full-drop-contradicts-run-type",
    ),
    pytest.param(
        "home: in\nstore:\n  path: out\n  polish:\n    columns: {case: snake}\n"
        "polish:\n  columns: {case: camel}\n",
        6,
        "polish is given twice: as store.polish (flows/orders/flow.yml line 4) and as polish "
        "(flows/orders/flow.yml line 6)",
        id="polish-twice",
    ),
    pytest.param(
        "home: [a, b]\nstore: out\n",
        1,
        "'home' must be a path or a mapping with 'type'",
        id="home-not-a-path-or-mapping",
    ),
    pytest.param(
        "home: in\nstore: out\n  bad: indent\n",
        3,
        "invalid YAML: mapping values are not allowed here",
        id="yaml-syntax",
    ),
    pytest.param(
        "home: in\nstore: out\nhome: again\n",
        3,
        "duplicate key 'home' (first given at line 1)",
        id="duplicate-key",
    ),
    pytest.param(
        "- home: in\n",
        1,
        "expected a mapping of keys at the top of the file, found a list",
        id="not-a-mapping",
    ),
    pytest.param(
        "home: in\nstore: out\nfull_drop: sometimes\n",
        3,
        "'full_drop' must be true or false, got 'sometimes'",
        id="full-drop-not-a-bool",
    ),
    pytest.param(
        "home: in\nstore: out\nwatermark:\n  column: ts\n  watermark_column: ts2\n",
        5,
        "'watermark' gives both 'column' and 'watermark_column' (the same setting); keep one",
        id="watermark-alias-twice",
    ),
    pytest.param(
        "home: in\nstore: out\ndefaults:\n  name: x\n",
        4,
        "'name' cannot be a default",
        id="name-in-defaults",
    ),
]


@pytest.mark.parametrize(("flow_yml", "line", "message"), CASES)
def test_flow_error_names_file_and_line(write_workspace, flow_yml, line, message):
    error = _flow_error(write_workspace, flow_yml)

    assert (error.file, error.line) == (FLOW_YML, line)
    assert message in error.detail


def test_a_run_type_the_store_cannot_do_names_the_entity_and_what_it_supports(write_workspace):
    error = _error(
        write_workspace,
        {
            "flows/shop/flow.yml": "home: in\nstore: out\n",
            "flows/shop/entities/orders.yml": "name: orders\nrun_type: merge\n",
        },
    )

    assert (error.file, error.line) == ("flows/shop/entities/orders.yml", 2)
    assert error.detail.startswith("entity shop.orders: run_type 'merge' is not supported")
    assert "(it supports: full_drop, incremental)" in error.detail


def test_error_text_reads_file_line_then_the_problem(write_workspace):
    error = _flow_error(write_workspace, "home: in\nstore:\n  path: out\n  compresion: zstd\n")

    assert str(error).splitlines()[0] == (
        "flows/orders/flow.yml line 4: unknown key 'compresion' in store "
        "(did you mean 'compression'?)"
    )


def test_not_yet_supported_type_lists_the_supported_ones(write_workspace):
    error = _flow_error(write_workspace, "home: in\nstore:\n  type: azure_blob\n")

    assert error.hint == (
        "supported store types: parquet, local, adls, onelake, blob, duckdb, delta, postgres, "
        "sqlite, mssql, open_mirroring"
    )


@pytest.mark.parametrize(
    ("flow_yml", "line", "block"),
    [
        pytest.param("home: {type: ~, path: in}\nstore: out\n", 1, "home", id="home-tilde"),
        pytest.param("home: in\nstore:\n  type: null\n  path: out\n", 3, "store", id="null"),
        pytest.param("home: in\nstore:\n  type:\n  path: out\n", 3, "store", id="nothing"),
        pytest.param("home: in\nstore: {type: '', path: out}\n", 2, "store", id="empty-text"),
    ],
)
def test_an_empty_type_is_said_to_be_empty_with_the_valid_types(
    write_workspace, flow_yml, line, block
):
    error = _flow_error(write_workspace, flow_yml)

    assert (error.file, error.line) == (FLOW_YML, line)
    assert error.detail == f"{block} `type` is empty; give it one of the {block} types"
    assert "None" not in str(error)
    assert error.hint is not None and error.hint.startswith(f"supported {block} types: parquet")


def test_an_empty_state_type_names_hygge_yml_and_the_state_types(write_workspace):
    files = {
        "hygge.yml": "name: shop\nstate: {type: ~}\n",
        "flows/orders/flow.yml": "home: in\nstore: out\n",
    }
    error = _error(write_workspace, files)

    assert (error.file, error.line) == ("hygge.yml", 2)
    assert error.detail == "state `type` is empty; give it one of the state types"
    assert error.hint == "supported state types: local, azure_blob"


def test_empty_file_is_an_error_naming_it(write_workspace):
    error = _flow_error(write_workspace, "# only a comment\n")

    assert (error.file, error.line) == (FLOW_YML, None)
    assert "the file is empty" in error.detail


def test_missing_store_everywhere_is_an_error_with_a_hint(write_workspace):
    error = _flow_error(write_workspace, "home: in\n")

    assert error.file == FLOW_YML
    assert error.detail == "missing required key 'store'"
    assert error.hint is not None and "flow.yml" in error.hint


def test_error_in_an_entity_file_points_into_that_file_after_merging(write_workspace):
    error = _error(
        write_workspace,
        {
            "flows/orders/flow.yml": "home: in\nstore:\n  type: local\n  path: out\n",
            "flows/orders/entities/eu.yml": "name: eu\nstore:\n  format: xlsx\n",
        },
    )

    assert (error.file, error.line) == ("flows/orders/entities/eu.yml", 3)
    assert "invalid value 'xlsx' for 'store.format'" in error.detail


def test_error_from_flow_defaults_points_at_the_defaults_line(write_workspace):
    error = _error(
        write_workspace,
        {
            "flows/orders/flow.yml": "home: in\nstore: out\ndefaults:\n  queue_size: 0\n",
            "flows/orders/entities/eu.yml": "name: eu\n",
        },
    )

    assert (error.file, error.line) == (FLOW_YML, 4)


def test_error_from_project_defaults_points_into_hygge_yml(write_workspace):
    error = _error(
        write_workspace,
        {
            "hygge.yml": "name: shop\ndefaults:\n  store:\n    compression: best\n",
            "flows/orders/flow.yml": "home: in\nstore: out\n",
        },
    )

    assert (error.file, error.line) == ("hygge.yml", 4)


def test_unknown_key_in_an_entity_file_suggests_the_valid_one(write_workspace):
    error = _error(
        write_workspace,
        {
            "flows/orders/flow.yml": "home: in\nstore: out\n",
            "flows/orders/entities/eu.yml": "name: eu\nwatermrk:\n  column: ts\n",
        },
    )

    assert (error.file, error.line) == ("flows/orders/entities/eu.yml", 2)
    assert error.detail == "unknown key 'watermrk' in an entity (did you mean 'watermark'?)"


def test_unknown_key_in_hygge_yml_suggests_the_valid_one(write_workspace):
    error = _error(
        write_workspace,
        {
            "hygge.yml": "name: shop\noptions:\n  concurency: 4\n",
            "flows/o/flow.yml": "home: a\nstore: b\n",
        },
    )

    assert (error.file, error.line) == ("hygge.yml", 3)
    assert error.detail == "unknown key 'concurency' in options (did you mean 'concurrency'?)"


def test_bad_option_value_in_hygge_yml_names_its_line(write_workspace):
    error = _error(
        write_workspace,
        {
            "hygge.yml": "options:\n  on_interrupted: retry\n",
            "flows/o/flow.yml": "home: a\nstore: b\n",
        },
    )

    assert (error.file, error.line) == ("hygge.yml", 2)
    assert "'options.on_interrupted'" in error.detail


def test_yaml_syntax_error_in_hygge_yml_names_it(write_workspace):
    error = _error(
        write_workspace, {"hygge.yml": "name: [unclosed\n", "flows/o/flow.yml": "home: a\n"}
    )

    assert error.file == "hygge.yml"
    assert error.detail.startswith("invalid YAML:")


def test_workspace_folder_without_hygge_yml_is_an_error(tmp_path):
    with pytest.raises(ConfigError) as raised:
        load_workspace(tmp_path)

    assert "no hygge.yml in" in str(raised.value)
    assert raised.value.hint is not None and "hygge init" in raised.value.hint


def test_inline_entities_must_be_a_list(write_workspace):
    error = _flow_error(write_workspace, "home: in\nstore: out\nentities: orders\n")

    assert (error.file, error.line) == (FLOW_YML, 3)
    assert "'entities' must be a list" in error.detail
