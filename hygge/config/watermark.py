"""Watermark configuration: which column moves an incremental window forward."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Literal

from pydantic import AliasChoices, Field, field_validator, model_validator

from hygge.types import JsonScalar, Strict, invalid_setting

# The forms hygge.engine.margin.lookback_delta reads (which one applies depends on the column).
_DURATION = re.compile(r"\s*[0-9]+(?:\.[0-9]+)?\s*[smhdw]\s*")
_WHOLE_NUMBER = re.compile(r"[0-9]+")


class WatermarkConfig(Strict):
    """`watermark: {column, key_columns, lookback, initial, late_rows}`.

    The original hygge's keys keep working: `watermark_column` for `column`, `primary_key` for
    `key_columns`.
    """

    column: str = Field(
        validation_alias=AliasChoices("column", "watermark_column"),
        min_length=1,
        description="Column whose maximum marks how far a run got (alias: watermark_column).",
    )
    key_columns: list[str] = Field(
        default_factory=list,
        validation_alias=AliasChoices("key_columns", "primary_key"),
        description="Row identity, used to de-duplicate the lookback margin (alias: primary_key).",
    )
    lookback: str | int | float | None = Field(
        None,
        description="Margin re-read below the last watermark: a duration like '30s', '15m', "
        "'1.5h', '1d', '1w' (or a number of seconds) for time columns, a whole number for "
        "integer columns.",
    )
    initial: JsonScalar = Field(
        None, description="Lower bound of the very first run (default: read everything)."
    )
    late_rows: Literal["drop", "load", "fail"] = Field(
        "drop",
        description="File homes: rows of a new file at or below the watermark (a late "
        "delivery). drop: leave them out and say how many in the journal; load: load them; "
        "fail: stop the run, naming the file.",
    )

    @field_validator("key_columns", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        if isinstance(value, str):
            return [value]
        return value

    @field_validator("lookback", mode="before")
    @classmethod
    def _lookback_form(cls, value: object) -> object:
        if value is None or _is_lookback(value):
            return value
        raise ValueError(
            f"{value!r} is not a lookback: write a number and a unit, s, m, h, d or w (30s, "
            "15m, 1.5h, 1d, 1w), or a non-negative number (seconds for a time column, a count "
            "for an integer column)"
        )

    @model_validator(mode="after")
    def _lookback_needs_keys(self) -> WatermarkConfig:
        if self.lookback is not None and not self.key_columns:
            raise ValueError(
                "lookback re-reads rows below the last watermark; set key_columns so hygge can "
                "tell a row it already loaded from a late one"
            )
        return self

    @model_validator(mode="after")
    def _lookback_fits_initial(self) -> WatermarkConfig:
        """`initial` tells the column's kind; a lookback that cannot apply to it is refused."""
        if self.lookback is None or self.initial is None or isinstance(self.initial, bool):
            return self
        duration = isinstance(self.lookback, str) and bool(_DURATION.fullmatch(self.lookback))
        if isinstance(self.initial, int) and duration:
            raise invalid_setting(
                f"lookback {self.lookback!r} is a duration, but initial {self.initial} is a "
                "whole number, so the column holds integers: a duration applies to datetime "
                "and date columns",
                at="lookback",
                hint="for an integer column write the margin as a whole number, e.g. lookback: 100",
            )
        if isinstance(self.initial, str) and not _time_or_number(self.initial):
            raise invalid_setting(
                f"lookback does not apply to a string watermark column (initial "
                f"{self.initial!r} is not a date, a time or a number): strings have no distance "
                "to look back by",
                at="lookback",
                hint="remove lookback, or use a datetime, date or integer watermark column",
            )
        return self


def _time_or_number(text: str) -> bool:
    """Whether an `initial` written as text bounds a datetime, date or integer column."""
    if _WHOLE_NUMBER.fullmatch(text.strip()):
        return True
    for parse in (datetime.fromisoformat, date.fromisoformat):
        try:
            parse(text)
        except ValueError:
            continue
        return True
    return False


def _is_lookback(value: object) -> bool:
    if isinstance(value, bool):
        return False  # `lookback: yes` is a mistake, not the number 1
    if isinstance(value, int | float):
        return math.isfinite(value) and value >= 0
    return isinstance(value, str) and bool(
        _DURATION.fullmatch(value) or _WHOLE_NUMBER.fullmatch(value)
    )
