"""A run's staged parquet files, committed as the table's own data files (no re-encoding).

Each batch is written once, as `<table>/hygge-data/<run>/<seq>.parquet`: inside the table
folder (so an add action can name it), under a name only this run writes, and not referenced
by the log until the publish commits it. With each file its size and Delta statistics
(numRecords, min/max/nullCount) go into the checkpoint's staging, so the publish is a single
commit of add actions (with the app transaction and the CommitRecord) that reads no data.

A publish that cannot take the files as they are (a merge, new columns or widened types for
an existing table, a partitioned table, batches of different schemas) streams them into
delta-rs instead (`staged.stream`), which writes its own files; the run's own files are then
deleted. Files of a run that never committed (a crash, then `hygge reset`) are deleted by its
abort; ones left without a checkpoint are unreferenced, and `vacuum` deletes them.
"""

from __future__ import annotations

import json
import math
import time
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from hygge.storage import join_key
from hygge.stores.delta.owner import DATA
from hygge.stores.delta.schema import _plain
from hygge.types import RunType

if TYPE_CHECKING:
    import polars as pl
    from deltalake import DeltaTable

    from hygge.stores.base import Staging
    from hygge.types import JsonValue

FILES_KEY = "files"  # Staging.extra: {name: {"size": bytes, "stats": Delta stats JSON}}
UNIFORM_KEY = "uniform"  # Staging.extra: False once a batch's schema differs from the run's
_STRING_STATS = 32  # longer strings get no min/max (a truncated max would not bound them)
# Statistics of the first 32 columns only, as Delta's writers do by default
# (delta.dataSkippingNumIndexedCols): a wide table's checkpoint stays small.
INDEXED_COLUMNS = 32


def data_folder(prefix: str, run_id: str) -> str:
    """The key of a run's data files in the table folder `prefix`."""
    return join_key(prefix, DATA, run_id)


def table_path(run_id: str, name: str) -> str:
    """A staged file's path relative to the table root, as its add action names it."""
    return f"{DATA}/{run_id}/{name}"


def with_file(
    staging: Staging, extra: dict[str, JsonValue], name: str, frame: pl.DataFrame, size: int
) -> dict[str, JsonValue]:
    """`extra` with the staged file `name` (its size and statistics) and the run's uniformity."""
    from hygge.stores.delta.staged import run_schema

    files = staging.extra.get(FILES_KEY)
    known = dict(files) if isinstance(files, dict) else {}
    known[name] = {"size": size, "stats": stats(frame)}
    before = run_schema(staging)
    schema = frame.head(0).to_arrow().schema
    uniform = staging.extra.get(UNIFORM_KEY, True) is not False and (
        before is None or before.remove_metadata().equals(schema.remove_metadata())
    )
    return {**extra, FILES_KEY: known, UNIFORM_KEY: uniform}


def stats(frame: pl.DataFrame) -> str:
    """Delta statistics of `frame`: numRecords, and for each of its first INDEXED_COLUMNS
    (top-level, not nested) columns nullCount and, for numbers, dates, timestamps and short
    strings, min/max (timestamps widened to whole milliseconds, so they still bound them)."""
    import polars as pl

    mins: dict[str, Any] = {}
    maxes: dict[str, Any] = {}
    nulls: dict[str, int] = {}
    for index, (name, dtype) in enumerate(frame.schema.items()):
        if dtype.is_nested() or index >= INDEXED_COLUMNS:
            continue
        column = frame.get_column(name)
        nulls[name] = column.null_count()
        if column.null_count() == column.len():
            continue
        bounds = _bounds(column, dtype, pl)
        if bounds is not None:
            mins[name], maxes[name] = bounds
    return json.dumps(
        {"numRecords": frame.height, "minValues": mins, "maxValues": maxes, "nullCount": nulls}
    )


def _bounds(column: pl.Series, dtype: Any, pl: Any) -> tuple[Any, Any] | None:
    """The column's (min, max) in stats form; None where stats would not bound it (NaN, a
    long string) or the type gets none (booleans, decimals, binary: nullCount only)."""
    try:  # (a date or time outside Python's years 1..9999 gets none)
        first, last = column.min(), column.max()
    except (ValueError, OverflowError):
        return None
    bounds: tuple[Any, Any] | None = None
    if dtype.is_integer():
        bounds = int(first), int(last)  # type: ignore[arg-type]
    elif dtype.is_float() and not column.is_nan().any():
        low, high = float(first), float(last)  # type: ignore[arg-type]
        bounds = (low, high) if math.isfinite(low) and math.isfinite(high) else None
    elif dtype == pl.Date:
        assert isinstance(first, date) and isinstance(last, date)
        bounds = first.isoformat(), last.isoformat()
    elif isinstance(dtype, pl.Datetime):
        assert isinstance(first, datetime) and isinstance(last, datetime)
        earliest, latest = _timestamp(first, up=False), _timestamp(last, up=True)
        bounds = (earliest, latest) if earliest is not None and latest is not None else None
    elif dtype == pl.String:
        longest = column.str.len_chars().max()
        if isinstance(longest, int) and longest <= _STRING_STATS:
            bounds = first, last
    return bounds


