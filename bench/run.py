"""`make bench`: hygge against raw baselines on the same data in the same run (BENCHMARKS.md).

Each measurement runs in a fresh process so peak RSS is its own. Ratios are what to compare
across runs: these machines are shared and noisy, absolute seconds move.
BENCH_ROWS (default 1,000,000; 5,000,000 is the full size) sets the table size.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from lineitem import lineitem, write_lineitem  # noqa: E402

ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
# Each measurement runs this many times; the fastest counts (the others met more machine
# noise), and the highest peak memory counts (memory is a limit, not a speed).
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
SMALL_BATCH = 50_000


def measure(*args: str) -> dict[str, float]:
    """Best of REPEAT runs of one measurement (a hygge run is repeated on its own workspace:
    the first run of an incremental scenario is measured once, see scenario_incremental)."""
    runs = [measure_once(*args) for _ in range(REPEAT)]
    return {
        "seconds": min(r["seconds"] for r in runs),
        "peak_mib": max(r["peak_mib"] for r in runs),
    }


def measure_once(*args: str) -> dict[str, float]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = Path(out.name)
    subprocess.run(
        [sys.executable, str(HERE / "measure.py"), str(path), *args],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    result: dict[str, float] = json.loads(path.read_text())
    path.unlink()
    return result


def workspace(root: Path, flows: dict[str, str]) -> Path:
    (root / "flows").mkdir(parents=True, exist_ok=True)
    (root / "hygge.yml").write_text("name: bench\n")
    for name, text in flows.items():
        (root / "flows" / name).mkdir(parents=True, exist_ok=True)
        (root / "flows" / name / "flow.yml").write_text(text)
    return root


def copy_flow(run_type: str, batch: int) -> str:
    rows_per_file = max(batch, 100_000)
    return (
        f"home: {{type: parquet, path: src, batch_size: {batch}}}\n"
        f"store: {{type: parquet, path: lake, batch_size: {rows_per_file}}}\n"
        f"run_type: {run_type}\nentities: [lineitem]\n"
    )


def scenario_copy(tmp: Path, rows: int) -> list[dict[str, object]]:
    ws = workspace(tmp / f"s1-{rows}", {"copy": copy_flow("full_drop", 100_000)})
    write_lineitem(ws / "src" / "lineitem", rows)
    hygge = measure("hygge", str(ws))
    small = workspace(tmp / f"s1m-{rows}", {"copy": copy_flow("full_drop", SMALL_BATCH)})
    shutil.copytree(ws / "src", small / "src")
    hygge_small = measure("hygge", str(small))
    polars = measure("polars", str(ws / "src" / "lineitem"), str(tmp / f"pl-{rows}"))
    pyarrow = measure("pyarrow", str(ws / "src" / "lineitem"), str(tmp / f"pa-{rows}"))
    best = min(polars["seconds"], pyarrow["seconds"])
    return [
        row("1 parquet→parquet full_drop", rows, hygge, best, "polars/pyarrow copy"),
        row(f"1m same, batch_size {SMALL_BATCH:,}", rows, hygge_small, best, "memory bound"),
        row("   baseline polars sink", rows, polars, polars["seconds"], ""),
        row("   baseline pyarrow dataset", rows, pyarrow, pyarrow["seconds"], ""),
    ]


def scenario_incremental(tmp: Path, rows: int) -> list[dict[str, object]]:
    ws = workspace(tmp / "s4", {"copy": copy_flow("incremental", 100_000)})
    write_lineitem(ws / "src" / "lineitem", rows)
    full = measure("hygge", str(ws), "--full-drop")
    delta = rows // 100
    runs = []
    for attempt in range(REPEAT):
        measure_once("hygge", str(ws), "--full-drop")  # back to the full load, untimed
        landed = ws / "src" / "lineitem" / f"delta-{attempt}.parquet"
        lineitem(rows, delta).write_parquet(landed)
        runs.append(measure_once("hygge", str(ws)))
        landed.unlink()
    incremental = min(runs, key=lambda r: r["seconds"])
    share = incremental["seconds"] / full["seconds"]
    result = row("4 incremental 1% new rows", delta, incremental, full["seconds"], "")
    result["ratio"] = None
    result["note"] = f"{share:.1%} of the full load's {full['seconds']:.2f} s (target ≤ 5%)"
    return [result]


def scenario_many(tmp: Path, entities: int = 200) -> list[dict[str, object]]:
    names = [f"e{i:03d}" for i in range(entities)]
    flow = (
        "home: {type: parquet, path: src}\nstore: {type: parquet, path: lake}\n"
        f"entities: [{', '.join(names)}]\n"
    )
    ws = workspace(tmp / "s6", {"many": flow})
    frame = lineitem(0, 1000)
    for name in names:
        (ws / "src" / name).mkdir(parents=True)
        frame.write_parquet(ws / "src" / name / "part.parquet")
    hygge = measure("hygge", str(ws))
    raw = measure("polars-each", str(ws / "src"), str(tmp / "s6-raw"))
    overhead_ms = (hygge["seconds"] - raw["seconds"]) / entities * 1000
    result = row("6 200 entities x 1k rows", entities * 1000, hygge, raw["seconds"], "")
    result["note"] = f"{overhead_ms:.1f} ms hygge overhead per entity (target ≤ 15)"
    return [result]


def row(
    name: str, rows: int, hygge: dict[str, float], baseline: float, note: str
) -> dict[str, object]:
    ratio = baseline / hygge["seconds"] if baseline else None
    return {
        "scenario": name,
        "rows": rows,
        "hygge_s": round(hygge["seconds"], 3),
        "baseline_s": round(baseline, 3) if baseline else None,
        "ratio": round(ratio, 3) if ratio else None,
        "rows_per_s": round(rows / hygge["seconds"]),
        "peak_mib": round(hygge["peak_mib"], 1),
        "note": note,
    }


def report(rows: list[dict[str, object]]) -> str:
    head = "| scenario | rows | hygge s | baseline s | ratio | rows/s | peak MiB | note |"
    lines = [head, "|" + "---|" * 8]
    for r in rows:
        cells = [r["scenario"], f"{r['rows']:,}", r["hygge_s"], r["baseline_s"] or "—"]
        cells += [r["ratio"] or "—", f"{r['rows_per_s']:,}", r["peak_mib"], r["note"]]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def main() -> None:
    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="hygge-bench-") as tmp_name:
        tmp = Path(tmp_name)
        results += scenario_copy(tmp, ROWS)
        if ROWS > 1_000_000:
            results += scenario_copy(tmp, 1_000_000)  # memory must stay flat as rows grow
        results += scenario_incremental(tmp, ROWS)
        results += scenario_many(tmp)
    text = report(results)
    print(text)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    meta = {"when": stamp, "rows": ROWS, "machine": platform.platform(), "cpus": os.cpu_count()}
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / f"{stamp}.json").write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    (out / f"{stamp}.md").write_text(f"# bench {stamp} ({ROWS:,} rows)\n\n{text}\n")
    print(f"\nwritten to bench/results/{stamp}.json and .md")


if __name__ == "__main__":
    main()
