"""`parallel: N`: how many partitions of an entity's window move at once."""

from __future__ import annotations

import pytest

from hygge.config import load_workspace
from hygge.engine import Selection, plan_run
from hygge.errors import ConfigError


def test_parallel_set_on_the_flow_or_the_entity_reaches_the_task(write_workspace):
    root = write_workspace(
        {
            "flows/f/flow.yml": "home: in\nstore: out\nparallel: 4\n"
            "entities: [a, {name: b, parallel: 2}]\n"
        }
    )

    tasks = plan_run(load_workspace(root), Selection()).tasks

    assert {task.entity: task.parallel for task in tasks} == {"a": 4, "b": 2}


def test_parallel_defaults_to_one_partition(write_workspace):
    root = write_workspace({"flows/f/flow.yml": "home: in\nstore: out\n"})

    assert load_workspace(root).entities[0].parallel == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("0", "greater than or equal to 1", id="zero"),
        pytest.param("-2", "greater than or equal to 1", id="negative"),
        pytest.param("many", "valid integer", id="not-a-number"),
        pytest.param("1000", "less than or equal to 64", id="too-many"),
    ],
)
def test_a_bad_parallel_is_a_config_error_naming_the_file_and_line(write_workspace, value, message):
    root = write_workspace({"flows/f/flow.yml": f"home: in\nstore: out\nparallel: {value}\n"})

    with pytest.raises(ConfigError, match=message) as raised:
        load_workspace(root)

    assert (raised.value.file, raised.value.line) == ("flows/f/flow.yml", 3)
    assert "parallel" in str(raised.value)


def test_parallel_with_a_lookback_margin_is_refused(write_workspace):
    root = write_workspace(
        {
            "flows/f/flow.yml": "home: in\nstore: out\nrun_type: incremental\nparallel: 3\n"
            "watermark: {column: updated_at, key_columns: [id], lookback: 1h}\n"
        }
    )

    with pytest.raises(ConfigError, match=r"cannot be combined with watermark\.lookback") as raised:
        load_workspace(root)

    assert (raised.value.file, raised.value.line) == ("flows/f/flow.yml", 4)
