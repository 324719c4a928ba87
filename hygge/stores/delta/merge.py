"""A merge run into a Delta table: one source row per key, upserted; rows the source marks
deleted removed.

A source column `__rowMarker__` (the Open Mirroring convention hygge's polish and homes use:
0 insert, 1 update, 2 delete, 4 upsert) tells a merge what each row is: 2 deletes the table's
row of that key (and inserts nothing), the others upsert. The marker is an instruction, not
data: it is not written to the table. A table that already holds a `__rowMarker__` column (an
older run wrote it as data) keeps taking it as data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hygge.errors import DataError
from hygge.polish.config import ROW_MARKER, ROW_MARKERS

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import DeltaTable

MARKER = ROW_MARKER
DELETE = 2
MARKERS = ROW_MARKERS


def last_of_each_key(data: pa.Table, keys: list[str], label: str) -> pa.Table:
    """The last staged row of each key: MERGE takes one source row per target row."""
    import polars as pl

    lacking = [key for key in keys if key not in data.column_names]
    if lacking:
        raise DataError(
            f"Delta table {label}: merge key_columns {lacking} are not in the data (it has "
            f"{', '.join(data.column_names)}); fix key_columns or the home"
        )
    frame = pl.from_arrow(data)
    assert isinstance(frame, pl.DataFrame)
    return frame.unique(subset=keys, keep="last", maintain_order=True).to_arrow()


def marked(data: pa.Table, table: DeltaTable | None, label: str) -> bool:
    """Whether the rows carry `__rowMarker__` instructions; DataError naming a value that is
    none of 0, 1, 2, 4."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if MARKER not in data.column_names:
        return False
    if table is not None and MARKER in table.schema().to_arrow().names:
        return False  # a data column of this table
    column = data.column(MARKER)
    kind = column.type
    if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)):
        # (a boolean's True would pass as 1 in Python, yet the merge compares it with 2 as true)
        raise DataError(
            f"Delta table {label}: {MARKER} is {kind}, not a number; a merge takes the numbers "
            f"{', '.join(map(str, MARKERS))}. Cast it to an integer in the home (or polish), or "
            "rename the column if it is data"
        )
    values = set(pc.unique(column).to_pylist())
    bad = sorted(values - set(MARKERS), key=str)
    if bad:
        known = ", ".join(f"{k} ({v})" for k, v in MARKERS.items())
        raise DataError(
            f"Delta table {label}: {MARKER} holds {bad}; a merge takes {known}. Fix the "
            "source, or rename the column if it is data"
        )
    return True


def kept_rows(data: pa.Table) -> pa.Table:
    """The rows not marked deleted, without the marker (a first merge into no table)."""
    import pyarrow.compute as pc

    keep = pc.not_equal(data.column(MARKER), DELETE)
    return data.filter(keep).drop_columns([MARKER])


def merge_into(
    table: DeltaTable,
    data: pa.Table,
    keys: list[str],
    *,
    is_marked: bool,
    properties: Any,
    label: str,
) -> None:
    """One MERGE on `keys`: matched rows updated, new rows inserted; with markers, rows marked
    2 delete their match and insert nothing, and the marker column is not written."""
    have = table.schema().to_arrow().names
    lacking = [key for key in keys if key not in have]
    if lacking:
        raise DataError(
            f"Delta table {label}: merge key_columns {lacking} are not columns of the table "
            f"(it has {', '.join(have)}); fix key_columns, or run a full_drop to replace it"
        )
    ticked = [name for name in data.column_names if "`" in name]
    if ticked:  # delta-rs quotes names in backticks and cannot escape one inside
        raise DataError(
            f"Delta table {label}: column {ticked[0]!r} has a backtick (`) in its name, which "
            "delta-rs cannot merge on or update; rename it in the home (or polish)"
        )
    # Each comparison in parentheses: IS NOT DISTINCT FROM binds looser than AND
    predicate = " AND ".join(f"(t.`{key}` IS NOT DISTINCT FROM s.`{key}`)" for key in keys)
    merger = table.merge(
        data, predicate, source_alias="s", target_alias="t", merge_schema=True,
        commit_properties=properties,
    )  # fmt: skip
    if not is_marked:
        merger.when_matched_update_all().when_not_matched_insert_all().execute()
        return
    columns = {name: f"s.`{name}`" for name in data.column_names if name != MARKER}
    deleted = f"s.`{MARKER}` = {DELETE}"
    merger = merger.when_matched_delete(predicate=deleted)
    merger = merger.when_matched_update(updates=columns)
    merger.when_not_matched_insert(updates=columns, predicate=f"s.`{MARKER}` <> {DELETE}")
    merger.execute()
