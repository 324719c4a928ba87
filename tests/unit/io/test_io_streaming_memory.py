"""Reading streams: peak memory stays far below the data size (bench: `make bench`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

PROBE = """
import sys
from pathlib import Path
from hygge.io.readers import infer_schema, read_batches

def anon_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon"):
                return int(line.split()[1]) / 1000

path, fmt = Path(sys.argv[1]), sys.argv[2]
schema = infer_schema(path, fmt, {})
base, peak = anon_mb(), 0.0
for batch in read_batches(path, fmt, {}, schema=schema, start_row=0, batch_size=50_000):
    peak = max(peak, anon_mb())
print(peak - base)
"""


def peak_growth_mb(path: Path, fmt: str) -> float:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(path), fmt],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    return float(result.stdout.strip())


def write_rows(path: Path, rows: int, fmt: str) -> float:
    """Write `rows` rows as `fmt`; returns the frame's size in memory (MB)."""
    frame = pl.select(
        id=pl.int_range(0, rows),
        amount=pl.int_range(0, rows) * 0.37,
        note=pl.int_range(0, rows).cast(pl.String) + "_a_fairly_long_text_value",
    )
    if fmt == "csv":
        frame.write_csv(path)
    elif fmt == "ndjson":
        frame.write_ndjson(path)
    else:
        frame.write_parquet(path, row_group_size=100_000)
    return frame.estimated_size("mb")


@pytest.mark.bench
@pytest.mark.parametrize("fmt", ["parquet", "csv", "ndjson"])
def test_reading_a_file_needs_far_less_memory_than_the_file_holds(tmp_path, fmt):
    path = tmp_path / f"big.{fmt}"
    in_memory_mb = write_rows(path, 12_000_000, fmt)
    peak = peak_growth_mb(path, fmt)
    # polars' csv reader buffers up to a fixed amount (~350 MB on 2 cores) whatever the size
    assert peak < in_memory_mb * 0.75, (peak, in_memory_mb)
