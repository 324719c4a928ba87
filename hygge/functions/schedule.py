"""NCRONTAB schedules (the timer trigger's six fields, UTC): parsed, and the slot a fire is for.

A slot is the latest minute at or before a moment that the schedule names. Two fires of one
occurrence (a host restart, two instances) land in the same slot, however late either runs, so
the timer starter's instance id (`hygge-timer-<slot>`) starts one run. Day-of-month and
weekday must both match (NCrontab's rule); weekday 0 and 7 are Sunday; names (Jan, Mon) are
accepted. Seconds are parsed and checked, and ignored for the slot (a minute is the unit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hygge.errors import ConfigError

_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
FieldSpec = tuple[str, int, int, Sequence[str]]  # name, low, high, names
_FIELDS: tuple[FieldSpec, ...] = (
    ("second", 0, 59, ()),
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("weekday", 0, 7, _DAYS),
)
LOOKBACK_DAYS = 400  # a schedule with no occurrence in this long has none (Feb 30th)


@dataclass(frozen=True)
class Schedule:
    """The values each field allows."""

    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday

    def matches_day(self, moment: datetime) -> bool:
        weekday = (moment.weekday() + 1) % 7  # Python: Monday 0; NCRONTAB: Sunday 0
        return moment.day in self.days and moment.month in self.months and weekday in self.weekdays


def parse_schedule(text: str, setting: str = "HYGGE_SCHEDULE") -> Schedule:
    """The schedule of six NCRONTAB fields; ConfigError naming the field that is wrong."""
    fields = text.split()
    if len(fields) != len(_FIELDS):
        raise ConfigError(
            f"{setting} is '{text}'; an NCRONTAB schedule has six fields (second minute hour "
            f"day month weekday), this one has {len(fields)}",
            hint=f"e.g. {setting}=0 0 2 * * * (02:00 UTC nightly)",
        )
    values = [_field(part, spec, setting, text) for part, spec in zip(fields, _FIELDS, strict=True)]
    seconds, minutes, hours, days, months, weekdays = values
    return Schedule(seconds, minutes, hours, days, months, frozenset(d % 7 for d in weekdays))


def _field(part: str, spec: FieldSpec, setting: str, text: str) -> frozenset[int]:
    name, low, high, names = spec
    allowed: set[int] = set()
    for item in part.split(","):
        try:
            allowed.update(_item(item.lower(), low, high, names))
        except ValueError as exc:
            raise ConfigError(
                f"{setting} is '{text}': its {name} field '{part}' is not valid ({exc})",
                hint=f"the {name} field takes *, a number from {low} to {high}, a range a-b, "
                "a step */n or a-b/n, or a comma list of those",
            ) from exc
    return frozenset(allowed)


def _item(item: str, low: int, high: int, names: Sequence[str]) -> range:
    body, _, step_text = item.partition("/")
    step = _number(step_text, 1, high or 1, names=()) if step_text else 1
    if body == "*":
        first, last = low, high
    elif "-" in body:
        start, _, end = body.partition("-")
        first, last = _number(start, low, high, names), _number(end, low, high, names)
        if first > last:
            raise ValueError(f"the range {body} runs backwards")
    else:
        first = _number(body, low, high, names)
        last = high if step_text else first
    return range(first, last + 1, step)


def _number(text: str, low: int, high: int, names: Sequence[str]) -> int:
    if text in names:
        return names.index(text) + (1 if len(names) == 12 else 0)
    if not text.isdigit():
        raise ValueError(f"'{text}' is no number")
    value = int(text)
    if not low <= value <= high:
        raise ValueError(f"{value} is outside {low}-{high}")
    return value


def slot_of(schedule: Schedule, moment: datetime) -> datetime:
    """The latest minute at or before `moment` (UTC) the schedule names; ConfigError if none."""
    moment = moment.astimezone(UTC).replace(second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0)
    for back in range(LOOKBACK_DAYS):
        current = day - timedelta(days=back)
        if not schedule.matches_day(current):
            continue
        for hour in sorted(schedule.hours, reverse=True):
            for minute in sorted(schedule.minutes, reverse=True):
                candidate = current.replace(hour=hour, minute=minute)
                if candidate <= moment:
                    return candidate
    raise ConfigError(
        f"the schedule names no minute in the {LOOKBACK_DAYS} days before {moment:%Y-%m-%d}",
        hint="check HYGGE_SCHEDULE's day and month fields (a day that never comes?)",
    )


def slot_name(slot: datetime) -> str:
    """A slot as it appears in an instance id: ISO minute, UTC (2026-12-07T02:00Z)."""
    return slot.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
