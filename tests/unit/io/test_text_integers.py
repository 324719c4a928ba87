"""A csv integer column never changes a value's text: `+7`, `007` and `-0` fail, on both paths."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import polars as pl
import pytest

from hygge.errors import DataError
from hygge.io.text_checks import lossless_integers, parse_integers, reformatted

INTEGERS = [pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64]
BOUNDS = ["127", "128", "-128", "-129", "255", "256", "0255", "+255", "-0", "00", "0",
          "9223372036854775807", "-9223372036854775808", "9223372036854775808",
          "18446744073709551615", "18446744073709551616", "000000000000000000001"]  # fmt: skip
# Every text of up to four characters of digits, signs, a space, a dot and an exponent.
TEXTS = sorted({"".join(p) for n in range(5) for p in itertools.product("019+- .e", repeat=n)})


@pytest.mark.parametrize("dtype", [pytest.param(t, id=str(t)) for t in INTEGERS])
def test_reformatted_flags_exactly_the_parsed_texts_whose_number_reads_back_differently(dtype):
    text = pl.col("text")
    checked = pl.DataFrame({"text": TEXTS + BOUNDS}).with_columns(
        parsed=text.cast(dtype, strict=False), flagged=reformatted(text)
    )
    parsed = checked.filter(pl.col("parsed").is_not_null())
    expected = parsed["parsed"].cast(pl.String) != parsed["text"]

    assert parsed["flagged"].to_list() == expected.to_list()
    assert expected.any()  # the texts include ones a parse changes


def test_the_lazy_check_fails_a_scan_of_a_leading_zero_and_reads_canonical_numbers():
    schema = pl.Schema({"id": pl.Int64()})
    good = pl.LazyFrame({"id": ["12", None, "0", "-5"]}).with_columns(lossless_integers(schema))

    assert good.collect(engine="streaming")["id"].to_list() == [12, None, 0, -5]
    for value in ("007", "+7", "-0", "x"):
        bad = pl.LazyFrame({"id": ["1", value]}).with_columns(lossless_integers(schema))
        with pytest.raises(pl.exceptions.InvalidOperationError):
            bad.collect(engine="streaming")


@pytest.mark.parametrize("value", ["007", "+7", "-0", "x7"])
def test_the_batch_check_names_the_value_a_parse_would_change_or_refuse(tmp_path, value):
    path = tmp_path / "a.csv"
    path.write_text(f"id\n1\n{value}\n")
    batch = pl.DataFrame({"id": ["1", value]})

    with pytest.raises(DataError, match=f"line 3: column 'id' holds '{re.escape(value)}'"):
        parse_integers(batch, pl.Schema({"id": pl.Int64()}), path, first_row=0)


def test_the_batch_check_reads_an_empty_text_as_null_and_keeps_canonical_numbers():
    batch = pl.DataFrame({"id": ["1", "", None, "-12"]})

    parsed = parse_integers(batch, pl.Schema({"id": pl.Int64()}), Path("a.csv"), first_row=0)

    assert parsed["id"].to_list() == [1, None, None, -12]
