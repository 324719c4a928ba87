"""Reading YAML: values stay JSON-ready, anchors work, every key keeps its line."""

from __future__ import annotations

import pytest

from hygge.config import load_workspace, yaml_file
from hygge.config.yaml_file import parse_yaml
from hygge.errors import ConfigError
from hygge.types import RunType


def test_dates_stay_strings_so_watermark_initial_values_are_json_ready():
    document = parse_yaml("watermark:\n  initial: 2024-01-31\n", "f.yml")

    assert document.data == {"watermark": {"initial": "2024-01-31"}}


def test_keys_keep_their_written_text():
    document = parse_yaml("on: 1\nyes: 2\n", "f.yml")

    assert document.data == {"on": 1, "yes": 2}


def test_every_key_and_list_item_records_its_line():
    document = parse_yaml("a:\n  b: 1\n  c:\n    - x\n    - y\n", "f.yml")

    assert document.origin(("a", "c", 1)).line == 5
    assert document.origin(("a", "b")).line == 2
    assert document.origin(("a", "missing")).line == 1


def test_anchors_and_merge_keys_work_and_local_keys_override_merged_ones():
    document = parse_yaml(
        "base: &base\n  path: lake\n  batch_size: 10\nstore:\n  <<: *base\n  batch_size: 20\n",
        "f.yml",
    )

    assert document.data["store"] == {"path": "lake", "batch_size": 20}


def test_a_non_scalar_key_is_an_error_with_its_line():
    with pytest.raises(ConfigError) as raised:
        parse_yaml("a: 1\n? [x, y]\n: 2\n", "f.yml")

    assert raised.value.line == 2


def test_a_flow_can_reuse_a_block_through_an_anchor(write_workspace):
    root = write_workspace(
        {
            "flows/f/flow.yml": (
                "home: &csv\n  type: local\n  format: csv\n  path: in\n"
                "store:\n  <<: *csv\n  path: out\n"
            )
        }
    )

    entity = load_workspace(root).entities[0]

    assert (entity.store.type, entity.store.format, entity.store.path) == ("local", "csv", "out")


def test_incremental_without_a_watermark_loads_for_file_homes(write_workspace):
    root = write_workspace({"flows/f/flow.yml": "home: in\nstore: out\nrun_type: incremental\n"})

    entity = load_workspace(root).entities[0]

    assert (entity.run_type, entity.watermark) == (RunType.INCREMENTAL, None)


def test_flow_timeout_has_no_effect_on_a_file_store_and_says_so(write_workspace):
    root = write_workspace({"flows/f/flow.yml": "home: in\nstore: out\ntimeout: 300\n"})

    warnings = load_workspace(root).warnings

    assert warnings == [
        "flows/f/flow.yml line 3: 'timeout' has no effect for store type 'parquet'; remove it"
    ]


WORKSPACE_FEATURES = """\
name: "shop"   # a comment
base: &base
  path: lake
  batch_size: 10
store:
  <<: *base
  batch_size: 20
watermark: {column: updated_at, initial: 2024-01-31}
flags: [yes, no, on, ~, 1.5, 0x1f, '007']
text: |
  two
  lines
folded: >
  one
  line
"""


def test_libyaml_composes_what_the_python_parser_does_values_and_lines(monkeypatch):
    assert yaml_file._Composer is not yaml_file._Loader  # PyYAML's wheels carry libyaml
    fast = parse_yaml(WORKSPACE_FEATURES, "f.yml")
    monkeypatch.setattr(yaml_file, "_Composer", yaml_file._Loader)

    reference = parse_yaml(WORKSPACE_FEATURES, "f.yml")

    assert (fast.data, fast.origins) == (reference.data, reference.origins)


def test_a_file_libyaml_refuses_is_reported_in_the_python_parsers_words():
    with pytest.raises(ConfigError) as caught:
        parse_yaml("home: a\n  store: b: c\n", "f.yml")

    assert caught.value.line == 2
    assert "mapping values are not allowed here" in caught.value.detail
