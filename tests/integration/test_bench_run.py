"""`bench/run.py` runs end to end at a tiny size and writes its table (figures not asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[2] / "bench" / "run.py"
TINY = {
    "BENCH_ROWS": "2000",
    "BENCH_FLAT_ROWS": "1000,2000",
    "BENCH_REPEAT": "1",
    "BENCH_STARTUP_RUNS": "1",
    "BENCH_ENTITIES": "3",
}


@pytest.mark.bench
def test_the_bench_writes_every_scenario_with_its_targets(tmp_path: Path) -> None:
    env = {**os.environ, **TINY, "BENCH_RESULTS": str(tmp_path)}
    subprocess.run([sys.executable, str(RUN)], env=env, check=True, capture_output=True)
    (written,) = tmp_path.glob("*.json")
    results = json.loads(written.read_text())["results"]
    scenarios = [row["scenario"] for row in results]
    for expected in (
        "p2p parquet→parquet",
        "csv→parquet",
        "csv→parquet, 100 files",
        "memory: p2p",
        "incremental 1% new rows",
        "start-up: hygge --help",
        "start-up: hygge go, 1 row",
        "3 entities x 1 row",
        "3 entities x 1,000 rows",
    ):
        assert expected in scenarios
    p2p = results[scenarios.index("p2p parquet→parquet")]
    assert [check["figure"] for check in p2p["checks"]] == ["throughput vs raw", "peak"]
    assert p2p["baseline"]["seconds"] > 0
    assert "| result |" in written.with_suffix(".md").read_text()
