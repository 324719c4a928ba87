"""What polars and the OS raise while a file is read, as DataErrors that say what to do.

The one place foreign read errors are translated. A message names the file, where in it the
reader stopped when that can be found (line, byte offset, column), and the fix. Finding the
line re-reads the file only on this error path; the happy path never pays for it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from hygge.errors import DataError
from hygge.io.locate import (
    bad_json_line,
    csv_value_line,
    first_undecodable,
    json_value_line,
    python_encoding,
    ragged_line,
    text_line,
)

READ_ERRORS = (
    pl.exceptions.PolarsError,
    pl.exceptions.PanicException,
    OSError,
    UnicodeError,
)
_NOT_UTF8 = ("invalid utf-8", "valid utf-8", "invalid utf8")
# The readers' words for a value that does not fit its column's type (value, type, column).
_CSV_VALUE = re.compile(
    r"could not parse `(?P<value>.*?)` as dtype `(?P<dtype>.*?)` at column '(?P<column>.*?)'",
    re.DOTALL,
)
_JSON_VALUE = re.compile(r"cannot parse '(?P<value>.*?)' \(\w+\) as (?P<dtype>\w+)")
_CONVERSION = re.compile(
    r"conversion from `.*?` to `(?P<dtype>.*?)` failed in column '(?P<column>.*?)' .*?values: "
    r"\[\"?(?P<value>.*?)\"?[,\]]"
)


def read_error(
    fmt: str, path: Path, exc: BaseException, options: Mapping[str, Any] | None = None
) -> DataError:
    """`cannot read <fmt> file <path>[ line N]: what is wrong. What to do.`"""
    options = options or {}
    detail = " ".join(str(exc).split("\n\n")[0].split())
    try:
        explained = (
            _os_error(exc, detail)
            or _encoding_error(fmt, path, exc, detail, options)
            or _unclosed_quote(fmt, path, str(exc))
            or _format_error(fmt, path, detail, options)
        )
    except (OSError, ValueError):  # re-reading the file to find the line failed too
        explained = None
    return DataError(f"cannot read {fmt} file {path}{explained or ': ' + detail}")


# Each explainer returns what follows the file in the message (": ..." or " line N: ..."),
# or None when the error is not its kind.


def _os_error(exc: BaseException, detail: str) -> str | None:
    if isinstance(exc, FileNotFoundError):
        return (
            ": it disappeared while the run read it (it was listed when the run began). "
            "Restore it, or run again to read the files present now"
        )
    if isinstance(exc, PermissionError) or "permission denied" in detail.lower():
        return (
            ": permission denied. Give the user running hygge read access to it "
            "(chmod / chown), or move it out of the home"
        )
    if isinstance(exc, IsADirectoryError | NotADirectoryError):
        return f": {exc.strerror}. Point the home at a file or a folder of files"
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        return f": {reason}. Check the disk or share it is on, then run again"
    return None


def _format_error(fmt: str, path: Path, detail: str, options: Mapping[str, Any]) -> str | None:
    if fmt == "parquet":
        return (
            f": {detail.rstrip('.')}. It may be truncated, still being written, or not parquet "
            "at all. Replace it with a complete copy, or move it out of the home, then run again"
        )
    for pattern in (_CSV_VALUE, _JSON_VALUE, _CONVERSION):
        found = pattern.search(detail)
        if found:
            return _value_error(fmt, path, options, found.groupdict())
    if fmt == "ndjson":
        return _ndjson_error(path, detail)
    if detail == "empty CSV":
        return _empty_csv(path)
    if "more fields than defined" in detail:
        return _ragged_error(path, options)
    return None


def _empty_csv(path: Path) -> str:
    """A csv without a header: blank lines, or only the byte-order mark an editor's "UTF-8
    with BOM" writes into a file it saves empty (told apart: no line is visible there)."""
    try:
        with path.open("rb") as handle:
            start = handle.read(64)
    except OSError:
        start = b""
    if start.startswith(b"\xef\xbb\xbf") and not start[3:].strip():
        what = "only a UTF-8 byte-order mark (an empty file saved as UTF-8 with BOM)"
    else:
        what = "only blank lines"
    return f": it holds no header, {what}. Remove it, or give it a header line"


