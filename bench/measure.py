"""One measured operation in its own process; writes {"seconds", "peak_mib"} as JSON to OUT.

Usage: measure.py OUT hygge WORKSPACE [hygge go args…] | OUT polars SRC DST | OUT pyarrow SRC DST
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def run_hygge(workspace: Path, args: list[str]) -> None:
    import os

    from hygge.cli.app import main  # imported before the clock starts: see main()

    sys.argv = ["hygge", "go", *args]
    os.chdir(workspace)
    try:
        main()
    except SystemExit as exit_:
        if exit_.code not in (0, None):
            raise


def run_polars(src: Path, dst: Path) -> None:
    import polars as pl

    dst.mkdir(parents=True, exist_ok=True)
    pl.scan_parquet(src / "*.parquet").sink_parquet(dst / "out.parquet")


def run_polars_each(src: Path, dst: Path) -> None:
    """One copy per sub-folder: the raw cost of many small entities."""
    import polars as pl

    for folder in sorted(p for p in src.iterdir() if p.is_dir()):
        (dst / folder.name).mkdir(parents=True, exist_ok=True)
        pl.scan_parquet(folder / "*.parquet").sink_parquet(dst / folder.name / "out.parquet")


def run_pyarrow(src: Path, dst: Path) -> None:
    import pyarrow.dataset as ds

    source = ds.dataset(src, format="parquet")
    ds.write_dataset(source, dst, format="parquet", existing_data_behavior="delete_matching")


def peak_rss_mib() -> float:
    """This process's peak RSS. VmHWM belongs to the address space, which exec replaces;
    ru_maxrss would carry over the parent's peak from before the fork."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    out, kind, first, *rest = sys.argv[1:]
    # Interpreter start-up and library imports (~0.3 s) are the same for every run, whatever
    # the data; the clock measures the work: loading the workspace, planning, moving.
    import polars  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    import hygge.cli.app  # noqa: F401

    started = time.perf_counter()
    if kind == "hygge":
        run_hygge(Path(first), rest)
    elif kind == "polars":
        run_polars(Path(first), Path(rest[0]))
    elif kind == "polars-each":
        run_polars_each(Path(first), Path(rest[0]))
    elif kind == "pyarrow":
        run_pyarrow(Path(first), Path(rest[0]))
    else:
        raise SystemExit(f"unknown kind {kind}")
    seconds = time.perf_counter() - started
    peak_mib = peak_rss_mib()
    Path(out).write_text(json.dumps({"seconds": seconds, "peak_mib": peak_mib}))


if __name__ == "__main__":
    main()
