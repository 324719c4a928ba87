"""Fixed costs: the CLI's start-up against the libraries it stands on, and many small entities
against a raw loop doing the same copies. Whole processes, as a user or a scheduler runs them."""

from __future__ import annotations

from pathlib import Path

import harness as h
from lineitem import lineitem
from table import Check, Measured, Row, marginal_overhead_ms, overhead_ms, peak_check, time_ratio

IMPORT_TYPER_RICH = h.python("-c", "import typer, rich")
TYPER_RICH = "import typer, rich"
IMPORT_POLARS = h.python("-c", "import polars")
SMALL_FLOW = (
    "home: {type: parquet, path: src}\nstore: {type: parquet, path: lake, compression: zstd}\n"
)


def small_workspace(root: Path, entities: int, rows: int) -> Path:
    """A project with one flow of `entities` entities of `rows` rows each (parquet)."""
    names = [f"e{i:03d}" for i in range(entities)]
    flow = f"{SMALL_FLOW}run_type: full_drop\nentities: [{', '.join(names)}]\n"
    ws = h.workspace(root, {"small": flow})
    frame = lineitem(0, rows)
    for name in names:
        (ws / "src" / name).mkdir(parents=True)
        frame.write_parquet(ws / "src" / name / "part.parquet", compression="zstd")
    return ws


def startup(tmp: Path, runs: int) -> list[Row]:
    """Median of `runs` fresh processes for each command and its baseline, interleaved."""
    ws = small_workspace(tmp / "startup", entities=1, rows=1)
    cases = [
        ("start-up: hygge --help", h.hygge("--help"), IMPORT_TYPER_RICH, TYPER_RICH, 1.5),
        ("start-up: hygge --version", h.hygge("--version"), IMPORT_TYPER_RICH, TYPER_RICH, None),
        ("start-up: hygge list", h.hygge("list"), IMPORT_TYPER_RICH, TYPER_RICH, None),
        ("start-up: hygge go, 1 row", h.hygge("go"), IMPORT_POLARS, "import polars", 2.0),
    ]
    rows = []
    for scenario, command, baseline, label, target in cases:
        hygge, raw = h.paired(h.process(ws, *command), h.process(ws, *baseline), runs)
        ratio = time_ratio(hygge, raw)
        checks = (Check(f"time vs {label}", ratio, "≤", target),) if target else ()
        note = "" if target else f"{ratio:.2f}x `{label}` (no target)"
        rows.append(Row(scenario, 0, hygge, raw, checks, note))
    return rows


def many_entities(tmp: Path, entities: int, repeat: int) -> list[Row]:
    """`hygge go` of `entities` small entities against `raw.py each` over the same folders; the
    same pair at one entity takes the fixed start-up out of the per-entity figure."""
    rows = []
    for size, target in ((1, 5.0), (1000, 15.0)):  # issue 8: ≤ 5 ms; BENCHMARKS.md #6: ≤ 15
        many = _go_and_raw(small_workspace(tmp / f"many-{size}", entities, size), repeat)
        one = _go_and_raw(small_workspace(tmp / f"one-{size}", 1, size), repeat)
        per_entity = marginal_overhead_ms(many, one, entities)
        ms = Check("ms per entity over raw", per_entity, "≤", target, " ms")
        total = overhead_ms(*many, entities)
        note = f"{total:.1f} ms per entity with the fixed start-up difference"
        scenario = f"{entities} entities x {size:,} row{'s' if size > 1 else ''}"
        checks = (ms, peak_check(many[0], None))
        rows.append(Row(scenario, entities * size, *many, checks, note))
    return rows


def _go_and_raw(ws: Path, repeat: int) -> tuple[Measured, Measured]:
    run = h.process(ws, *h.hygge("go"))
    return h.paired(run, h.process(ws, *h.raw("each", ws / "src", ws / "raw")), repeat)
