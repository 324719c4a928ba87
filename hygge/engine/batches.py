"""Batch-level rules of a run: one schema per run, watermark filtering and tracking."""

from __future__ import annotations

import base64
import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

from hygge.errors import DataError
from hygge.io.schema import dtype_text
from hygge.types import JsonScalar
from hygge.wording import with_article

# An Arrow IPC stream's end: a schema message followed by these bytes reads as a stream.
_END_OF_STREAM = b"\xff\xff\xff\xff\x00\x00\x00\x00"


def encode_schema(batch: pl.DataFrame | pl.Schema) -> str:
    """The Arrow schema of a batch (or a schema) as base64 IPC (the stream's schema message),
    small enough for a checkpoint. Written by polars, so a run imports no pyarrow for it."""
    # Encoded once per schema of the process: the entities of a run mostly share theirs. The
    # repr keeps apart what a dtype's equality might not (time zones, categories, widths).
    schema = batch.schema if isinstance(batch, pl.DataFrame) else batch
    return _encoded(tuple((name, dtype, repr(dtype)) for name, dtype in schema.items()))


@functools.lru_cache(maxsize=256)
def _encoded(columns: tuple[tuple[str, pl.DataType, str], ...]) -> str:
    out = io.BytesIO()
    empty = pl.DataFrame(schema={name: dtype for name, dtype, _ in columns})
    empty.write_ipc_stream(out, compat_level=pl.CompatLevel.oldest())
    data = out.getvalue()
    message = data[: 8 + int.from_bytes(data[4:8], "little")]  # marker, length, schema
    return base64.b64encode(message).decode("ascii")


def decode_schema(text: str) -> pl.Schema:
    """The schema of `encode_schema`'s text (also of the pyarrow-serialised schemas of
    earlier versions: the same encapsulated message)."""
    stream = io.BytesIO(base64.b64decode(text) + _END_OF_STREAM)
    return pl.read_ipc_stream(stream).schema


def published_schema(
    run: str | None, kept: str | None, *, rows: int, full_drop: bool
) -> str | None:
    """The columns later incremental runs keep to (`kept`: the last run's). A run of no rows
    whose columns have no type yet (Null: a csv of only a header) sets none: rows decide."""
    if run is None or rows or not untyped(run):
        return run or kept
    return None if full_drop else kept


def untyped(run: str | None) -> bool:
    """Whether a run's columns include one with no type yet (Null: a csv of only a header)."""
    return run is not None and any(isinstance(t, pl.Null) for t in decode_schema(run).values())


def same_schema(first: str, second: str) -> bool:
    """Whether two encoded schemas are the same columns (their bytes may differ by writer)."""
    return first == second or decode_schema(first) == decode_schema(second)


@dataclass(frozen=True)
class SchemaOrigin:
    """Where the entity's schema came from, so that the advice for a mismatch fits the run."""

    entity: str  # flow.entity, for the reload command
    published: bool  # the data already in the store (incremental), not this run's first batch

    @property
    def theirs(self) -> str:
        if self.published:
            return "those of the data already published"
        return "this run's first file's"

    def reload(self, condition: str) -> str:
        """The full-drop advice, only where a full drop can help (after published data)."""
        if not self.published:
            return ""
        return f"; {condition}, reload with `hygge go --full-drop --entity {self.entity}`"


