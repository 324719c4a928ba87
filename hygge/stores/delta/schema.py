"""Which new data a Delta table takes: new columns are added; a column whose type in the new
data casts to the table's without loss (int32 into a long column, float into double, a
timestamp of another unit) is written as the table's type; anything else is refused with
the column and both types named. A full_drop replaces the schema, so it refuses nothing.

A Delta table without the type-widening feature never changes a column's type, so data wider
than its column (a long into an int column) is refused too: full_drop the entity to take it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from hygge.errors import DataError

if TYPE_CHECKING:
    import polars as pl

_INTEGERS = [pa.int8(), pa.int16(), pa.int32(), pa.int64()]


def refuse_unfit(table: pa.Schema, data: pa.Schema, label: str) -> None:
    """DataError naming the first column of `data` that `table` cannot hold."""
    by_case = {name.lower(): name for name in table.names}
    for field in data:
        if field.name not in table.names:
            same = by_case.get(field.name.lower())
            if same is not None:  # Delta takes it for the table's column, delta-rs refuses it
                raise DataError(
                    f"Delta table {label}: column {field.name!r} of this run's data is the "
                    f"table's column {same!r} in another case; rename it in the home (or "
                    "polish) to match, or run a full_drop to replace the schema"
                )
            continue  # a new column: added
        have = table.field(field.name).type
        if not fits(field.type, have):
            raise DataError(
                f"Delta table {label}: column {field.name} is {_plain(have)} in the table but "
                f"{_plain(field.type)} in this run's data, which does not cast to it without loss; "
                "cast it in the home (or polish), or run a full_drop to replace the schema"
            )


def fits(new: pa.DataType, have: pa.DataType) -> bool:
    """Whether values of `new` are written into a column of `have` unchanged."""
    new, have = _plain(new), _plain(have)
    if new == have or pa.types.is_null(new):
        return True
    return any(rule(new, have) for rule in _WIDENINGS)


def _wider_integer(new: pa.DataType, have: pa.DataType) -> bool:
    if have not in _INTEGERS:
        return False
    if new in _INTEGERS:
        return _INTEGERS.index(new) <= _INTEGERS.index(have)
    return bool(pa.types.is_unsigned_integer(new) and new.bit_width < have.bit_width)


def _wider_float(new: pa.DataType, have: pa.DataType) -> bool:
    if pa.types.is_floating(new) and pa.types.is_floating(have):
        return bool(new.bit_width <= have.bit_width)
    return bool(pa.types.is_integer(new) and new.bit_width <= 32 and have == pa.float64())


def _same_timestamp(new: pa.DataType, have: pa.DataType) -> bool:
    if not (pa.types.is_timestamp(new) and pa.types.is_timestamp(have)):
        return False
    return (new.tz is None) == (have.tz is None)  # Delta keeps microseconds either way


def _wider_decimal(new: pa.DataType, have: pa.DataType) -> bool:
    if not (pa.types.is_decimal(new) and pa.types.is_decimal(have)):
        return False
    whole = new.precision - new.scale <= have.precision - have.scale
    return bool(whole and new.scale <= have.scale)


_WIDENINGS = (_wider_integer, _wider_float, _same_timestamp, _wider_decimal)


def _plain(kind: pa.DataType) -> pa.DataType:
    """The type as a Delta column holds it (string/binary views and large forms as one)."""
    if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return pa.string()
    if pa.types.is_large_binary(kind) or pa.types.is_binary_view(kind):
        return pa.binary()
    lists = (pa.types.is_list, pa.types.is_large_list, pa.types.is_list_view)
    if any(test(kind) for test in lists) or pa.types.is_fixed_size_list(kind):
        return pa.list_(_plain(kind.value_type))
    if pa.types.is_struct(kind):  # (fields compared by name and type: nullability aside)
        return pa.struct([pa.field(f.name, _plain(f.type)) for f in kind])
    if pa.types.is_map(kind):
        return pa.map_(_plain(kind.key_type), _plain(kind.item_type))
    return kind


def delta_frame(batch: pl.DataFrame, label: str) -> pl.DataFrame:
    """`batch` in types a Delta table holds: unsigned integers as the next wider signed
    integer, categoricals and enums as strings, datetimes in microseconds (zoned: in UTC).
    fixed-size arrays as lists, half floats as floats. DataError naming a column Delta cannot
    hold (times of day, durations, a column of only nulls, uint64, 128-bit integers)."""
    import polars as pl

    signed: dict[pl.DataType, pl.DataType] = {
        pl.UInt8(): pl.Int16(),
        pl.UInt16(): pl.Int32(),
        pl.UInt32(): pl.Int64(),
    }
    seen: dict[str, str] = {}
    for name in batch.columns:  # Delta (and Spark, Fabric) match column names ignoring case
        other = seen.setdefault(name.lower(), name)
        if other != name:
            raise DataError(
                f"Delta table {label}: columns {other!r} and {name!r} differ only in case, "
                "which Delta Lake takes for one column; rename one in the home (or polish)"
            )
    casts: dict[str, pl.DataType] = {}
    for name, dtype in batch.schema.items():
        wider = signed.get(dtype)
        if wider is not None:
            casts[name] = wider
        elif isinstance(dtype, pl.Categorical | pl.Enum):
            casts[name] = pl.String()
        elif isinstance(dtype, pl.Array):  # Delta has lists only (a reader of a fixed-size
            casts[name] = pl.List(dtype.inner)  # list's file against the log's list fails)
        elif dtype == pl.Float16:
            casts[name] = pl.Float32()  # Delta has no half floats: widened without loss
        elif dtype in (pl.UInt64, pl.Int128, pl.UInt128) or isinstance(
            dtype, pl.Time | pl.Duration | pl.Null
        ):
            raise DataError(
                f"Delta table {label}: column {name} is a {dtype}, which Delta Lake has no "
                f"type for; {_ADVICE.get(str(type(dtype).__name__), _ADVICE['UInt64'])}"
            )
    batch = batch.cast(casts) if casts else batch  # type: ignore[arg-type]
    instants = [  # Delta keeps microseconds, in UTC (a naive one: timestamp_ntz)
        pl.col(name).dt.convert_time_zone("UTC").dt.cast_time_unit("us")
        if dtype.time_zone not in (None, "UTC")
        else pl.col(name).dt.cast_time_unit("us")
        for name, dtype in batch.schema.items()
        if isinstance(dtype, pl.Datetime)
        and (dtype.time_unit != "us" or dtype.time_zone not in (None, "UTC"))
    ]
    return batch.with_columns(instants) if instants else batch


_ADVICE = {
    "Time": "cast it to a string or a duration in microseconds (an integer) in the home",
    "Duration": "cast it to an integer (e.g. microseconds) in the home",
    "Null": "give the column a type in the home (e.g. cast it to a string)",
    "UInt64": "cast it to Int64 or a decimal in the home",
    "Int128": "cast it to Int64 or a decimal (up to 38 digits) in the home",
    "UInt128": "cast it to Int64 or a decimal (up to 38 digits) in the home",
}
