"""Raw baselines, each a whole process like `hygge go`: what a user would write by hand.

Usage: raw.py parquet SRC DST | raw.py csv SRC DST | raw.py pyarrow SRC DST | raw.py each SRC DST
       raw.py delta SRC DST  (write_deltalake of SRC's parquet files as a Delta table at DST)
       raw.py blob SRC DST   (az://landing/SRC/*.parquet → az://lake/DST/out.parquet, the account
                              from the connection string in HYGGE_BENCH_AZ)
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


def blob_sink(src: str, dst: str) -> None:
    import os

    import polars as pl

    parts = dict(
        part.split("=", 1) for part in os.environ["HYGGE_BENCH_AZ"].split(";") if "=" in part
    )
    options = {
        "azure_storage_account_name": parts["AccountName"],
        "azure_storage_account_key": parts["AccountKey"],
        "azure_storage_endpoint": parts["BlobEndpoint"],
        "azure_allow_http": "true",
    }
    scan = pl.scan_parquet(f"az://landing/{src}/*.parquet", storage_options=options)
    scan.sink_parquet(f"az://lake/{dst}/out.parquet", compression="zstd", storage_options=options)


def dataset_copy(src: Path, dst: Path) -> None:
    import pyarrow.dataset as ds

    source = ds.dataset(src, format="parquet")
    options = ds.ParquetFileFormat().make_write_options(compression="zstd")
    ds.write_dataset(
        source, dst, format="parquet", file_options=options,
        existing_data_behavior="delete_matching",
    )  # fmt: skip


def delta_write(src: Path, dst: Path) -> None:
    import pyarrow.dataset as ds
    from deltalake import write_deltalake

    source = ds.dataset(src, format="parquet")
    write_deltalake(str(dst), source.scanner().to_reader(), mode="overwrite")


def main() -> None:
    kind, src, dst = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    if kind in ("parquet", "csv"):
        sink(kind, src, dst)
    elif kind == "blob":
        blob_sink(str(src), str(dst))
    elif kind == "pyarrow":
        dataset_copy(src, dst)
    elif kind == "delta":
        delta_write(src, dst)
    elif kind == "each":
        for folder in sorted(p for p in src.iterdir() if p.is_dir()):
            sink("parquet", folder, dst / folder.name)
    else:
        raise SystemExit(f"unknown baseline {kind}: parquet, csv, blob, pyarrow, delta or each")


if __name__ == "__main__":
    main()
