"""parquet → Delta Lake (issue 12): a full_drop `hygge go` into a `type: delta` store (its staged
parquet files committed as the table's data files, so no second encode) against a
raw `write_deltalake` of the same parquet files streamed through a pyarrow dataset, in the
same run, as whole processes. BENCHMARKS.md sets no target for it; the
figures show what hygge's staging, app transaction and ownership cost over delta-rs itself.
"""

from __future__ import annotations

import harness as h
from scenarios_move import Moves
from table import Check, Row, peak_check, throughput_ratio

DELTA_TARGET = 0.8  # the store targets' level (scenarios 3, 5): hygge adds one staged copy


def delta_flow(home: str) -> str:
    store = "store: {type: delta, path: lake}"
    return f"home: {home}\n{store}\nrun_type: full_drop\nentities: [lineitem]\n"


def delta(moves: Moves, rows: int) -> list[Row]:
    """hygge's parquet → delta `hygge go` next to the raw write, paired."""
    src = moves.parquet_data(rows)
    ws = h.workspace(
        moves.tmp / f"delta-{rows}", {"d": delta_flow(f"{{type: parquet, path: {src.parent}}}")}
    )
    run = h.process(ws, *h.hygge("go"))
    baseline = h.process(ws, *h.raw("delta", src, ws / "raw"))
    hygge, raw = h.paired(run, baseline, moves.repeat)
    ratio = Check("throughput vs raw", throughput_ratio(hygge, raw), "≥", DELTA_TARGET)
    note = "raw: write_deltalake(mode=overwrite) of a pyarrow dataset stream, same files"
    return [Row("parquet→delta", rows, hygge, raw, (ratio, peak_check(hygge, raw)), note)]
