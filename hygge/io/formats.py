"""File formats: their extensions and the `format_options` each reader and writer accepts."""

from __future__ import annotations

import codecs
import inspect
from collections.abc import Callable, Mapping
from difflib import get_close_matches
from functools import cache
from typing import Any

from hygge.errors import ConfigError
from hygge.types import invalid_setting

# The encodings polars' csv reader takes itself; hygge converts any other to UTF-8 first.
POLARS_ENCODINGS = ("utf8", "utf-8", "utf8-lossy")
_ENCODING_HINT = (
    "polars reads csv as utf8 (or utf8-lossy, which replaces bad bytes); hygge converts files "
    "in any other encoding Python knows (latin1, cp1252, iso8859_15, utf-16, …) to UTF-8 "
    "first: name one of those, or convert the files to UTF-8 (e.g. iconv -f LATIN1 -t UTF-8)"
)

READ_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "parquet": (".parquet",),
    "csv": (".csv",),
    "ndjson": (".ndjson", ".jsonl"),
}

# polars' reader and writer of each format, by attribute name: polars is imported only when a
# workspace sets `format_options` (loading one without them imports no data library).
_READERS = {"parquet": "scan_parquet", "csv": "scan_csv", "ndjson": "scan_ndjson"}
_WRITERS = {"parquet": "write_parquet", "csv": "write_csv", "ndjson": "write_ndjson"}
# hygge decides these itself: which file, how many rows, where the data goes.
_READ_RESERVED = frozenset(
    {"source", "n_rows", "glob", "storage_options", "credential_provider", "include_file_paths",
     "row_index_name", "row_index_offset", "hive_partitioning", "hive_schema", "cache"}
)  # fmt: skip
_WRITE_RESERVED = frozenset(
    {"self", "file", "partition_by", "partition_chunk_size_bytes", "storage_options",
     "credential_provider", "mkdir", "check_extension"}
)  # fmt: skip


@cache  # a signature of the installed polars: the same for the whole process
def read_option_names(fmt: str) -> frozenset[str]:
    """The `format_options` a home reading `fmt` accepts."""
    import polars as pl

    return _keywords(getattr(pl, _READERS[fmt])) - _READ_RESERVED


@cache  # as read_option_names: every file store checks its options when it opens
def write_option_names(fmt: str) -> frozenset[str]:
    """The `format_options` a store writing `fmt` accepts."""
    import polars as pl

    return _keywords(getattr(pl.DataFrame, _WRITERS[fmt])) - _WRITE_RESERVED


def check_options(
    options: Mapping[str, Any], accepted: frozenset[str], *, fmt: str, where: str
) -> None:
    """Raise a ConfigError naming the first unknown option, with the nearest valid one."""
    key = _first_unknown(options, accepted)
    if key is not None:
        close = get_close_matches(key, sorted(accepted), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "valid: " + ", ".join(sorted(accepted))
        raise ConfigError(f"{where}: unknown {fmt} format option {key!r}", hint=hint)


def validate_format_options(
    options: Mapping[str, Any], fmt: str, *, reading: bool
) -> Mapping[str, Any]:
    """`options` when a reader (or writer) of `fmt` takes them all; else a validation error
    at the first unknown key or an unknown `encoding`, for a config model's validator."""
    if not options:
        return options
    accepted = read_option_names(fmt) if reading else write_option_names(fmt)
    key = _first_unknown(options, accepted)
    if key is not None:
        raise _unknown_option(key, accepted, fmt, reading=reading)
    if reading and "encoding" in options and not known_encoding(options["encoding"]):
        raise invalid_setting(
            f"unknown encoding {options['encoding']!r}", at="encoding", hint=_ENCODING_HINT
        )
    return options


def _unknown_option(key: str, accepted: frozenset[str], fmt: str, *, reading: bool) -> Exception:
    if key in (_READ_RESERVED if reading else _WRITE_RESERVED):
        return invalid_setting(
            f"{fmt} format option {key!r} is set by hygge itself (it decides which files, "
            "which rows and where they go); remove it",
            at=key,
        )
    if key == "encoding" and reading:
        return invalid_setting(
            f"encoding applies to csv files only; {fmt} files are read as UTF-8",
            at=key,
            hint="remove encoding, or convert the files to UTF-8 (e.g. iconv -f LATIN1 -t UTF-8)",
        )
    close = get_close_matches(key, sorted(accepted), n=1)
    guess = f" (did you mean {close[0]!r}?)" if close else ""
    return invalid_setting(
        f"unknown {fmt} format option {key!r}{guess}",
        at=key,
        hint=f"{fmt} {'readers' if reading else 'writers'} take: " + ", ".join(sorted(accepted)),
    )


def known_encoding(encoding: object) -> bool:
    """Whether a csv home can read files in `encoding` (natively or by converting to UTF-8)."""
    if not isinstance(encoding, str):
        return False
    if encoding.lower() in POLARS_ENCODINGS:
        return True
    try:
        codecs.lookup(encoding)
    except LookupError:
        return False
    return True


def _first_unknown(options: Mapping[str, Any], accepted: frozenset[str]) -> str | None:
    return next((key for key in options if key not in accepted), None)


def _keywords(fn: Callable[..., Any]) -> frozenset[str]:
    params = inspect.signature(fn).parameters.values()
    return frozenset(p.name for p in params if p.kind is not inspect.Parameter.VAR_KEYWORD)
