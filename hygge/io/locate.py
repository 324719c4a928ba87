"""Find where in a text file a reader stopped: the line, the byte, the column, the value.

Readers report a problem without its place in the file (or with an offset inside their own
buffers). These re-read the file, streamed, once a read has failed, to point at the line a
user can open. Lines are numbered from 1, the header included; byte offsets from 0.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

POLARS_ENCODINGS = ("utf8", "utf-8", "utf8-lossy")
_BLOCK = 1 << 20


def python_encoding(encoding: object) -> str:
    """The Python codec name for a `format_options.encoding` value (polars' own: utf-8)."""
    if encoding is None or str(encoding).lower() in POLARS_ENCODINGS:
        return "utf-8"
    try:
        return codecs.lookup(str(encoding)).name
    except LookupError:
        return "utf-8"


def first_undecodable(path: Path, encoding: str) -> tuple[int, int, int] | None:
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


def bad_json_line(path: Path) -> tuple[int, str] | None:
    """The first line of an ndjson file that is not one JSON object, and why."""
    for number, value in _json_lines(path):
        if isinstance(value, json.JSONDecodeError):
            return number, f"not valid JSON ({value.msg} at column {value.colno})"
        if not isinstance(value, dict):
            return number, f"a JSON {type(value).__name__}, not an object"
    return None


def json_value_line(path: Path, text: str, column: str | None) -> tuple[int, str] | None:
    """(line, key) of the first ndjson object with a top-level value written as `text`."""
    for number, value in _json_lines(path):
        if not isinstance(value, dict):
            continue
        for key, item in value.items():
            if (column is None or key == column) and _as_text(item) == text:
                return number, key
    return None


def ragged_line(path: Path, options: Mapping[str, Any]) -> tuple[int, int, int] | None:
    """(line, fields, expected fields) of the first csv row longer than the first row."""
    rows = _csv_rows(path, options)
    expected: int | None = None
    for line, row in rows:
        if expected is None:
            expected = len(row)
        elif len(row) > expected:
            return line, len(row), expected
    return None


def csv_value_line(path: Path, options: Mapping[str, Any], column: str, text: str) -> int | None:
    """The line of the first csv row whose `column` (named by the header) holds `text`."""
    rows = _csv_rows(path, options)
    header = next(rows, None)
    if header is None or column not in header[1]:
        return None
    index = header[1].index(column)
    for line, row in rows:
        if index < len(row) and row[index] == text:
            return line
    return None


def text_line(path: Path, text: str) -> int | None:
    """The first line of a text file that contains `text`."""
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            if text in line:
                return number
    return None


def _csv_rows(path: Path, options: Mapping[str, Any]) -> Iterator[tuple[int, list[str]]]:
    """(last line of the record, fields) for every csv record, with the reader's options."""
    quote = options.get("quote_char", '"')
    encoding = python_encoding(options.get("encoding"))
    with path.open(encoding=encoding, errors="replace", newline="") as text:
        rows = csv.reader(
            text,
            delimiter=str(options.get("separator", ",")),
            quotechar=quote or '"',
            quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE,
        )
        try:
            for row in rows:
                yield rows.line_num, row
        except csv.Error:  # e.g. a field beyond the csv module's size limit: stop looking
            return


def _json_lines(path: Path) -> Iterator[tuple[int, object]]:
    """(line, parsed value or the JSONDecodeError) for every non-blank line."""
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, exc


def _as_text(value: object) -> str:
    """A JSON value as the readers print it in their messages (strings bare)."""
    return value if isinstance(value, str) else json.dumps(value)


def _blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as data:
        while block := data.read(_BLOCK):
            yield block
