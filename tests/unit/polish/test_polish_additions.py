"""Constants, load timestamps and the legacy row marker."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import polars as pl
import pytest

from hygge.errors import ConfigError
from hygge.polish import PolishConfig, Polisher

STARTED = datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
BATCH = pl.DataFrame({"id": [1, 2]})


def polisher(*, started: datetime = STARTED, **config: Any) -> Polisher:
    return Polisher(PolishConfig.model_validate(config), started)


@pytest.fixture
def local_time_is_utc_plus_one(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "CET-1")  # POSIX: a fixed UTC+1 zone, no tz database needed
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("value", "dtype"),
    [
        pytest.param("crm", pl.String, id="string"),
        pytest.param(4, pl.Int32, id="int"),
        pytest.param(1.5, pl.Float64, id="float"),
        pytest.param(True, pl.Boolean, id="bool"),
        pytest.param(date(2024, 1, 2), pl.Date, id="yaml-date"),
        pytest.param(None, pl.Null, id="null"),
    ],
)
def test_constant_is_appended_with_its_value_on_every_row(value: Any, dtype: pl.DataType) -> None:
    out = polisher(constants=[{"name": "source", "value": value}]).apply(BATCH)

    assert out.columns == ["id", "source"]
    assert out.schema["source"] == dtype
    assert out["source"].to_list() == [value, value]


def test_existing_constant_column_is_kept_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    batch = BATCH.with_columns(pl.lit("own").alias("source"))

    with caplog.at_level(logging.WARNING, logger="hygge.polish"):
        out = polisher(constants=[{"name": "source", "value": "crm"}]).apply(batch)

    assert out["source"].to_list() == ["own", "own"]
    assert "constant 'source'" in caplog.text


def test_constant_that_cannot_be_a_column_value_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="polish constant 'odd'"):
        polisher(constants=[{"name": "odd", "value": object()}])


@pytest.mark.parametrize(
    ("rule", "dtype", "value"),
    [
        pytest.param({}, pl.Datetime("us", "UTC"), STARTED, id="default-utc-datetime"),
        pytest.param(
            {"type": "string"}, pl.String, "2024-05-01T12:30:15.123456+00:00", id="utc-iso"
        ),
        pytest.param(
            {"type": "string", "format": "%Y%m%d %H%M"}, pl.String, "20240501 1230", id="strftime"
        ),
    ],
)
def test_utc_timestamp_is_the_run_start(
    rule: dict[str, Any], dtype: pl.DataType, value: Any
) -> None:
    out = polisher(timestamps=[{"name": "__LastLoadedAt__", **rule}]).apply(BATCH)

    assert out.schema["__LastLoadedAt__"] == dtype
    assert out["__LastLoadedAt__"].to_list() == [value, value]


def test_utc_timestamp_converts_a_run_start_given_in_another_zone() -> None:
    started = STARTED.astimezone(timezone(timedelta(hours=-5)))

    out = polisher(started=started, timestamps=[{"name": "at"}]).apply(BATCH)

    assert out["at"][0] == STARTED


@pytest.mark.usefixtures("local_time_is_utc_plus_one")
@pytest.mark.parametrize(
    ("rule", "dtype", "value"),
    [
        pytest.param(
            {}, pl.Datetime("us"), datetime(2024, 5, 1, 13, 30, 15, 123456), id="naive-datetime"
        ),
        pytest.param({"type": "string"}, pl.String, "2024-05-01T13:30:15.123456", id="iso"),
    ],
)
def test_local_timestamp_is_the_naive_local_wall_time_of_the_run_start(
    rule: dict[str, Any], dtype: pl.DataType, value: Any
) -> None:
    out = polisher(timestamps=[{"name": "at", "source": "now_local", **rule}]).apply(BATCH)

    assert out.schema["at"] == dtype
    assert out["at"][0] == value


def test_timestamp_is_the_same_for_every_batch_and_every_resumed_chunk() -> None:
    config: dict[str, Any] = {"timestamps": [{"name": "at"}, {"name": "at_text", "type": "string"}]}
    first_chunk = polisher(**config)
    resumed_chunk = polisher(**config)  # a new process after a crash, same run start

    batches = [
        first_chunk.apply(BATCH),
        first_chunk.apply(BATCH.head(1)),
        resumed_chunk.apply(BATCH),
    ]

    assert {b["at"][0] for b in batches} == {STARTED}
    assert len({b["at_text"][0] for b in batches}) == 1


def test_existing_timestamp_column_is_kept_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    batch = BATCH.with_columns(pl.lit("then").alias("at"))

    with caplog.at_level(logging.WARNING, logger="hygge.polish"):
        out = polisher(timestamps=[{"name": "at"}]).apply(batch)

    assert out["at"].to_list() == ["then", "then"]
    assert "timestamp 'at'" in caplog.text


def test_naive_run_start_is_refused() -> None:
    with pytest.raises(ValueError, match="tz-aware"):
        polisher(started=datetime(2024, 5, 1, 12, 0))


@pytest.mark.parametrize(
    ("config", "columns", "marker"),
    [
        pytest.param(
            {"add_row_marker": {"enabled": True}},
            ["id", "__rowMarker__"],
            [4, 4],
            id="default-upsert",
        ),
        pytest.param(
            {"add_row_marker": {"enabled": True, "value": 0}},
            ["id", "__rowMarker__"],
            [0, 0],
            id="insert",
        ),
        pytest.param(
            {
                "add_row_marker": {"enabled": True, "value": 4},
                "constants": [{"name": "__rowMarker__", "value": 1}],
            },
            ["id", "__rowMarker__"],
            [1, 1],
            id="explicit-constant-wins",
        ),
        pytest.param(
            {"add_row_marker": {"enabled": True}, "timestamps": [{"name": "at"}]},
            ["id", "at", "__rowMarker__"],
            [4, 4],
            id="after-timestamps",
        ),
    ],
)
def test_legacy_row_marker_adds_the_row_marker_constant(
    config: dict[str, Any], columns: list[str], marker: list[int]
) -> None:
    out = polisher(**config).apply(BATCH)

    assert out.columns == columns
    assert out["__rowMarker__"].to_list() == marker


def test_disabled_row_marker_adds_nothing() -> None:
    out = polisher(add_row_marker={"enabled": False}).apply(BATCH)

    assert out.columns == ["id"]
