"""`make demo`: a landing zone of csv and parquet files → `hygge go` → a parquet lake and DuckDB.

It runs hygge the way a user does (the `hygge` command in a workspace folder), then checks the
lake and the DuckDB tables against the landing zone by row count and an order-insensitive
content hash, lands a second batch of files, shows that the next run moves only what is new,
and ends with a query on the DuckDB database.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl

from hygge.cli.sample_data import write_sample_landing

HERE = Path(__file__).resolve().parent
WORKSPACE = HERE.parent / ".demo"
ROWS = int(os.environ.get("DEMO_ROWS", "1000000"))
HYGGE = str(Path(sys.executable).with_name("hygge"))

HYGGE_YML = """\
name: demo
options:
  concurrency: 3
"""

CSV_FLOW = """\
# Customers and orders land as csv files, one folder per entity.
home:
  type: local
  path: landing
  format: csv
store:
  type: parquet
  path: lake
  compression: zstd
run_type: incremental        # new files only, tracked by name, size and modification time
entities:
  - name: customers
    run_type: full_drop      # a small dimension: replaced as a whole, atomically
  - orders
defaults:
  batch_size: 250000         # rows per parquet file in the lake
"""

PARQUET_FLOW = """\
home:
  type: parquet
  path: landing
store:
  type: parquet
  path: lake
run_type: incremental
entities:
  - order_lines
polish:
  columns:
    case: pascal
  hash_ids:
    - name: LineKey
      from_columns: [order_id, line_number]
"""


# The same landing zone into one DuckDB file: its entities write it from parallel threads.
WAREHOUSE_FLOW = """\
home:
  type: local
  path: landing
  format: csv
store:
  type: duckdb
  path: warehouse.duckdb     # one database file, a table per entity
  table: "{entity}"
run_type: incremental
entities:
  - name: customers
    run_type: full_drop      # swapped for the new rows in one transaction
  - orders
  - name: order_lines
    home:
      type: parquet
      path: landing
"""

QUERY = """\
SELECT c.country, count(DISTINCT o.order_id) AS orders, round(sum(l.amount), 2) AS revenue
FROM orders o
JOIN customers c USING (customer_id)
JOIN order_lines l USING (order_id)
GROUP BY c.country
ORDER BY revenue DESC
LIMIT 5"""


def main() -> int:
    shutil.rmtree(WORKSPACE, ignore_errors=True)
    (WORKSPACE / "flows" / "shop_csv").mkdir(parents=True)
    (WORKSPACE / "flows" / "shop_parquet").mkdir(parents=True)
    (WORKSPACE / "flows" / "warehouse").mkdir(parents=True)
    (WORKSPACE / "hygge.yml").write_text(HYGGE_YML)
    (WORKSPACE / "flows" / "shop_csv" / "flow.yml").write_text(CSV_FLOW)
    (WORKSPACE / "flows" / "shop_parquet" / "flow.yml").write_text(PARQUET_FLOW)
    (WORKSPACE / "flows" / "warehouse" / "flow.yml").write_text(WAREHOUSE_FLOW)

    banner(f"1. Landing {ROWS:,} orders (csv), their customers (csv) and lines (parquet)")
    started = time.perf_counter()
    counts = write_sample_landing(WORKSPACE / "landing", rows=ROWS)
    print(f"   wrote {describe(counts)} in {time.perf_counter() - started:.1f} s")

    banner("2. hygge go")
    hygge("go")
    verify()

    banner(f"3. A second batch lands ({ROWS // 10:,} more orders); hygge go again")
    counts = write_sample_landing(WORKSPACE / "landing", rows=ROWS // 10, start=ROWS)
    print(f"   wrote {describe(counts)}")
    hygge("go")
    verify()

    banner("4. hygge journal")
    hygge("journal", "--limit", "9")

    banner("5. A query on the DuckDB tables (warehouse.duckdb)")
    print("\n".join(f"   {line}" for line in QUERY.splitlines()))
    with duckdb_database(read_only=True) as database:
        print(database.sql(QUERY))
    print(f"The lake is in {WORKSPACE / 'lake'}, the DuckDB database in {WAREHOUSE}")
    print("try: cd .demo && ../.venv/bin/hygge list")
    print(PATH_HINT)
    return 0


PATH_HINT = """
hygge is installed in .venv/ of this clone, not on your PATH. To use it here:
  source .venv/bin/activate        # then: hygge --help, hygge init my-project
Or install it for your own projects (README, "Install"):
  python3 -m venv ~/.venvs/hygge && ~/.venvs/hygge/bin/pip install .
  export PATH="$HOME/.venvs/hygge/bin:$PATH"
"""


def hygge(*args: str) -> None:
    print(f"$ hygge {' '.join(args)}", flush=True)
    subprocess.run([HYGGE, *args], cwd=WORKSPACE, check=True)


WAREHOUSE = WORKSPACE / "warehouse.duckdb"


@contextlib.contextmanager
def duckdb_database(read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """The demo's DuckDB file, closed afterwards (the next `hygge go` writes it)."""
    database = duckdb.connect(str(WAREHOUSE), read_only=read_only)
    try:
        yield database
    finally:
        database.close()


def verify() -> None:
    """Landing zone vs lake and vs DuckDB, entity by entity: row count and content hash agree."""
    print("\n   entity        landing rows   lake rows   duckdb rows   content hash (all equal)")
    landing, lake = WORKSPACE / "landing", WORKSPACE / "lake"
    checks = [
        ("customers", pl.scan_csv(landing / "customers" / "*.csv"), None),
        ("orders", pl.scan_csv(landing / "orders" / "*.csv"), None),
        ("order_lines", pl.scan_parquet(landing / "order_lines" / "*.parquet"), "polished"),
    ]
    failed = False
    for entity, source, polished in checks:
        target = pl.scan_parquet(lake / entity / "*.parquet")
        if polished:  # compare the columns that came from the home, under their new names
            target = target.select(
                pl.col("OrderId").alias("order_id"),
                pl.col("LineNumber").alias("line_number"),
                pl.col("Product").alias("product"),
                pl.col("Quantity").alias("quantity"),
                pl.col("UnitPrice").alias("unit_price"),
                pl.col("Amount").alias("amount"),
            )
        src, dst, table = source.collect(), target.collect(), warehouse_table(entity)
        digest = content_hash(src)
        same = all(
            content_hash(copy.select(src.columns).cast(src.schema)) == digest
            and copy.height == src.height
            for copy in (dst, table)
        )
        failed |= not same
        mark = "✓" if same else "✗ MISMATCH"
        print(
            f"   {entity:<13} {src.height:>12,} {dst.height:>11,} {table.height:>13,}   "
            f"{digest[:16]}… {mark}"
        )
    if failed:
        raise SystemExit("the lake or the DuckDB tables do not match the landing zone")


def warehouse_table(entity: str) -> pl.DataFrame:
    """Every row of the entity's DuckDB table."""
    with duckdb_database(read_only=True) as database:
        frame = pl.from_arrow(database.sql(f'SELECT * FROM "{entity}"').to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame


def content_hash(frame: pl.DataFrame) -> str:
    """Order-insensitive: sha256 over the sorted per-row hashes."""
    row_hashes = frame.hash_rows(seed=42).sort().rechunk()
    return hashlib.sha256(row_hashes.to_arrow().buffers()[1] or b"").hexdigest()


def describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{rows:,} {name}" for name, rows in counts.items())


def banner(text: str) -> None:
    print(f"\n── {text} " + "─" * max(0, 76 - len(text)), flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
