"""File formats: their extensions and the `format_options` each reader and writer accepts."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from difflib import get_close_matches
from typing import Any

import polars as pl

from hygge.errors import ConfigError

READ_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "parquet": (".parquet",),
    "csv": (".csv",),
    "ndjson": (".ndjson", ".jsonl"),
}

_READERS: dict[str, Callable[..., Any]] = {
    "parquet": pl.scan_parquet,
    "csv": pl.scan_csv,
    "ndjson": pl.scan_ndjson,
}
_WRITERS: dict[str, Callable[..., Any]] = {
    "parquet": pl.DataFrame.write_parquet,
    "csv": pl.DataFrame.write_csv,
    "ndjson": pl.DataFrame.write_ndjson,
}
# hygge decides these itself: which file, how many rows, where the data goes.
_READ_RESERVED = frozenset(
    {"source", "n_rows", "glob", "storage_options", "credential_provider", "include_file_paths",
     "row_index_name", "row_index_offset", "hive_partitioning", "hive_schema", "cache"}
)  # fmt: skip
_WRITE_RESERVED = frozenset(
    {"self", "file", "partition_by", "partition_chunk_size_bytes", "storage_options",
     "credential_provider", "mkdir", "check_extension"}
)  # fmt: skip


def read_option_names(fmt: str) -> frozenset[str]:
    """The `format_options` a home reading `fmt` accepts."""
    return _keywords(_READERS[fmt]) - _READ_RESERVED


def write_option_names(fmt: str) -> frozenset[str]:
    """The `format_options` a store writing `fmt` accepts."""
    return _keywords(_WRITERS[fmt]) - _WRITE_RESERVED


def check_options(
    options: Mapping[str, Any], accepted: frozenset[str], *, fmt: str, where: str
) -> None:
    """Raise a ConfigError naming the first unknown option, with the nearest valid one."""
    for key in options:
        if key in accepted:
            continue
        close = get_close_matches(key, sorted(accepted), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "valid: " + ", ".join(sorted(accepted))
        raise ConfigError(f"{where}: unknown {fmt} format option {key!r}", hint=hint)


def _keywords(fn: Callable[..., Any]) -> frozenset[str]:
    params = inspect.signature(fn).parameters.values()
    return frozenset(p.name for p in params if p.kind is not inspect.Parameter.VAR_KEYWORD)
