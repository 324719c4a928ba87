"""What Microsoft's Open Mirroring landing-zone spec asks of the files hygge lands.

- a table folder `LandingZone/[<schema>.schema/]<table>/` holds `_metadata.json` with the
  table's `keyColumns` (never changed once written), `fileDetectionStrategy:
  LastUpdateTimeFileDetection` when files are picked by their last update time, and
  `isUpsertDefaultRowMarker` when a row without a marker means upsert;
- data files are parquet whose last column is `__rowMarker__` (0 insert, 1 update, 2 delete,
  4 upsert); with sequential detection their names are 20 digits, one after another;
- names starting with `_` are not data: hygge's own files there (`_hygge_store.json`,
  `_schema.json`, staging) all start with it;
- `_partnerEvents.json` at the landing zone's top names the partner and the source.

`_schema.json` is hygge's record of the columns it wrote, with the spec's type names
(datetimes as DateTime, decimals with precision and scale).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import polars as pl

from hygge.errors import DataError

ROW_MARKER = "__rowMarker__"
METADATA = "_metadata.json"
SCHEMA_FILE = "_schema.json"
PARTNER_EVENTS = "_partnerEvents.json"
LANDING_ZONE = "Files/LandingZone"
TIMESTAMP_DETECTION = "LastUpdateTimeFileDetection"
SEQUENCE_DIGITS = 20
SEQUENTIAL_NAME = re.compile(rf"^(\d{{{SEQUENCE_DIGITS}}})\.parquet$")
TIMESTAMP_NAME = re.compile(r"^(\d{20})_(\d{6})\.parquet$")
_STAMP = "%Y%m%d%H%M%S%f"  # 20 digits: sorts as it was written
MARKER_VALUES = frozenset({0, 1, 2, 4})


def sequential_name(sequence: int) -> str:
    """The data file of sequence number `sequence`: 20 digits."""
    return f"{sequence:0{SEQUENCE_DIGITS}d}.parquet"


def timestamp_name(moment: datetime, index: int) -> str:
    """A timestamp-detected file: its planning moment (20 digits) and its place in the run."""
    return f"{moment.strftime(_STAMP)}_{index:06d}.parquet"


def stamp_of(name: str) -> datetime | None:
    """The planning moment a timestamp name carries (None if it is not one)."""
    found = TIMESTAMP_NAME.match(name)
    return None if found is None else datetime.strptime(found.group(1), _STAMP)


def sequence_of(name: str) -> int | None:
    """The sequence number of a 20-digit data file name (None if it is not one)."""
    found = SEQUENTIAL_NAME.match(name)
    return None if found is None else int(found.group(1))


def metadata(key_columns: list[str], *, timestamp: bool, upsert: bool) -> dict[str, Any]:
    """The table's `_metadata.json`."""
    content: dict[str, Any] = {"keyColumns": list(key_columns)}
    if timestamp:
        content["fileDetectionStrategy"] = TIMESTAMP_DETECTION
    if upsert:
        content["isUpsertDefaultRowMarker"] = True
    return content


def partner_events(partner: str, source_type: str | None, version: str | None) -> dict[str, Any]:
    """The landing zone's `_partnerEvents.json`."""
    info: dict[str, Any] = {"sourceType": source_type or "", "sourceVersion": version or ""}
    info["additionalInformation"] = {}
    return {"partnerName": partner, "sourceInfo": info}


def dumps(content: dict[str, Any]) -> bytes:
    return (json.dumps(content, indent=2) + "\n").encode()


def with_marker(batch: pl.DataFrame, marker: int, where: str) -> pl.DataFrame:
    """`batch` with `__rowMarker__` last: the run's marker, or the source's own column (its
    deletes and updates) checked against the spec's values."""
    check_types(batch.drop(ROW_MARKER, strict=False), where)
    if ROW_MARKER not in batch.columns:
        return batch.with_columns(pl.lit(marker, pl.Int32).alias(ROW_MARKER))
    column = batch[ROW_MARKER]
    if not column.dtype.is_integer():
        raise DataError(f"{where}: column {ROW_MARKER} is {column.dtype}, not a whole number")
    bad = column.filter(column.is_null() | ~column.is_in(sorted(MARKER_VALUES)))
    if bad.len():
        raise DataError(
            f"{where}: column {ROW_MARKER} holds {bad[0]!r}; Fabric knows 0 insert, 1 update, "
            "2 delete and 4 upsert: fix the source's markers, or drop the column to use the "
            "run's marker"
        )
    return batch.drop(ROW_MARKER).with_columns(column.cast(pl.Int32).alias(ROW_MARKER))


def spec_type(name: str, dtype: pl.DataType) -> dict[str, Any]:
    """A column's `_schema.json` entry; DataError for a type the landing zone cannot carry."""
    entry: dict[str, Any] = {"name": name}
    simple = _SIMPLE.get(type(dtype))
    if simple is not None:
        entry["type"] = simple
    elif isinstance(dtype, pl.Datetime):
        entry["type"] = "DateTime"
        if dtype.time_zone:
            entry["timezone"] = dtype.time_zone
    elif isinstance(dtype, pl.Decimal):
        entry.update(type="Decimal", precision=dtype.precision or 38, scale=dtype.scale or 0)
    elif dtype == pl.Null:
        raise DataError(
            f"column {name} has no type (every value is null), and Fabric needs one for each "
            f"column: cast column {name} with polish (e.g. to String)"
        )
    else:
        raise DataError(
            f"column {name} is {dtype}, which Fabric Open Mirroring cannot carry (it takes "
            f"numbers, decimals, text, booleans, binary, dates, times and datetimes): cast "
            f"or drop column {name} with polish, or cast it in the source query"
        )
    return entry


def check_types(frame: pl.DataFrame, where: str) -> None:
    """DataError naming the first column the landing zone cannot carry."""
    for name, dtype in frame.schema.items():
        try:
            spec_type(name, dtype)
        except DataError as exc:
            raise DataError(f"{where}: {exc}") from exc


def schema_file(schema: pl.Schema) -> dict[str, Any]:
    """`_schema.json`: the columns written, in order, marker last."""
    return {"columns": [spec_type(name, dtype) for name, dtype in schema.items()]}


_SIMPLE: dict[type[pl.DataType], str] = {
    pl.Int8: "Int16",
    pl.Int16: "Int16",
    pl.UInt8: "Int16",
    pl.Int32: "Int32",
    pl.UInt16: "Int32",
    pl.Int64: "Int64",
    pl.UInt32: "Int64",
    pl.Float32: "Single",
    pl.Float64: "Double",
    pl.String: "String",
    pl.Categorical: "String",
    pl.Enum: "String",
    pl.Boolean: "Boolean",
    pl.Binary: "ByteArray",
    pl.Date: "IDate",
    pl.Time: "ITime",
}
