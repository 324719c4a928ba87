"""Polish configuration: last-mile column clean-up applied to every batch before it is written."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from hygge.types import Strict

ROW_MARKER = "__rowMarker__"
# What each row marker value means (Open Mirroring's convention, which a Delta merge takes too).
ROW_MARKERS = {0: "insert", 1: "update", 2: "delete", 4: "upsert"}


class ColumnRules(Strict):
    """Column-name normalisation."""

    remove_special: bool = Field(
        False, description="Drop characters other than letters, digits, spaces, '_' and '-'."
    )
    remove_spaces: bool = Field(False, description="Delete spaces in column names.")
    case: Literal["pascal", "camel", "snake"] | None = Field(
        None, description="Rename columns to this case; collisions get _1, _2 … suffixes."
    )


class HashIdRule(Strict):
    """A deterministic id: hash of the `|`-joined string values of `from_columns`."""

    name: str = Field(min_length=1)
    from_columns: list[str] = Field(min_length=1)
    algo: Literal["md5", "sha1", "sha256", "sha512", "blake2b"] = "sha256"
    hex: bool = Field(True, description="Hex string (true) or raw bytes (false).")


class ConstantRule(Strict):
    """A column holding the same value on every row."""

    name: str = Field(min_length=1)
    value: Any = None


class TimestampRule(Strict):
    """A load-time column, fixed once per entity run."""

    name: str = Field(min_length=1)
    source: Literal["now_utc", "now_local"] = "now_utc"
    type: Literal["datetime", "string"] = "datetime"
    format: str | None = Field(None, description="strftime format when type is string.")


class RowMarkerRule(Strict):
    """Legacy: add `__rowMarker__` (0 insert, 1 update, 2 delete, 4 upsert)."""

    enabled: bool = False
    value: Literal[0, 1, 2, 4] = 4


class PolishConfig(Strict):
    """Polish: hash ids, column names, constants and timestamps, applied in that order."""

    columns: ColumnRules | None = None
    hash_ids: list[HashIdRule] = Field(default_factory=list)
    constants: list[ConstantRule] = Field(default_factory=list)
    timestamps: list[TimestampRule] = Field(default_factory=list)
    add_row_marker: RowMarkerRule | None = None
