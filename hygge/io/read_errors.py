"""What polars, pyarrow and the OS raise while a file is read, as DataErrors that say what to do.

The one place foreign read errors are translated. A message names the file, where in it the
reader stopped when that can be found (line, byte offset, column), and the fix. Finding the
line re-reads the file only on this error path; the happy path never pays for it.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from hygge.errors import DataError

READ_ERRORS = (
    pl.exceptions.PolarsError,
    pl.exceptions.PanicException,
    pa.ArrowException,
    OSError,
    UnicodeError,
)
POLARS_ENCODINGS = ("utf8", "utf-8", "utf8-lossy")
_NOT_UTF8 = ("invalid utf-8", "valid utf-8", "invalid utf8")
_UNPARSED = re.compile(r"could not parse `(.*?)` as dtype `(.*?)` at column '(.*?)'")
_BLOCK = 1 << 20


def read_error(
    fmt: str, path: Path, exc: BaseException, options: Mapping[str, Any] | None = None
) -> DataError:
    """`cannot read <fmt> file <path>[ line N]: what is wrong. What to do.`"""
    options = options or {}
    detail = " ".join(str(exc).split("\n\n")[0].split())
    explained = (
        _os_error(exc)
        or _encoding_error(fmt, path, exc, detail, options)
        or _format_error(fmt, path, detail, options)
    )
    return DataError(f"cannot read {fmt} file {path}{explained or ': ' + detail}")


# Each explainer returns what follows the file in the message (": ..." or " line N: ..."),
# or None when the error is not its kind.


def _os_error(exc: BaseException) -> str | None:
    if isinstance(exc, FileNotFoundError):
        return (
            ": it disappeared while the run read it (it was listed when the run began). "
            "Restore it, or run again to read the files present now"
        )
    if isinstance(exc, PermissionError):
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
            f": {detail} It may be truncated, still being written, or not parquet at all. "
            "Replace it with a complete copy, or move it out of the home, then run again"
        )
    unparsed = _UNPARSED.search(detail)
    if unparsed:
        value, dtype, column = unparsed.groups()
        return (
            f": the value {value!r} in column '{column}' does not parse as {dtype}, the "
            f"type the column was given (inferred from the first rows, infer_schema_length, "
            f"unless format_options name it). Fix the "
            f"value, or read the column as text with format_options: "
            f"{{schema_overrides: {{{column}: String}}}}"
        )
    if fmt == "ndjson":
        return _ndjson_error(path, detail)
    if "more fields than defined" in detail:
        return _ragged_error(path, options)
    return None


def _ndjson_error(path: Path, detail: str) -> str:
    found = _bad_json_line(path)
    if found is None:
        return f": {detail}"
    number, reason = found
    return (
        f" line {number}: {reason}; every line of an ndjson file must be one JSON object. "
        "Fix or remove that line, then run again"
    )


def _bad_json_line(path: Path) -> tuple[int, str] | None:
    """The first line of an ndjson file that is not one JSON object, and why."""
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                return number, f"not valid JSON ({exc.msg} at column {exc.colno})"
            if not isinstance(value, dict):
                return number, f"a JSON {type(value).__name__}, not an object"
    return None


def _ragged_error(path: Path, options: Mapping[str, Any]) -> str:
    found = _ragged_line(path, options)
    where = ": a row has more fields than the header"
    if found is not None:
        line, fields, expected = found
        where = f" line {line}: the row has more fields ({fields}) than the header ({expected})"
    return (
        f"{where}. Fix that row (a separator inside an unquoted value?), or read it with "
        "format_options: {truncate_ragged_lines: true}, which drops the extra fields and "
        "their values"
    )


def _ragged_line(path: Path, options: Mapping[str, Any]) -> tuple[int, int, int] | None:
    """(line, fields, expected fields) of the first csv row longer than the first row."""
    quote = options.get("quote_char", '"')
    encoding = _python_encoding(options.get("encoding"))
    with path.open(encoding=encoding, errors="replace", newline="") as text:
        rows = csv.reader(
            text,
            delimiter=str(options.get("separator", ",")),
            quotechar=quote or '"',
            quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE,
        )
        expected: int | None = None
        for row in rows:
            if expected is None:
                expected = len(row)
            elif len(row) > expected:
                return rows.line_num, len(row), expected
    return None


def _encoding_error(
    fmt: str, path: Path, exc: BaseException, detail: str, options: Mapping[str, Any]
) -> str | None:
    if not isinstance(exc, UnicodeError) and not any(s in detail.lower() for s in _NOT_UTF8):
        return None
    encoding = _python_encoding(options.get("encoding"))
    found = _first_undecodable(path, encoding)
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


def _first_undecodable(path: Path, encoding: str) -> tuple[int, int, int] | None:
    """(byte offset, line, byte) of the first byte `encoding` cannot decode, if any."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset, lines = 0, 1
    for block in _blocks(path):
        try:
            decoder.decode(block)
        except UnicodeDecodeError as exc:
            held_back = len(exc.object) - len(block)  # the start of a character split by blocks
            line = lines + exc.object.count(b"\n", 0, exc.start)
            return offset - held_back + exc.start, line, exc.object[exc.start]
        offset += len(block)
        lines += block.count(b"\n")
    return None


def _blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as data:
        while block := data.read(_BLOCK):
            yield block


def _python_encoding(encoding: object) -> str:
    """The Python codec name for a `format_options.encoding` value (polars' own: utf-8)."""
    if encoding is None or str(encoding).lower() in POLARS_ENCODINGS:
        return "utf-8"
    try:
        return codecs.lookup(str(encoding)).name
    except LookupError:
        return "utf-8"