def _timestamp(value: datetime, *, up: bool) -> str | None:
    """`value` to whole milliseconds (down, or up for a max), in Delta's stats format; None
    where that is past the last representable millisecond."""
    extra = value.microsecond % 1000
    value -= timedelta(microseconds=extra)
    try:
        if up and extra:
            value += timedelta(milliseconds=1)
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
    except OverflowError:
        return None
    # The year always in four digits (strftime writes year 999 as "999", which no reader parses)
    text = f"{value.year:04d}-{value:%m-%d}"
    clock = f"{value:%H:%M:%S}.{value.microsecond // 1000:03d}"
    return f"{text} {clock}" if value.tzinfo is None else f"{text}T{clock}Z"


def committable(staging: Staging, table: DeltaTable | None, partitioned: bool) -> bool:
    """Whether the run's staged files can be the table's data files as they are."""
    from hygge.stores.delta.staged import run_schema

    schema = run_schema(staging)
    if partitioned or schema is None or staging.run_type is RunType.MERGE:
        return False
    if staging.extra.get(UNIFORM_KEY) is not True or not _listed(staging):
        return False
    if table is None:
        return True
    features = table.protocol().writer_features or []
    if (_needs_ntz(schema) and "timestampNtz" not in features) or not _plain_table(table):
        return False  # a feature the table lacks (delta-rs' write adds it), or a special table
    if staging.run_type is RunType.FULL_DROP:
        return True
    have = pa.schema(table.schema().to_arrow())
    # An append of exactly the table's columns, with no null where the table says NOT NULL
    return _columns(have) == _columns(schema) and _nulls_fit(have, staging)


def _nulls_fit(have: pa.Schema, staging: Staging) -> bool:
    """Whether the staged files hold no null in a column the table declares NOT NULL (known
    from their statistics; a nested column, or one past the indexed ones, is not known: the
    rewrite through delta-rs checks it, and refuses a null naming the column)."""
    if any(_required_inside(field.type) for field in have):
        return False  # a NOT NULL field inside a nested column: no statistics tell
    required = [field for field in have if not field.nullable]
    if not required:
        return True
    files = staging.extra.get(FILES_KEY)
    assert isinstance(files, dict)
    for entry in files.values():
        assert isinstance(entry, dict)
        nulls = json.loads(str(entry["stats"])).get("nullCount", {})
        for field in required:
            if pa.types.is_nested(field.type) or nulls.get(field.name, 1) != 0:
                return False
    return True


def _plain_table(table: DeltaTable) -> bool:
    """A table whose writers need nothing but files: no partitions, CHECK constraints,
    invariants, generated or identity columns, nor column mapping (physical names). delta-rs'
    own write checks and writes those; a commit of ready files would not."""
    metadata = table.metadata()
    settings = metadata.configuration
    if metadata.partition_columns or any(k.startswith("delta.constraints.") for k in settings):
        return False
    if settings.get("delta.columnMapping.mode", "none") != "none":
        return False
    special = ("delta.invariants", "delta.generationExpression", "delta.identity")
    return not any(key in special for field in table.schema().fields for key in field.metadata)


def _listed(staging: Staging) -> bool:
    files = staging.extra.get(FILES_KEY)
    return isinstance(files, dict) and all(name in files for name in staging.artefacts)


def _required_inside(kind: pa.DataType) -> bool:
    """Whether a nested type has a NOT NULL field (a struct's field, a list's item) within."""
    fields = [kind.field(i) for i in range(kind.num_fields)]
    return any(not f.nullable or _required_inside(f.type) for f in fields)


def _needs_ntz(schema: pa.Schema) -> bool:
    return any(_has_ntz(field.type) for field in schema)


def _has_ntz(kind: pa.DataType) -> bool:
    """A zone-less timestamp, or a nested type holding one (a struct's field, a list's item)."""
    if pa.types.is_timestamp(kind):
        return kind.tz is None
    return any(_has_ntz(kind.field(i).type) for i in range(kind.num_fields))


def _columns(schema: pa.Schema) -> dict[str, pa.DataType]:
    return {field.name: _plain(field.type) for field in schema}


def commit(
    dl: Any,
    location: Any,
    staging: Staging,
    table: DeltaTable | None,
    properties: Any,
) -> None:
    """One commit adding the run's files: a new table, an overwrite or an append."""
    from hygge.stores.delta.staged import run_schema

    schema = run_schema(staging)
    assert schema is not None
    files = staging.extra[FILES_KEY]
    assert isinstance(files, dict)
    now = int(time.time() * 1000)
    actions = []
    for name in staging.artefacts:
        entry = files[name]
        assert isinstance(entry, dict)
        actions.append(
            dl.transaction.AddAction(
                path=table_path(staging.run_id, name),
                size=int(entry["size"]),  # type: ignore[arg-type]
                partition_values={},
                modification_time=now,
                data_change=True,
                stats=str(entry["stats"]),
            )
        )
    delta_schema = dl.Schema.from_arrow(schema.remove_metadata())
    if table is None:
        dl.transaction.create_table_with_add_actions(
            location.uri, delta_schema, actions, mode="error",
            storage_options=location.storage_options, commit_properties=properties,
        )  # fmt: skip
        return
    mode = "overwrite" if staging.run_type is RunType.FULL_DROP else "append"
    table.create_write_transaction(
        actions, mode=mode, schema=delta_schema, commit_properties=properties
    )


def referenced(table: DeltaTable | None, run_id: str) -> set[str]:
    """The names of the run's files the table's current version reads."""
    if table is None:
        return set()
    start = f"{DATA}/{run_id}/"
    paths = table.get_add_actions(flatten=True).column("path").to_pylist()
    return {
        path[len(start) :] for path in paths if isinstance(path, str) and path.startswith(start)
    }
