"""`key_columns` at the entity (merge needs keys without a watermark) and under `watermark`."""

from __future__ import annotations

import pytest

from hygge.config import load_workspace
from hygge.engine.plan import Selection, plan_run
from hygge.errors import ConfigError

FLOW = """\
home: in
store: out
%s
entities:
  - name: orders
%s
"""


def load(write_workspace, flow: str = "", entity: str = ""):
    root = write_workspace({"flows/f/flow.yml": FLOW % (flow, entity)})
    workspace = load_workspace(root, env={})
    return workspace.entities[0], plan_run(workspace, Selection()).tasks[0]


def test_key_columns_at_the_entity_need_no_watermark(write_workspace):
    entity, task = load(write_workspace, entity="    key_columns: [id, region]")
    assert entity.watermark is None
    assert task.key_columns == ["id", "region"]


@pytest.mark.parametrize(
    "flow",
    [
        pytest.param("watermark: {column: at, key_columns: [id]}", id="watermark.key_columns"),
        pytest.param("watermark: {column: at, primary_key: id}", id="watermark.primary_key"),
        pytest.param("primary_key: id\nwatermark: {column: at}", id="primary_key at the flow"),
        pytest.param("key_columns: [id]\nwatermark: {column: at}", id="key_columns at the flow"),
    ],
)
def test_every_spelling_of_the_keys_resolves_to_one_place(write_workspace, flow):
    entity, task = load(write_workspace, flow=flow)
    assert task.key_columns == ["id"]
    assert entity.watermark is not None and entity.watermark.key_columns == ["id"]


def test_entity_keys_serve_the_lookback_of_a_flow_watermark(write_workspace):
    flow = "run_type: incremental\nwatermark: {column: at, lookback: 1h}"
    entity, task = load(write_workspace, flow=flow, entity="    key_columns: [id]")
    assert task.key_columns == ["id"]
    assert entity.watermark is not None and entity.watermark.lookback == "1h"


def test_keys_that_disagree_are_a_config_error_naming_the_file_and_line(write_workspace):
    with pytest.raises(ConfigError, match=r"disagrees with watermark\.key_columns") as caught:
        load(
            write_workspace,
            flow="watermark: {column: at, key_columns: [id]}",
            entity="    key_columns: [order_id]",
        )
    assert caught.value.file is not None and caught.value.file.endswith("flow.yml")
    assert caught.value.line == 6