def conform(
    batch: pl.DataFrame,
    schema: pl.Schema,
    where: str,
    origin: SchemaOrigin,
    source_columns: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Make `batch` match the entity's schema, or say exactly which column differs and where.

    The schema is the first batch's, or, on an incremental run, that of the data already
    published. A type is converted only when every value survives the round trip unchanged
    (Int64 2 → Float64 2.0 does; 1.5 → 1 does not). `source_columns` are the batch's columns
    before polish (None without polish), to name polish as the cause of a difference.
    """
    if batch.schema == schema:
        return batch
    missing = [name for name in schema if name not in batch.schema]
    extra = [name for name in batch.schema if name not in schema]
    if missing or extra:
        polish = _polish_change(missing, extra, source_columns, batch.columns)
        raise _columns_differ(where, origin, missing, extra, polish)
    differing = [name for name, dtype in schema.items() if batch.schema[name] != dtype]
    try:
        converted = batch.select(pl.col(n).cast(dtype, strict=True) for n, dtype in schema.items())
        lossy = [name for name in differing if not _round_trips(batch[name], converted[name])]
    except pl.exceptions.PolarsError:
        lossy = differing
    if lossy:
        pairs = {name: (batch.schema[name], schema[name]) for name in lossy}
        polished = [n for n in lossy if source_columns is not None and n not in source_columns]
        samples = {name: _sample(batch[name], schema[name]) for name in lossy}
        raise _types_differ(where, origin, pairs, polished, samples)
    return converted


def _polish_change(
    missing: list[str], extra: list[str], source: Sequence[str] | None, polished: Sequence[str]
) -> str | None:
    """What polish changed, when polish alone explains the differing columns (else None).

    `source` is the batch before polish, `polished` after it. A column polish writes is not in
    the source; a published column polish renames is in the source but no longer written.
    """
    if source is None:
        return None
    new_in_source = [c for c in source if c not in polished and c not in missing]
    if new_in_source or any(n in source for n in extra) or any(n not in source for n in missing):
        return None  # the source's own columns changed too
    if extra and missing:
        return f"it now writes {', '.join(extra)} in place of {', '.join(missing)}"
    if extra:
        return f"it now adds {', '.join(extra)}"
    return f"it now renames {', '.join(missing)}"


def _columns_differ(
    where: str, origin: SchemaOrigin, missing: list[str], extra: list[str], polish: str | None
) -> DataError:
    text = (
        f"{where}: the columns differ from {origin.theirs} (missing: {missing or 'none'}; "
        f"unexpected: {extra or 'none'})"
    )
    if origin.published and polish is not None:
        return DataError(
            f"{text}. Polish makes the difference ({polish}): the data already published was "
            "written before this polish change. Reload the entity so every row is polished "
            f"alike, `hygge go --full-drop --entity {origin.entity}`, or undo the polish change"
        )
    return DataError(
        f"{text}. One entity has one set of columns: align the source, or split these files "
        "into their own entity"
        + origin.reload("if the source changed for good and every file in the home now has them")
    )


def _types_differ(
    where: str,
    origin: SchemaOrigin,
    pairs: dict[str, tuple[pl.DataType, pl.DataType]],
    polished: list[str],
    samples: dict[str, str],
) -> DataError:
    """`pairs`: each lossy column's type here and before; `polished`: those polish writes;
    `samples`: a value each conversion loses (`, e.g. '02134'`, or '')."""
    place = "published" if origin.published else "in the first file"
    diffs = "; ".join(
        f"{name}: {dtype_text(now)} here, {dtype_text(then)} {place}{samples[name]}"
        for name, (now, then) in pairs.items()
    )
    text = (
        f"{where}: column types differ from {origin.theirs} and converting would change "
        f"values ({diffs})"
    )
    if polished:
        return DataError(
            f"{text}. Column(s) {', '.join(polished)} come from polish, whose value type changed"
            + origin.reload("to write every row with the new type")
        )
    pin = ", ".join(f"{name}: {dtype_text(now)}" for name, (now, _) in pairs.items())
    return DataError(
        f"{text}. Fix the source types, or pin them in the home's format_options (csv, ndjson: "
        f"schema_overrides: {{{pin}}})"
        + origin.reload("if the type changed for good in every file of the home")
    )


def _sample(before: pl.Series, dtype: pl.DataType) -> str:
    """`, e.g. 'A0001'`: the first value the conversion to `dtype` loses or changes."""
    try:  # polars casts some pairs in neither way (String -> Date: `str.to_date`)
        after = before.cast(dtype, strict=False)
        back = after.cast(before.dtype, strict=False)
    except pl.exceptions.PolarsError:
        return ""
    changed = before.is_not_null() & (back.is_null() | (back != before)).fill_null(True)
    if not changed.any():
        return ""
    return f", e.g. {before[int(changed.arg_true()[0])]!r}"


def _round_trips(before: pl.Series, after: pl.Series) -> bool:
    if before.dtype == pl.Null:
        return True
    try:
        back = after.cast(before.dtype, strict=True)
    except pl.exceptions.PolarsError:
        return False
    return back.equals(before, check_dtypes=False, check_names=False, null_equal=True)


def watermark_type(dtype: pl.DataType, *, column: str = "", where: str = "") -> str:
    """The journal's watermark type for a column dtype; DataError for unusable types."""
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    if isinstance(dtype, pl.Date):
        return "date"
    if dtype.is_integer():
        return "int"
    if isinstance(dtype, pl.String):
        return "string"
    prefix = f"{where}: " if where else ""
    name = f"'{column}' " if column else ""
    raise DataError(
        f"{prefix}watermark column {name}is {dtype}; a watermark column must be a datetime, "
        f"date, integer or string column. Pick another `watermark.column`, or give this one "
        f"such a type at the source (csv, ndjson: format_options: "
        f"{{schema_overrides: {{{column or 'column'}: Int64}}}})"
    )


def to_json_scalar(value: object) -> JsonScalar:
    """A watermark value as JSON (datetimes and dates as ISO 8601 text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def from_json_scalar(value: JsonScalar, kind: str | None) -> object:
    """Inverse of to_json_scalar for a known watermark type; DataError when it is not one."""
    if value is None or kind is None:
        return value
    try:
        if kind == "datetime" and isinstance(value, str):
            return datetime.fromisoformat(value)
        if kind == "date" and isinstance(value, str):
            return date.fromisoformat(value)
        if kind == "int" and not isinstance(value, int):
            return int(str(value))
        if kind == "string" and not isinstance(value, str):
            return str(value)
    except ValueError as exc:
        example = {"datetime": "2024-01-31T00:00:00", "date": "2024-01-31", "int": "42"}
        raise DataError(
            f"watermark value {value!r} is not {with_article(kind)} (watermark.initial, or the "
            f"stored watermark); write it like {example.get(kind, kind)}"
        ) from exc
    if kind in {"datetime", "date"} and not isinstance(value, str):
        raise DataError(
            f"watermark value {value!r} is not {with_article(kind)}; write it as ISO 8601 text"
        )
    return value


def max_value(batch: pl.DataFrame, column: str) -> object:
    """The largest non-null value of `column` in the batch, or None."""
    return batch.get_column(column).max()


def later(a: object, b: object) -> object:
    """The larger of two watermark values, None-aware."""
    if a is None:
        return b
    if b is None:
        return a
    return a if a >= b else b  # type: ignore[operator]
