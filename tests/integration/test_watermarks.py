"""Incremental loads by watermark over real files: windows, types, lookback, and clear errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.errors import ConfigError
from hygge.types import RunStatus, RunType
from tests.support.data import content_hash
from tests.support.workspace import land, read_lake, run, state_of, write_workspace

FLOW = """\
home: {type: parquet, path: landing}
store: {type: parquet, path: lake}
run_type: incremental
watermark: %s
entities: [events]
"""


def events(ids: list[int], stamps: list[object], dtype: pl.DataType | None = None) -> pl.DataFrame:
    frame = pl.DataFrame({"id": ids, "at": stamps})
    return frame.with_columns(pl.col("at").cast(dtype)) if dtype is not None else frame


def watermark_of(root: Path) -> tuple[object, str | None]:
    stored = state_of(load_workspace(root)).get_watermark("feed", "events")
    assert stored is not None
    return stored.value, stored.value_type


UTC = dt.UTC
TYPES = [
    pytest.param(
        [dt.datetime(2024, 1, d) for d in (1, 2, 3)],
        [dt.datetime(2024, 1, d) for d in (3, 4)],
        pl.Datetime("us"),
        "datetime",
        "2024-01-04T00:00:00",
        id="naive-datetime",
    ),
    pytest.param(
        [dt.datetime(2024, 1, d, tzinfo=UTC) for d in (1, 2, 3)],
        [dt.datetime(2024, 1, d, tzinfo=UTC) for d in (3, 4)],
        pl.Datetime("us", "UTC"),
        "datetime",
        "2024-01-04T00:00:00+00:00",
        id="tz-aware-datetime",
    ),
    pytest.param(
        [dt.date(2024, 1, d) for d in (1, 2, 3)],
        [dt.date(2024, 1, d) for d in (3, 4)],
        pl.Date(),
        "date",
        "2024-01-04",
        id="date",
    ),
    pytest.param([10, 20, 30], [30, 40], pl.Int64(), "int", 40, id="integer"),
    pytest.param(["a", "b", "c"], ["c", "d"], pl.String(), "string", "d", id="string"),
]


@pytest.mark.parametrize(("first", "second", "dtype", "kind", "expected"), TYPES)
def test_each_watermark_type_loads_only_rows_above_the_last_watermark(
    tmp_path: Path, first: list[object], second: list[object], dtype: pl.DataType, kind: str,
    expected: object,
) -> None:  # fmt: skip
    root = write_workspace(tmp_path / "ws", {"feed": FLOW % "{column: at}"})
    land(root, "events", "a", events([1, 2, 3], first, dtype))
    run(root)
    # The new file repeats the boundary value (already loaded) and brings one newer row.
    land(root, "events", "b", events([3, 4], second, dtype))

    report = run(root)

    assert report.results[0].rows == 1
    assert read_lake(root, "events").get_column("id").sort().to_list() == [1, 2, 3, 4]
    assert watermark_of(root) == (expected, kind)


def test_a_lookback_loads_late_rows_below_the_watermark_and_drops_rows_seen_before(
    tmp_path: Path,
) -> None:
    mark = "{column: at, key_columns: [id], lookback: 2h}"
    root = write_workspace(tmp_path / "ws", {"feed": FLOW % mark})
    t = dt.datetime(2024, 1, 1, 12)
    land(root, "events", "a", events([1, 2], [t, t + dt.timedelta(hours=1)]))
    run(root)
    # Redelivered row 2 (seen), a late row 3 inside the margin, a row 4 beyond the margin.
    late = events([2, 3, 4], [t + dt.timedelta(hours=1), t, t - dt.timedelta(hours=5)])
    land(root, "events", "b", late)

    report = run(root)

    assert report.results[0].rows == 1
    assert sorted(read_lake(root, "events").get_column("id").to_list()) == [1, 2, 3]
    assert watermark_of(root) == ("2024-01-01T13:00:00", "datetime")


def test_a_lookback_without_key_columns_is_refused_when_the_workspace_loads(
    tmp_path: Path,
) -> None:
    root = write_workspace(tmp_path / "ws", {"feed": FLOW % "{column: at, lookback: 2h}"})

    with pytest.raises(ConfigError, match="key_columns") as raised:
        load_workspace(root)

    assert "flows/feed/flow.yml" in str(raised.value)


def test_a_missing_watermark_column_fails_before_any_data_moves(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws", {"feed": FLOW % "{column: updated_at}"})
    land(root, "events", "a", events([1], [dt.datetime(2024, 1, 1)]))

    report = run(root)

    result = report.results[0]
    assert result.status is RunStatus.FAIL
    assert "watermark column 'updated_at' is not in the data" in (result.message or "")
    assert not (root / "lake" / "events").exists()


def test_a_watermark_column_of_an_unusable_type_is_a_clear_error(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws", {"feed": FLOW % "{column: at}"})
    land(root, "events", "a", events([1], [1.5]))

    result = run(root).results[0]

    assert result.status is RunStatus.FAIL
    assert "datetime, date, integer or string" in (result.message or "")


def test_the_watermark_never_moves_backwards(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws", {"feed": FLOW % "{column: at}"})
    land(root, "events", "a", events([1, 2], [10, 20]))
    run(root)
    land(root, "events", "b", events([3], [5]))  # older than the watermark: not loaded

    report = run(root)

    assert report.results[0].status is RunStatus.SKIP
    assert watermark_of(root) == (20, "int")


def test_a_changed_watermark_column_is_reported_and_a_full_drop_reloads(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws", {"feed": FLOW % "{column: at}"})
    land(root, "events", "a", events([1, 2], [10, 20]).with_columns(seq=pl.col("id")))
    run(root)
    write_workspace(root, {"feed": FLOW % "{column: seq}"})

    changed = run(root).results[0]
    reloaded = run(root, run_type=RunType.FULL_DROP).results[0]

    assert changed.status is RunStatus.FAIL
    assert "changed from 'at' to 'seq'" in (changed.message or "")
    assert "--full-drop" in (changed.message or "")
    assert reloaded.status is RunStatus.SUCCESS
    assert watermark_of(root) == (2, "int")


def test_a_changed_watermark_type_is_reported(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws", {"feed": FLOW % "{column: at}"})
    land(root, "events", "a", events([1], [10]))
    run(root)
    land(root, "events", "b", events([2], ["x"]))

    result = run(root).results[0]

    assert result.status is RunStatus.FAIL
    assert "holds string values" in (result.message or "")


def test_an_initial_watermark_bounds_the_first_run(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws", {"feed": FLOW % "{column: at, initial: 15}"})
    land(root, "events", "a", events([1, 2, 3], [10, 20, 30]))

    run(root)

    assert content_hash(read_lake(root, "events")) == content_hash(events([2, 3], [20, 30]))


def test_changed_watermark_settings_are_reported_in_the_journal_and_the_watermark_kept(
    tmp_path: Path,
) -> None:
    root = write_workspace(tmp_path / "ws", {"feed": FLOW % "{column: at, key_columns: [id]}"})
    land(root, "events", "a", events([1, 2], [10, 20]))
    run(root)
    write_workspace(root, {"feed": FLOW % "{column: at, key_columns: [id], lookback: 5}"})
    land(root, "events", "b", events([3], [30]))

    result = run(root).results[0]

    assert result.status is RunStatus.SUCCESS and result.rows == 1
    assert "watermark settings changed since the last run" in (result.message or "")
    assert "lookback=-" in (result.message or "") and "lookback=5" in (result.message or "")
    assert watermark_of(root) == (30, "int")
