"""Write one polars batch as one file (parquet, csv, ndjson), atomically."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from hygge.errors import DataError
from hygge.io.atomic import write_atomically
from hygge.io.schema import check_writable

DEFAULT_COMPRESSION = "snappy"


def write_frame(
    frame: pl.DataFrame,
    target: Path,
    fmt: str,
    options: Mapping[str, Any],
    *,
    compression: str | None = None,
    sync_dir: bool = True,
) -> None:
    """Write `frame` to `target` (temp name, fsync, rename): the file is whole or absent.

    Columns the format cannot carry raise a DataError before anything is written.
    """
    check_writable(frame, fmt)

    def write(path: Path) -> None:
        try:
            if fmt == "parquet":
                kwargs = {"compression": compression or DEFAULT_COMPRESSION, **options}
                frame.write_parquet(path, **kwargs)
            elif fmt == "csv":
                frame.write_csv(path, **options)
            else:
                frame.write_ndjson(path, **options)
        except (pl.exceptions.PolarsError, pl.exceptions.PanicException) as exc:
            detail = " ".join(str(exc).split("\n\n")[0].split())
            raise DataError(f"cannot write {fmt} file {target}: {detail}") from exc

    write_atomically(target, write, sync_dir=sync_dir)
