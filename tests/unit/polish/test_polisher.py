"""The whole polish: step order, empty batches, previews, idempotence, one plan per schema."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pytest

from hygge.polish import PolishConfig, Polisher, polish_batch

STARTED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

FULL = {
    "columns": {"remove_special": True, "case": "pascal"},
    "hash_ids": [{"name": "row_hash", "from_columns": ["Employee ID", "Effective Date (UTC)"]}],
    "constants": [{"name": "source_system", "value": "hr"}],
    "timestamps": [{"name": "__LastLoadedAt__"}],
    "add_row_marker": {"enabled": True},
}

SOURCE = pl.DataFrame(
    {
        "Employee ID": [1, 2],
        "Effective Date (UTC)": ["2024-01-01", None],
        "full name": ["Ann", "Bo"],
    }
)


def polisher(config: dict[str, Any] = FULL) -> Polisher:
    return Polisher(PolishConfig.model_validate(config), STARTED)


def test_steps_run_hash_then_names_then_constants_timestamps_and_row_marker() -> None:
    out = polisher().apply(SOURCE)

    assert out.columns == [
        "RowHash",  # hashed from the original names, then renamed like every column
        "EmployeeId",
        "EffectiveDateUtc",
        "FullName",
        "source_system",  # appended columns keep their configured names
        "__LastLoadedAt__",
        "__rowMarker__",
    ]
    assert out["RowHash"].to_list() == [
        hashlib.sha256(b"1|2024-01-01").hexdigest(),
        hashlib.sha256(b"2|").hexdigest(),
    ]
    assert out["source_system"].to_list() == ["hr", "hr"]
    assert out["__LastLoadedAt__"].to_list() == [STARTED, STARTED]
    assert out["__rowMarker__"].to_list() == [4, 4]


def test_empty_batch_keeps_its_schema_with_polished_columns() -> None:
    out = polisher().apply(SOURCE.clear())

    assert out.height == 0
    assert dict(out.schema) == {
        "RowHash": pl.String,
        "EmployeeId": pl.Int64,
        "EffectiveDateUtc": pl.String,
        "FullName": pl.String,
        "source_system": pl.String,
        "__LastLoadedAt__": pl.Datetime("us", "UTC"),
        "__rowMarker__": pl.Int32,
    }


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(FULL, id="everything"),
        pytest.param({"columns": {"case": "snake"}}, id="names-only"),
        pytest.param({"hash_ids": FULL["hash_ids"]}, id="hash-only"),
        pytest.param({}, id="nothing"),
    ],
)
def test_output_columns_previews_what_apply_produces(config: dict[str, Any]) -> None:
    assert polisher(config).output_columns(SOURCE.columns) == polisher(config).apply(SOURCE).columns


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(FULL, id="pascal-everything"),
        pytest.param({**FULL, "columns": {"case": "snake"}}, id="snake-everything"),
        pytest.param({**FULL, "columns": {"case": "camel", "remove_spaces": True}}, id="camel"),
        pytest.param({**FULL, "columns": None}, id="no-renames"),
    ],
)
def test_polishing_polished_output_again_changes_no_names(config: dict[str, Any]) -> None:
    once = polisher(config).apply(SOURCE)

    twice = polisher(config).apply(once)

    assert twice.columns == once.columns
    assert twice.equals(once)


def test_empty_config_returns_the_batch_unchanged() -> None:
    out = polisher({}).apply(SOURCE)

    assert out.equals(SOURCE)
    assert out.columns == SOURCE.columns


def test_warnings_are_logged_once_per_input_schema(caplog: pytest.LogCaptureFixture) -> None:
    colliding = pl.DataFrame({"Employee-ID": [1], "EmployeeID": [2]})
    run = polisher({"columns": {"case": "pascal"}})

    with caplog.at_level(logging.WARNING, logger="hygge.polish"):
        for _ in range(3):
            out = run.apply(colliding)

    assert out.columns == ["EmployeeId", "EmployeeId_1"]
    assert len(caplog.records) == 1


def test_a_new_input_schema_gets_its_own_plan() -> None:
    run = polisher({"columns": {"case": "snake"}})

    first = run.apply(pl.DataFrame({"FirstName": ["a"]}))
    second = run.apply(pl.DataFrame({"LastName": ["b"], "Age": [3]}))

    assert first.columns == ["first_name"]
    assert second.columns == ["last_name", "age"]


def test_polish_batch_is_the_one_shot_form() -> None:
    config = PolishConfig.model_validate(FULL)

    out = polish_batch(SOURCE, config, STARTED)

    assert out.equals(Polisher(config, STARTED).apply(SOURCE))
