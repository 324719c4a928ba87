"""Types written back as config text, for messages that tell a user what to pin."""

from __future__ import annotations

import polars as pl
import pytest

from hygge.io.schema import dtype_text, parse_dtype


@pytest.mark.parametrize(
    "dtype",
    [
        pytest.param(pl.Int64(), id="simple"),
        pytest.param(pl.Datetime("ms", "UTC"), id="datetime-tz"),
        pytest.param(pl.Datetime("us"), id="datetime"),
        pytest.param(pl.Decimal(38, 2), id="decimal"),
        pytest.param(pl.Duration("ns"), id="duration"),
    ],
)
def test_dtype_text_is_config_text_that_parses_back(dtype: pl.DataType) -> None:
    assert parse_dtype(dtype_text(dtype)) == dtype
