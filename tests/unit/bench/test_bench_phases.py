"""bench/phases.py: a `hygge go` traced in-process, memory and CPU per phase."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench"


def _phases(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(BENCH / "phases.py"), *args]
    return subprocess.run(command, cwd=cwd, check=False, capture_output=True, text=True)


def test_a_csv_move_reports_each_phase_with_its_peak(tmp_path: Path) -> None:
    landing = tmp_path / "landing" / "orders"
    landing.mkdir(parents=True)
    (landing / "a.csv").write_text("id,name\n1,a\n2,b\n3,c\n")
    (tmp_path / "hygge.yml").write_text("name: traced\n")
    flow = tmp_path / "flows" / "copy"
    flow.mkdir(parents=True)
    (flow / "flow.yml").write_text(
        "home: {type: local, format: csv, path: landing}\n"
        "store: {type: parquet, path: lake}\nrun_type: full_drop\nentities: [orders]\n"
    )
    result = _phases(str(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = result.stdout.splitlines()
    labels = [line.split("  ")[-1].strip() for line in report if line[:1] == " "]
    for phase in ("infer schema <", "describe chunk <", "sink chunk <", "publish <", "end"):
        assert phase in labels, result.stdout
    assert report[-1].startswith("peak RSS (VmHWM) ") and int(report[-1].split()[-2]) > 0
    assert sorted(p.name for p in (tmp_path / "lake" / "orders").glob("*.parquet"))


def test_a_folder_that_is_not_a_project_is_refused_by_name(tmp_path: Path) -> None:
    result = _phases(str(tmp_path / "nowhere"), cwd=tmp_path)
    assert result.returncode != 0
    assert "nowhere holds no hygge.yml" in result.stderr


def test_the_raw_side_takes_only_its_two_kinds(tmp_path: Path) -> None:
    result = _phases("--raw", "delta", "src", "dst", cwd=tmp_path)
    assert result.returncode != 0 and "csv|parquet" in result.stderr


def test_a_failing_run_fails_the_trace_with_hygges_message(tmp_path: Path) -> None:
    (tmp_path / "hygge.yml").write_text("name: traced\n")
    flow = tmp_path / "flows" / "copy"
    flow.mkdir(parents=True)
    (flow / "flow.yml").write_text(
        "home: {type: local, format: csv, path: missing}\n"
        "store: {type: parquet, path: lake}\nrun_type: full_drop\nentities: [orders]\n"
    )
    result = _phases(str(tmp_path), cwd=tmp_path)
    assert result.returncode != 0
    assert "does not exist" in result.stdout + result.stderr
    assert "peak RSS" not in result.stdout  # no report of a run that did not happen
