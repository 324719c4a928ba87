"""What a text reader must not do quietly: drop an NDJSON key, or change a CSV number's text.

polars reads NDJSON with a fixed schema by ignoring keys outside it, and parses `02134` as the
integer 2134. Both lose data without a word, so a window's text files are checked: every key of
an NDJSON file must be in the window's schema, and an integer column of a CSV file is read as
text and parsed here, failing on any value whose text the integer does not give back.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

import polars as pl

from hygge.errors import DataError
from hygge.io.locate import csv_value_line

_CHECKED_INTEGERS = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32,
                     pl.UInt64)  # fmt: skip


def reads_as_text(fmt: str, dtype: pl.DataType) -> bool:
    """Whether a `fmt` column of `dtype` is read as text and parsed by `parse_integers`."""
    return fmt == "csv" and isinstance(dtype, _CHECKED_INTEGERS)


def reformatted(text: pl.Expr) -> pl.Expr:
    """Whether an integer's text parses to a number whose text differs: a `+` sign or a
    leading zero (`+7`, `007`, `-0`). polars' integer parse takes an optional sign and ASCII
    digits only, so no other text it accepts changes; a prefix test, where formatting each
    parsed number back to text cost a csv read about 15 % more CPU."""
    lead = text.str.starts_with
    return lead("+") | lead("-0") | (lead("0") & (text.str.len_bytes() > 1))


def lossless_integers(schema: pl.Schema) -> list[pl.Expr]:
    """`parse_integers` as expressions for a lazy scan: each integer column read as text parsed,
    a value the parse would lose or change failing the scan (the batch path, reading it again,
    says which value, where)."""
    parsed = []
    for name, dtype in schema.items():
        if not reads_as_text("csv", dtype):
            continue
        text = pl.col(name)
        # Text the parse refuses fails the strict cast itself; text it would change, here.
        kept = pl.when(reformatted(text)).then(pl.lit("lossy")).otherwise(text)
        parsed.append(kept.cast(dtype, strict=True).alias(name))
    return parsed


def parse_integers(
    batch: pl.DataFrame,
    schema: pl.Schema,
    path: Path,
    first_row: int,
    options: Mapping[str, Any] | None = None,
) -> pl.DataFrame:
    """`batch` (integer columns as read text) with those columns parsed, or a DataError."""
    columns = [name for name, dtype in schema.items() if reads_as_text("csv", dtype)]
    if not columns:
        return batch
    parsed = batch.with_columns(pl.col(n).cast(schema[n], strict=False) for n in columns)
    for name in columns:
        text = batch.get_column(name)
        refused = parsed.get_column(name).is_null() & text.is_not_null() & (text != "")
        changed = (refused | batch.select(reformatted(pl.col(name))).to_series()).fill_null(False)
        if changed.any():
            index = int(changed.arg_true()[0])
            value, row = str(text[index]), first_row + index + 1
            line = csv_value_line(path, options or {}, name, value)
            where = f"line {line}" if line is not None else f"data row {row}"
            raise _lossy(path, name, value, schema[name], where)
    return parsed


def _lossy(path: Path, column: str, value: str, dtype: pl.DataType, where: str) -> DataError:
    return DataError(
        f"cannot read csv file {path} {where}: column '{column}' holds {value!r}, "
        f"which is not {_an(dtype)} (reading it as one would lose or change the value); "
        f"the column was typed {dtype} from the window's first file or from format_options. "
        f"Read it as text with `format_options: {{schema_overrides: {{{column}: String}}}}`, "
        "or fix the file"
    )


def _an(dtype: pl.DataType) -> str:
    return f"an {dtype}" if str(dtype).startswith("I") else f"a {dtype}"


def check_ndjson_keys(
    source: Path | bytes,
    path: Path,
    schema: pl.Schema,
    options: Mapping[str, Any],
    *,
    first_line: int | None = 1,
    at_byte: int = 0,
) -> None:
    """DataError naming the first key of `source` (the file, or a piece of it that starts at
    line `first_line`, None: unknown, at byte `at_byte`) outside `schema`, if any."""
    if "schema" in options:
        return  # an explicit schema selects its keys: the others are left out on purpose
    scanned = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        keys = pl.scan_ndjson(scanned, infer_schema_length=None).collect_schema().names()
    except pl.exceptions.PolarsError:
        keys = None  # types the full inference cannot merge: look at the keys line by line
    if keys is not None and all(key in schema for key in keys):
        return
    found = _first_unknown_key(source, schema)
    if found is not None:
        key, number = found
        line = f"line {first_line + number - 1}" if first_line is not None else (
            f"line {number} after byte {at_byte:,}"
        )  # fmt: skip
        raise DataError(
            f"cannot read ndjson file {path} {line}: key '{key}' is not among the "
            f"columns read for this window ({', '.join(schema.names())}); its values would "
            f"be dropped. Include it with `format_options: {{schema_overrides: "
            f"{{{key}: String}}}}` (any type; files without it read null), or raise "
            "`infer_schema_length` if the first file holds it past the rows inferred"
        )


def _first_unknown_key(source: Path | bytes, schema: pl.Schema) -> tuple[str, int] | None:
    with _text_lines(source) as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue  # the reader reports malformed lines itself
            if isinstance(record, dict):
                for key in record:
                    if key not in schema:
                        return str(key), number
    return None


def _text_lines(source: Path | bytes) -> TextIO:
    if isinstance(source, bytes):
        return io.TextIOWrapper(io.BytesIO(source), encoding="utf-8", errors="replace")
    return source.open(encoding="utf-8", errors="replace")
