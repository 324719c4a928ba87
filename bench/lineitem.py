"""A deterministic TPC-H-lineitem-like table (BENCHMARKS.md): row i is the same for a seed."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl

ROWS_PER_FILE = 1_000_000
_EPOCH = datetime(2024, 1, 1)
_COMMENTS = [
    "carefully final deposits",
    "quickly ironic packages haggle",
    "furiously regular accounts wake blithely",
    "slyly express requests cajole",
    "pending theodolites",
    "even foxes nag about the bold pinto beans",
]


def lineitem(first: int, count: int, seed: int = 1) -> pl.DataFrame:
    """Rows `first … first+count-1`: 16 lineitem columns plus a monotone `updated_at`."""
    i = pl.int_range(first, first + count, eager=True).alias("i")
    h = (pl.col("i") * 2_654_435_761 + seed) % 4_294_967_291
    frame = pl.DataFrame(i).with_columns(h=h)
    return frame.select(
        l_orderkey=(pl.col("i") // 4 + 1).cast(pl.Int64),
        l_partkey=(pl.col("h") % 200_000 + 1).cast(pl.Int64),
        l_suppkey=(pl.col("h") % 10_000 + 1).cast(pl.Int64),
        l_linenumber=(pl.col("i") % 4 + 1).cast(pl.Int32),
        l_quantity=((pl.col("h") % 50) + 1).cast(pl.Float64),
        l_extendedprice=((pl.col("h") % 100_000) / 100 + 900).cast(pl.Float64),
        l_discount=((pl.col("h") % 11) / 100).cast(pl.Float64),
        l_tax=((pl.col("h") % 9) / 100).cast(pl.Float64),
        l_returnflag=pl.lit(pl.Series(["A", "N", "R"])).gather(pl.col("h") % 3),
        l_linestatus=pl.lit(pl.Series(["F", "O"])).gather(pl.col("h") % 2),
        l_shipdate=pl.lit(date(1992, 1, 2)) + pl.duration(days=pl.col("h") % 2500),
        l_commitdate=pl.lit(date(1992, 1, 31)) + pl.duration(days=pl.col("h") % 2450),
        l_receiptdate=pl.lit(date(1992, 1, 3)) + pl.duration(days=pl.col("h") % 2530),
        l_shipinstruct=pl.lit(pl.Series(["DELIVER IN PERSON", "COLLECT COD", "NONE"])).gather(
            pl.col("h") % 3
        ),
        l_shipmode=pl.lit(pl.Series(["AIR", "RAIL", "SHIP", "TRUCK", "MAIL"])).gather(
            pl.col("h") % 5
        ),
        l_comment=pl.lit(pl.Series(_COMMENTS)).gather(pl.col("h") % len(_COMMENTS)),
        updated_at=pl.lit(_EPOCH) + pl.duration(milliseconds=pl.col("i")),
    )


def write_lineitem(folder: Path, rows: int, first: int = 0, seed: int = 1) -> list[Path]:
    """Parquet files of up to 1,000,000 rows each under `folder`; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for start in range(first, first + rows, ROWS_PER_FILE):
        count = min(ROWS_PER_FILE, first + rows - start)
        path = folder / f"lineitem-{start:012d}.parquet"
        lineitem(start, count, seed).write_parquet(path, compression="zstd")
        paths.append(path)
    return paths


def write_lineitem_csv(
    folder: Path, rows: int, seed: int = 1, per_file: int = ROWS_PER_FILE
) -> list[Path]:
    """The same rows as csv files (with a header) of up to `per_file` rows each."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for start in range(0, rows, per_file):
        path = folder / f"lineitem-{start:012d}.csv"
        lineitem(start, min(per_file, rows - start), seed).write_csv(path)
        paths.append(path)
    return paths
