"""What `make bench` runs, chosen by environment variables; measuring reports failures."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

BenchModule = Callable[[str], ModuleType]
BENCH = Path(__file__).resolve().parents[3] / "bench"


def test_the_full_run_is_2m_and_5m_with_1m_for_memory(bench_module: BenchModule) -> None:
    config = bench_module("run").settings({})
    assert config.sizes == [2_000_000, 5_000_000]
    assert config.flat_sizes == [1_000_000, 5_000_000]
    assert (config.repeat, config.startup_runs, config.entities) == (3, 10, 200)


def test_a_quick_look_is_small(bench_module: BenchModule) -> None:
    config = bench_module("run").settings({"BENCH_QUICK": "1"})
    assert config.sizes == [300_000]
    assert config.flat_sizes == [60_000, 300_000]
    assert config.entities < 200


def test_sizes_come_from_the_environment(bench_module: BenchModule) -> None:
    env = {"BENCH_ROWS": "5_000_000, 1000", "BENCH_REPEAT": "1", "BENCH_FLAT_20M": "1"}
    config = bench_module("run").settings(env)
    assert config.sizes == [1000, 5_000_000]
    assert config.flat_sizes == [1_000_000, 5_000_000, 20_000_000]
    assert config.repeat == 1


def test_a_failing_measured_command_stops_the_bench_with_its_output(tmp_path: Path) -> None:
    fail = "import sys; print('what went wrong'); sys.exit(3)"
    out = tmp_path / "out.json"
    command = [sys.executable, str(BENCH / "measure.py"), str(out), "process", str(tmp_path)]
    result = subprocess.run(
        [*command, sys.executable, "-c", fail], check=False, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "exited with 3" in result.stderr and "what went wrong" in result.stderr
    assert not out.exists()


def test_a_measured_process_reports_its_time_and_peak(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    command = [sys.executable, str(BENCH / "measure.py"), str(out), "process", str(tmp_path)]
    grow = "b = bytearray(64 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])"
    subprocess.run([*command, sys.executable, "-c", grow], check=True)
    figures = json.loads(out.read_text())
    assert figures["seconds"] > 0
    assert figures["peak_mib"] >= 64


def test_the_raw_work_clock_sinks_in_process_and_reports_its_time_and_peak(tmp_path: Path) -> None:
    import polars as pl

    src, out = tmp_path / "src", tmp_path / "measured.json"
    src.mkdir()
    pl.DataFrame({"a": [1, 2, 3]}).write_parquet(src / "part.parquet")
    command = [sys.executable, str(BENCH / "measure.py"), str(out), "raw", "parquet"]
    subprocess.run([*command, str(src), str(tmp_path / "dst")], check=True)

    measured = json.loads(out.read_text())
    assert measured["seconds"] > 0 and measured["peak_mib"] > 0
    assert pl.read_parquet(tmp_path / "dst" / "out.parquet")["a"].to_list() == [1, 2, 3]


def test_an_unknown_measurement_kind_is_refused_naming_the_kinds(tmp_path: Path) -> None:
    command = [sys.executable, str(BENCH / "measure.py"), str(tmp_path / "o.json"), "nope", "x"]
    result = subprocess.run(command, check=False, capture_output=True, text=True)
    assert result.returncode != 0
    assert "process, hygge or raw" in result.stderr


def test_a_raw_work_clock_of_another_kind_or_without_its_folders_is_refused(tmp_path: Path) -> None:
    measure = [sys.executable, str(BENCH / "measure.py"), str(tmp_path / "o.json"), "raw"]
    for args in (["delta", "src", "dst"], ["parquet", "src"]):
        result = subprocess.run([*measure, *args], check=False, capture_output=True, text=True)
        assert result.returncode != 0
        assert "usage: measure.py OUT raw parquet|csv SRC DST" in result.stderr


def test_bench_only_runs_the_named_scenarios(bench_module: BenchModule) -> None:
    run = bench_module("run")
    config = run.settings({"BENCH_ONLY": "csv, p2p"})
    assert config.only == ("csv", "p2p")
    assert config.runs("csv") and config.runs("p2p") and not config.runs("startup")
    assert run.settings({}).only == run.SCENARIOS  # none named: all


def test_bench_only_refuses_a_scenario_it_does_not_know(bench_module: BenchModule) -> None:
    run = bench_module("run")
    with pytest.raises(SystemExit) as refused:
        run.settings({"BENCH_ONLY": "csv,csv-files"})
    assert "csv-files" in str(refused.value) and "csv_files" in str(refused.value)


def test_bench_only_runs_nothing_else(bench_module: BenchModule, tmp_path: Path) -> None:
    run = bench_module("run")
    called: list[str] = []
    moves = run.Moves

    class Fake(moves):  # type: ignore[misc,valid-type]
        def csv(self, sizes: list[int]) -> list[object]:
            called.append("csv")
            return []

    run.Moves = Fake
    try:
        assert run.run(run.settings({"BENCH_ONLY": "csv", "BENCH_ROWS": "10"}), tmp_path) == []
    finally:
        run.Moves = moves
    assert called == ["csv"]
