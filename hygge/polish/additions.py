"""Columns polish appends: constants, load timestamps and the legacy row marker.

Every value is fixed when the entity run starts, so all batches (and every resumed chunk of the
run after a crash) carry the same value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl

from hygge.errors import ConfigError
from hygge.polish.config import ROW_MARKER, PolishConfig, TimestampRule


@dataclass(frozen=True)
class Addition:
    """One appended column: its name, its literal value as an expression, and its rule kind."""

    name: str
    expr: pl.Expr
    kind: str


def plan_additions(config: PolishConfig, run_started_at: datetime) -> list[Addition]:
    """Constants, then timestamps, then the row marker, in config order."""
    additions = [
        Addition(rule.name, _literal(rule.name, rule.value), "constant")
        for rule in config.constants
    ]
    for stamp in config.timestamps:
        additions.append(Addition(stamp.name, _timestamp(stamp, run_started_at), "timestamp"))
    marker = config.add_row_marker
    if marker and marker.enabled and all(c.name != ROW_MARKER for c in config.constants):
        additions.append(Addition(ROW_MARKER, _literal(ROW_MARKER, marker.value), "row marker"))
    return additions


def timestamp_value(rule: TimestampRule, run_started_at: datetime) -> datetime | str:
    """The rule's value for a run: UTC (tz-aware) or naive local wall time, or its text."""
    if rule.source == "now_utc":
        moment = run_started_at.astimezone(UTC)
    else:
        moment = run_started_at.astimezone().replace(tzinfo=None)
    if rule.type == "string":
        return moment.strftime(rule.format) if rule.format else moment.isoformat()
    return moment


def _timestamp(rule: TimestampRule, run_started_at: datetime) -> pl.Expr:
    value = timestamp_value(rule, run_started_at)
    if isinstance(value, str):
        return pl.lit(value, pl.String).alias(rule.name)
    dtype = pl.Datetime("us", "UTC") if rule.source == "now_utc" else pl.Datetime("us")
    return pl.lit(value, dtype).alias(rule.name)


def _literal(name: str, value: Any) -> pl.Expr:
    try:
        expr = pl.lit(value).alias(name)
        pl.select(expr)
    except (TypeError, ValueError, pl.exceptions.PolarsError) as exc:
        raise ConfigError(
            f"polish constant {name!r}: value {value!r} cannot be stored as a column ({exc})",
            hint="use a string, number, boolean, date or null as the constant's value",
        ) from exc
    return expr
