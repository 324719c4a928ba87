"""The bench's figures: ratios, targets' pass/miss and the table, computed right (no timings)."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType

import pytest

BenchModule = Callable[[str], ModuleType]


def test_summary_takes_the_median_time_and_the_highest_peak(bench_module: BenchModule) -> None:
    table = bench_module("table")
    runs = [table.Measured(3.0, 100.0), table.Measured(1.0, 300.0), table.Measured(2.0, 200.0)]
    assert table.summarise(runs) == table.Measured(2.0, 300.0)


def test_summary_of_no_runs_is_refused(bench_module: BenchModule) -> None:
    with pytest.raises(ValueError, match="no runs"):
        bench_module("table").summarise([])


def test_throughput_ratio_is_raw_time_over_hygge_time(bench_module: BenchModule) -> None:
    table = bench_module("table")
    hygge, raw = table.Measured(2.0, 0.0), table.Measured(1.7, 0.0)
    assert table.throughput_ratio(hygge, raw) == pytest.approx(0.85)
    assert table.time_ratio(hygge, raw) == pytest.approx(2.0 / 1.7)


def test_overhead_is_the_extra_time_per_entity_in_ms(bench_module: BenchModule) -> None:
    table = bench_module("table")
    hygge, raw = table.Measured(3.0, 0.0), table.Measured(2.0, 0.0)
    assert table.overhead_ms(hygge, raw, 200) == pytest.approx(5.0)


def test_marginal_overhead_leaves_out_the_fixed_start_up(bench_module: BenchModule) -> None:
    table = bench_module("table")
    many = (table.Measured(3.5, 0.0), table.Measured(1.0, 0.0))  # 2.5 s more than raw
    one = (table.Measured(1.0, 0.0), table.Measured(0.5, 0.0))  # 0.5 s of it is start-up
    assert table.marginal_overhead_ms(many, one, 201) == pytest.approx(10.0)


def test_a_check_passes_on_its_target_and_misses_beyond(bench_module: BenchModule) -> None:
    check = bench_module("table").Check
    assert check("throughput", 0.85, "≥", 0.85).passed
    assert not check("throughput", 0.84, "≥", 0.85).passed
    assert check("ms", 5.0, "≤", 5.0, " ms").passed
    assert not check("ms", 5.1, "≤", 5.0, " ms").passed


def test_peak_target_is_the_lower_of_raw_and_512_mib(bench_module: BenchModule) -> None:
    table = bench_module("table")
    hygge = table.Measured(1.0, 400.0)
    assert table.peak_check(hygge, table.Measured(1.0, 300.0)).target == 300.0
    assert not table.peak_check(hygge, table.Measured(1.0, 300.0)).passed
    assert table.peak_check(hygge, table.Measured(1.0, 900.0)).target == 512.0
    assert table.peak_check(hygge, None).passed


def test_the_table_prints_each_target_next_to_its_figure(bench_module: BenchModule) -> None:
    table = bench_module("table")
    hygge, raw = table.Measured(2.0, 600.0), table.Measured(1.0, 500.0)
    speed = table.Check("throughput vs raw", table.throughput_ratio(hygge, raw), "≥", 0.85)
    row = table.Row("p2p", 2_000_000, hygge, raw, (speed, table.peak_check(hygge, raw)), "n")
    lines = table.markdown([row]).splitlines()
    assert len(lines) == 4  # header, rule, one line per check
    assert "| p2p | 2,000,000 | 2.000 | 1.000 | 600 | 500 |" in lines[2]
    assert "throughput vs raw 0.50x | ≥ 0.85x | **miss** | n |" in lines[2]
    assert lines[3].endswith("| peak 600.0 MiB | ≤ 500.0 MiB | **miss** |  |")
    assert table.misses([row]) == 2


def test_a_row_without_checks_prints_one_line_and_no_verdict(bench_module: BenchModule) -> None:
    table = bench_module("table")
    row = table.Row("start-up: hygge --version", 0, table.Measured(0.5, 90.0))
    (line,) = table.markdown([row]).splitlines()[2:]
    assert line == "| start-up: hygge --version | — | 0.500 | — | 90 | — |  |  |  |  |"


def test_json_rows_carry_each_checks_verdict(bench_module: BenchModule) -> None:
    table = bench_module("table")
    check = table.Check("ms", 4.0, "≤", 5.0, " ms")
    row = table.Row("many", 200, table.Measured(1.0, 100.0), None, (check,))
    (data,) = json.loads(json.dumps(table.as_json([row])))
    assert data["checks"][0]["passed"] is True
    assert data["baseline"] is None
    assert data["hygge"] == {"seconds": 1.0, "peak_mib": 100.0}
