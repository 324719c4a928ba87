"""Watermark configuration: which column moves an incremental window forward."""

from __future__ import annotations

from pydantic import AliasChoices, Field, field_validator, model_validator

from hygge.types import JsonScalar, Strict


class WatermarkConfig(Strict):
    """`watermark: {column, key_columns, lookback, initial}`.

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
        description="Margin re-read below the last watermark: a duration like '15m', '2h', '1d' "
        "for time columns, a number for integer columns.",
    )
    initial: JsonScalar = Field(
        None, description="Lower bound of the very first run (default: read everything)."
    )

    @field_validator("key_columns", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        if isinstance(value, str):
            return [value]
        return value

    @model_validator(mode="after")
    def _lookback_needs_keys(self) -> WatermarkConfig:
        if self.lookback is not None and not self.key_columns:
            raise ValueError(
                "lookback re-reads rows below the last watermark; set key_columns so hygge can "
                "tell a row it already loaded from a late one"
            )
        return self
