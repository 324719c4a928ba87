"""What begin asks the home for: the bounds, the lookback floor, the column and the keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygge.config import load_workspace
from hygge.engine.models import EntityTask
from hygge.engine.plan import Selection, plan_run
from hygge.engine.windows import lookback_floor, read_spec
from hygge.homes import ReadSpec
from hygge.homes.file_home import FileHome
from tests.support.data import orders
from tests.support.workspace import land, run, write_workspace

FLOW = """\
home: {type: parquet, path: landing}
store: {type: parquet, path: lake}
run_type: incremental
watermark: {column: updated_at, key_columns: [id], lookback: %s}
entities: [orders]
"""


def task_of(root: Path, lookback: str) -> EntityTask:
    write_workspace(root, {"shop": FLOW % lookback})
    (task,) = plan_run(load_workspace(root), Selection()).tasks
    return task


@pytest.mark.parametrize(
    ("lower", "lookback", "kind", "floor"),
    [
        pytest.param("2024-01-03T00:00:00", "1d", "datetime", "2024-01-02T00:00:00", id="datetime"),
        pytest.param("2024-01-03", "2d", "date", "2024-01-01", id="date"),
        pytest.param(100, "10", "int", 90, id="int"),
        pytest.param("2024-01-03T06:00:00", "1h", None, "2024-01-03T05:00:00", id="guessed"),
        pytest.param("b", "1d", "string", "b", id="string: the filter refuses it"),
        pytest.param(None, "1d", "datetime", None, id="first run"),
        pytest.param(5, None, "int", 5, id="no lookback"),
    ],
)
def test_the_lookback_floor_is_the_lower_bound_minus_the_lookback(lower, lookback, kind, floor):
    assert lookback_floor(lower, lookback, kind) == floor


def test_the_read_spec_carries_the_floor_a_pushed_down_filter_must_use(tmp_path):
    task = task_of(tmp_path, "1d")
    spec = read_spec(task, "2024-01-03T00:00:00", "datetime")
    assert spec == ReadSpec(
        lower="2024-01-03T00:00:00",
        lookback_floor="2024-01-02T00:00:00",
        column="updated_at",
        key_columns=["id"],
    )


def test_begin_hands_the_home_the_read_spec(tmp_path, monkeypatch):
    task_of(tmp_path, "1d")
    land(tmp_path, "orders", "part-1", orders(3))
    specs: list[ReadSpec] = []
    original = FileHome.list_window  # what begin asks a file home (its rows hint apart)

    def recording(home: FileHome, spec: ReadSpec):  # type: ignore[no-untyped-def]
        specs.append(spec)
        return original(home, spec)

    monkeypatch.setattr(FileHome, "list_window", recording)
    run(tmp_path)
    land(tmp_path, "orders", "part-2", orders(2, start=3))
    run(tmp_path)
    assert specs[0].lower is None and specs[0].column == "updated_at"
    assert specs[1].lower is not None and specs[1].key_columns == ["id"]
    assert specs[1].lookback_floor is not None and specs[1].lookback_floor < specs[1].lower
