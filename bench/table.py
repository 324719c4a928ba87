"""The bench's figures: measurements, the checks against issue 8's targets, the Markdown table.

Pure functions over small frozen records, so the arithmetic (ratios, pass/miss) is unit-tested
(tests/unit/bench/test_bench_table.py) without running anything.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

PEAK_LIMIT_MIB = 512.0  # issue 8: peak memory ≤ the raw baseline's and ≤ 512 MiB

Op = Literal["≥", "≤"]


@dataclass(frozen=True)
class Measured:
    """One measurement: wall seconds and peak RSS (MiB) of a process or of its work."""

    seconds: float
    peak_mib: float


@dataclass(frozen=True)
class Check:
    """A figure against its target, e.g. 0.91x raw throughput, target ≥ 0.85x."""

    figure: str
    value: float
    op: Op
    target: float
    unit: str = "x"

    @property
    def passed(self) -> bool:
        return self.value >= self.target if self.op == "≥" else self.value <= self.target


@dataclass(frozen=True)
class Row:
    """A scenario's result: hygge and its raw baseline from the same run, and their checks."""

    scenario: str
    rows: int
    hygge: Measured
    baseline: Measured | None = None
    checks: tuple[Check, ...] = field(default_factory=tuple)
    note: str = ""


def summarise(runs: Sequence[Measured]) -> Measured:
    """Median seconds (time is noisy both ways) and the highest peak (memory is a limit)."""
    if not runs:
        raise ValueError("no runs to summarise")
    return Measured(statistics.median(r.seconds for r in runs), max(r.peak_mib for r in runs))


def throughput_ratio(hygge: Measured, raw: Measured) -> float:
    """hygge's rows/s over the raw baseline's for the same rows: higher is better."""
    return raw.seconds / hygge.seconds


def time_ratio(hygge: Measured, raw: Measured) -> float:
    """hygge's seconds over the baseline's: lower is better (start-up)."""
    return hygge.seconds / raw.seconds


def overhead_ms(hygge: Measured, raw: Measured, entities: int) -> float:
    """What hygge adds per entity over a raw loop doing the same work, in milliseconds."""
    return (hygge.seconds - raw.seconds) / entities * 1000


def marginal_overhead_ms(
    many: tuple[Measured, Measured], one: tuple[Measured, Measured], entities: int
) -> float:
    """What each entity beyond the first adds to hygge over the raw loop, in milliseconds:
    ((hygge - raw) at `entities`, less (hygge - raw) at one) / (entities - 1). The fixed
    start-up difference cancels out; it has its own scenario."""
    extra = (many[0].seconds - many[1].seconds) - (one[0].seconds - one[1].seconds)
    return extra / (entities - 1) * 1000


def peak_check(hygge: Measured, raw: Measured | None) -> Check:
    """Peak MiB ≤ the raw baseline's (when there is one) and ≤ 512 MiB."""
    limit = min(raw.peak_mib, PEAK_LIMIT_MIB) if raw else PEAK_LIMIT_MIB
    return Check("peak", hygge.peak_mib, "≤", limit, " MiB")


def _number(value: float, unit: str) -> str:
    return f"{value:.2f}{unit}" if unit == "x" else f"{value:,.1f}{unit}"


def _cells(row: Row) -> list[str]:
    base = row.baseline
    return [
        row.scenario,
        f"{row.rows:,}" if row.rows else "—",
        f"{row.hygge.seconds:.3f}",
        f"{base.seconds:.3f}" if base else "—",
        f"{row.hygge.peak_mib:,.0f}",
        f"{base.peak_mib:,.0f}" if base else "—",
    ]


def _check_cells(check: Check | None) -> list[str]:
    if check is None:
        return ["", "", ""]
    value = f"{check.figure} {_number(check.value, check.unit)}"
    return [value, f"{check.op} {_number(check.target, check.unit)}", _verdict(check)]


def _verdict(check: Check) -> str:
    return "pass" if check.passed else "**miss**"


HEADER = (
    "| scenario | rows | hygge s | raw s | hygge MiB | raw MiB | figure | target | result | note |"
)


def markdown(rows: Sequence[Row]) -> str:
    """One line per check; a scenario's measurements and note are on its first line."""
    lines = [HEADER, "|" + "---|" * 10]
    for row in rows:
        checks: Sequence[Check | None] = row.checks or (None,)
        for index, check in enumerate(checks):
            first = _cells(row) if index == 0 else [""] * 6
            note = row.note if index == 0 else ""
            lines.append("| " + " | ".join([*first, *_check_cells(check), note]) + " |")
    return "\n".join(lines)


def as_json(rows: Sequence[Row]) -> list[dict[str, object]]:
    """JSON-ready rows, each check with its `passed` verdict."""
    out = []
    for row in rows:
        data = asdict(row)
        data["checks"] = [{**asdict(c), "passed": c.passed} for c in row.checks]
        out.append(data)
    return out


def misses(rows: Sequence[Row]) -> int:
    return sum(not c.passed for row in rows for c in row.checks)
