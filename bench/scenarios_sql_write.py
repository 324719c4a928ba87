"""parquet folder → PostgreSQL table (BENCHMARKS.md scenario 3): `hygge go` (a full_drop: the
staging table loaded by ADBC ingest, swapped into place in one transaction) next to a raw ADBC
`adbc_ingest` of the same parquet files into a table of its own, in the same run, on the
server `scenarios_sql` started."""

from __future__ import annotations

from pathlib import Path

import harness as h
from lineitem import write_lineitem
from table import Check, Row, peak_check, throughput_ratio

RAW_TABLE = "lineitem_raw"


def _workspace(root: Path, url: str, src: Path, password_variable: str) -> Path:
    ws = h.workspace(root, {})
    (ws / "hygge.yml").write_text(
        f"name: bench\nconnections:\n  pg: {{type: postgres, url: '{url}', "
        f'password: "${{{password_variable}}}"}}\n'
    )
    flow = (
        f"home: {{type: parquet, path: {src.parent}}}\n"  # + the entity: src
        "store: {type: postgres, connection: pg, table: public.lineitem_in}\n"
        "run_type: full_drop\nentities: [lineitem]\n"
    )
    (ws / "flows" / "load").mkdir(parents=True, exist_ok=True)
    (ws / "flows" / "load" / "flow.yml").write_text(flow)
    return ws


def postgres_writes(
    work: Path, url: str, env: dict[str, str], rows: int, repeat: int, *, password_variable: str
) -> list[Row]:
    src = work / "parquet" / "lineitem"
    if not src.exists():
        write_lineitem(src, rows)
    ws = _workspace(work / "hygge-write", url, src, password_variable)
    go = h.process(ws, *h.hygge("go"), env=env)
    script = h.python(str(Path(__file__).with_name("sql_raw.py")), "ingest", RAW_TABLE, str(src))
    raw = h.process(work, *script, env=env)
    hygge, baseline = h.paired(go, raw, repeat)
    return [
        Row("parquet → postgres vs raw adbc_ingest", rows, hygge, baseline,
            (Check("throughput", throughput_ratio(hygge, baseline), "≥", 0.8),
             peak_check(hygge, None)))
    ]  # fmt: skip