def _unclosed_quote(fmt: str, path: Path, text: str) -> str | None:
    found = _CSV_VALUE.search(text)
    if fmt != "csv" or "not properly escaped" not in text or found is None:
        return None
    start = found.group("value").splitlines()[0] if found.group("value") else ""
    line = text_line(path, start) if start else None
    where = f" line {line}" if line is not None else ""
    return (
        f"{where}: a quoted value in column '{found.group('column')}' is not closed (a "
        '" without its closing ", or a " inside a value not doubled). Fix the quoting of '
        "that row; if the file uses no quoting at all, set format_options: {quote_char: null}"
    )


def _value_error(fmt: str, path: Path, options: Mapping[str, Any], found: dict[str, str]) -> str:
    """A value that does not fit its column's type: `found` has its value, type and column."""
    value, dtype, column = found["value"], found["dtype"], found.get("column")
    line: int | None = None
    if fmt == "csv" and column is not None:
        line = csv_value_line(path, options, column, value)
    elif fmt == "ndjson":
        hit = json_value_line(path, value, column)
        if hit is not None:
            line, column = hit
    where = f" line {line}" if line is not None else ""
    name = column or "column"
    return (
        f"{where}: the value {value!r} in column '{name}' does not parse as {dtype}, the type "
        "the column was given (inferred from the first rows of the run's first file, or named in "
        "format_options)."
        f" Fix the value, or read the column as text with format_options: "
        f"{{schema_overrides: {{{name}: String}}}}"
    )


def _ndjson_error(path: Path, detail: str) -> str:
    found = bad_json_line(path)
    if found is None:
        return f": {detail}"
    number, reason = found
    return (
        f" line {number}: {reason}; every line of an ndjson file must be one JSON object. "
        "Fix or remove that line, then run again"
    )


def _ragged_error(path: Path, options: Mapping[str, Any]) -> str:
    found = ragged_line(path, options)
    where = ": a row has more fields than the header"
    if found is not None:
        line, fields, expected = found
        where = f" line {line}: the row has more fields ({fields}) than the header ({expected})"
    return (
        f"{where}. Fix that row (a separator inside an unquoted value?), or read it with "
        "format_options: {truncate_ragged_lines: true}, which drops the extra fields and "
        "their values"
    )


def _encoding_error(
    fmt: str, path: Path, exc: BaseException, detail: str, options: Mapping[str, Any]
) -> str | None:
    if not isinstance(exc, UnicodeError) and not any(s in detail.lower() for s in _NOT_UTF8):
        return None
    encoding = python_encoding(options.get("encoding"))
    found = first_undecodable(path, encoding)
    where = f": it is not {encoding} text"
    if found is not None:
        offset, line, byte = found
        where = f" line {line}: the byte 0x{byte:02x} at offset {offset} is not valid {encoding}"
    if encoding != "utf-8":
        return f"{where}. format_options.encoding says {encoding}; set the file's real encoding"
    if fmt == "ndjson":
        return (
            f"{where}. JSON text is UTF-8 and ndjson has no encoding option: convert the file, "
            f"e.g. `iconv -f latin1 -t utf-8 {path.name} > {path.stem}.utf8{path.suffix}` for "
            f"a latin-1 file, put it in place of {path.name}, then run again"
        )
    return (
        f"{where}. If the file is latin-1 or Windows-1252, say so with format_options: "
        "{encoding: latin1} (or cp1252) and hygge converts it while reading; or convert it "
        f"once, e.g. `iconv -f latin1 -t utf-8 {path.name} > {path.stem}.utf8{path.suffix}`, "
        f"in place of {path.name}. (encoding: utf8-lossy also reads "
        "it, but replaces every invalid byte with �: use it only if losing those characters "
        "is acceptable)"
    )
