"""File name patterns: rendering, validation and reading sequences back."""

from __future__ import annotations

import datetime as dt

import pytest

from hygge.errors import ConfigError
from hygge.io.patterns import FilePattern, short_run_id

STARTED = dt.datetime(2024, 5, 17, 8, 30, 5, tzinfo=dt.UTC)


def render(text: str, sequence: int = 7, run_id: str = "abc") -> str:
    return FilePattern.parse(text).render(
        sequence=sequence, entity="orders", flow="sales", run_id=run_id, started=STARTED
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("{sequence:020d}.parquet", "00000000000000000007.parquet", id="padded"),
        pytest.param("{entity}-{flow}-{sequence}.csv", "orders-sales-7.csv", id="names"),
        pytest.param("{name}-{flow_name}-{sequence}.csv", "orders-sales-7.csv", id="original"),
        pytest.param("{timestamp}_{run_id}_{sequence:05d}", "20240517T083005Z_abc_00007", id="run"),
        pytest.param("{{literal}}-{sequence}", "{literal}-7", id="escaped-braces"),
    ],
)
def test_placeholders_render_into_the_file_name(text, expected):
    assert render(text) == expected


def test_run_ids_are_shortened_to_safe_characters():
    assert short_run_id("0123456789abcdef/../x") == "0123456789ab"
    assert short_run_id("../") == "run"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param("{table}-{sequence}", "unknown placeholder {table}", id="unknown"),
        pytest.param("{entity!r}-{sequence}", "unknown placeholder {entity}", id="conversion"),
        pytest.param("{entity}.parquet", "must contain {sequence}", id="no-sequence"),
        pytest.param("sub/{sequence}", "must be a file name", id="folder"),
        pytest.param("{sequence:zz}", "invalid format spec", id="bad-spec"),
        pytest.param("{sequence", "not a valid pattern", id="unbalanced"),
    ],
)
def test_invalid_patterns_are_config_errors_naming_the_pattern(text, problem):
    with pytest.raises(ConfigError, match=f"file_pattern '{text}'.*") as error:
        FilePattern.parse(text)
    assert problem in str(error.value)


def test_patterns_with_the_run_in_them_are_unique_per_run():
    assert FilePattern.parse("{run_id}-{sequence}").unique_per_run
    assert FilePattern.parse("{timestamp}-{sequence}").unique_per_run
    assert not FilePattern.parse("{entity}-{sequence}").unique_per_run


@pytest.mark.parametrize(
    ("text", "name", "sequence"),
    [
        pytest.param("{sequence:020d}.parquet", "00000000000000000042.parquet", 42, id="padded"),
        pytest.param("{entity}_{sequence}.csv", "orders_9.csv", 9, id="entity"),
        pytest.param("{entity}_{sequence}.csv", "customers_9.csv", None, id="other-entity"),
        pytest.param(
            "{timestamp}_{run_id}_{sequence:05d}.p", "20240101T000000Z_ab_00003.p", 3, id="run"
        ),
        pytest.param("{sequence}.parquet", "notes.parquet", None, id="foreign-file"),
    ],
)
def test_sequence_of_reads_the_sequence_back_from_a_name(text, name, sequence):
    pattern = FilePattern.parse(text)
    assert pattern.sequence_of(name, entity="orders", flow="sales") == sequence
