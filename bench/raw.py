"""Raw baselines, each a whole process like `hygge go`: what a user would write by hand.

Usage: raw.py parquet SRC DST | raw.py csv SRC DST | raw.py pyarrow SRC DST | raw.py each SRC DST
SRC is a folder of files (for `each`: a folder of such folders, one per entity); DST a folder.
Parquet is written with zstd, as the bench's hygge stores are.
"""

from __future__ import annotations

import sys
from pathlib import Path


def sink(kind: str, src: Path, dst: Path) -> None:
    import polars as pl

    dst.mkdir(parents=True, exist_ok=True)
    scan = pl.scan_csv(src / "*.csv") if kind == "csv" else pl.scan_parquet(src / "*.parquet")
    scan.sink_parquet(dst / "out.parquet", compression="zstd")


def dataset_copy(src: Path, dst: Path) -> None:
    import pyarrow.dataset as ds

    source = ds.dataset(src, format="parquet")
    options = ds.ParquetFileFormat().make_write_options(compression="zstd")
    ds.write_dataset(
        source, dst, format="parquet", file_options=options,
        existing_data_behavior="delete_matching",
    )  # fmt: skip


def main() -> None:
    kind, src, dst = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    if kind in ("parquet", "csv"):
        sink(kind, src, dst)
    elif kind == "pyarrow":
        dataset_copy(src, dst)
    elif kind == "each":
        for folder in sorted(p for p in src.iterdir() if p.is_dir()):
            sink("parquet", folder, dst / folder.name)
    else:
        raise SystemExit(f"unknown baseline {kind}: parquet, csv, pyarrow or each")


if __name__ == "__main__":
    main()
