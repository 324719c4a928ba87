"""Cutting a csv or ndjson file into pieces of whole rows, each ending at a known byte offset.

A chunk that stops inside a text file records the byte offset where its next row starts, so
the next chunk seeks there instead of parsing the file again from its first row. A row ends
at an end-of-line character outside quotes: one with an even number of quote characters
before it since the row began (a doubled quote inside a quoted field counts twice), as
polars' own csv line splitter counts them. Only the cut of each piece is looked for, with
the bytes methods' counts and finds, so cutting costs little next to parsing. Each piece is
parsed with the file's head in front (BOM, skipped rows, header), so it reads as it does
inside the whole file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Protocol

from hygge.io.locate import POLARS_ENCODINGS

BLOCK_BYTES = 1 << 20
HEAD_BYTES = 4096  # the head (header, skipped rows) is read in blocks this small
# Options that move where rows start in ways the cutter does not follow: such files are read
# from their first row, as before.
_UNFOLLOWED = ("comment_prefix", "skip_lines")


class ByteSource(Protocol):
    """A file's bytes, read by offset (a local file, or ranged reads of an object)."""

    def read_at(self, offset: int, length: int) -> bytes: ...


class LocalBytes:
    """A local file's bytes by offset; a context manager that closes the file."""

    def __init__(self, path: Path) -> None:
        self._file: BinaryIO = path.open("rb")

    def read_at(self, offset: int, length: int) -> bytes:
        self._file.seek(offset)
        return self._file.read(length)

    def __enter__(self) -> LocalBytes:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._file.close()


class RowSyntax:
    """What a row boundary is for a file read with `options`; `cuttable` False: not followed."""

    def __init__(self, fmt: str, options: Mapping[str, Any]) -> None:
        quote = options.get("quote_char", '"') if fmt == "csv" else None
        eol = options.get("eol_char", "\n") if fmt == "csv" else "\n"
        encoding = str(options.get("encoding", "utf8")).lower()
        self.quote = ord(quote) if isinstance(quote, str) and len(quote) == 1 else None
        self.eol = ord(eol) if isinstance(eol, str) and len(eol) == 1 else None
        self.header = fmt == "csv" and bool(options.get("has_header", True))
        self.skip_rows = int(options.get("skip_rows", 0) or 0) if fmt == "csv" else 0
        self.skip_after = int(options.get("skip_rows_after_header", 0) or 0) if fmt == "csv" else 0
        self.cuttable = (
            self.eol is not None
            and (quote is None or self.quote is not None)
            and encoding in POLARS_ENCODINGS
            and not any(options.get(key) for key in _UNFOLLOWED)
        )


def pieces(
    source: ByteSource,
    start: int,
    size: int,
    rows: int,
    syntax: RowSyntax,
    *,
    block_bytes: int = BLOCK_BYTES,
) -> Iterator[tuple[bytes, int]]:
    """Pieces of at most `rows` whole rows from `start` (a row start) to `size`, each with the
    offset just after it; the last one ends at `size`, with or without a final newline."""
    assert syntax.eol is not None
    eol = bytes([syntax.eol])
    quote = None if syntax.quote is None else bytes([syntax.quote])
    buffer, cursor, base, read_to, newlines, more = b"", 0, start, start, 0, False
    while True:
        while (more or newlines < rows) and read_to < size:
            block = source.read_at(read_to, min(block_bytes, size - read_to))
            if not block:
                size = read_to  # the file shrank: the home's change check reports it
                break
            buffer, base, cursor = buffer[cursor:] + block, base + cursor, 0
            newlines, read_to, more = newlines + block.count(eol), read_to + len(block), False
        if cursor >= len(buffer):
            return
        cut = _cut(buffer, cursor, rows, newlines, eol, quote=quote) if newlines >= rows else None
        if cut is None and read_to < size:
            more = True  # one row runs past the buffer: read on
            continue
        cut = len(buffer) if cut is None else cut
        yield buffer[cursor:cut], base + cut
        newlines -= buffer.count(eol, cursor, cut)
        cursor = cut


def cut_rows(buffer: bytes, rows: int, newlines: int, syntax: RowSyntax) -> int | None:
    """The offset after the last row end among the first `rows` end-of-lines of `buffer` (a
    row start onwards, holding `newlines` of them), else after the first row end past them;
    None: no row ends in `buffer`."""
    assert syntax.eol is not None
    quote = None if syntax.quote is None else bytes([syntax.quote])
    return _cut(buffer, 0, rows, newlines, bytes([syntax.eol]), quote=quote)


def _cut(
    buffer: bytes, start: int, rows: int, newlines: int, eol: bytes, *, quote: bytes | None
) -> int | None:
    """The offset after the last row end among the first `rows` end-of-lines after `start`
    (of `newlines` there), else after the first row end past them; None: none in `buffer`."""
    end = _nth(buffer, start, rows, newlines, eol)
    if quote is None:
        return end + 1
    odd, at = buffer.count(quote, start, end) % 2, end
    while odd:  # `at` is inside quotes: try the end-of-line before it
        before = buffer.rfind(eol, start, at)
        if before < 0:
            break
        odd ^= buffer.count(quote, before, at) % 2
        at = before
    if not odd:
        return at + 1
    odd, at = 1, end  # one row holds all of them: it ends at the next row end
    while odd:
        after = buffer.find(eol, at + 1)
        if after < 0:
            return None
        odd ^= buffer.count(quote, at, after) % 2
        at = after
    return at + 1


def nth_eol(buffer: bytes, n: int, newlines: int, syntax: RowSyntax) -> int:
    """The index of the `n`-th end-of-line of `buffer` (which holds `newlines` >= n)."""
    assert syntax.eol is not None
    return _nth(buffer, 0, n, newlines, bytes([syntax.eol]))


def _nth(buffer: bytes, start: int, n: int, newlines: int, eol: bytes) -> int:
    """The index of the `n`-th end-of-line after `start` (there are `newlines` >= n)."""
    guess = start + (len(buffer) - start) * n // newlines
    seen = buffer.count(eol, start, guess)
    at = guess - 1
    if seen < n:
        for _ in range(n - seen):
            at = buffer.find(eol, at + 1)
        return at
    at = guess
    for _ in range(seen - n + 1):
        at = buffer.rfind(eol, start, at)
    return at


def data_start(source: ByteSource, size: int, syntax: RowSyntax) -> int:
    """Where the first data row starts: after the skipped rows, the header (blank lines
    before it are skipped, as polars does) and the rows skipped after the header."""
    rows = pieces(source, 0, size, 1, syntax, block_bytes=HEAD_BYTES)
    position = 0
    for _ in range(syntax.skip_rows):
        position = next(rows, (b"", position))[1]
    if syntax.header:
        for row, after in rows:
            position = after
            if row.strip(b"\r\n\xef\xbb\xbf"):
                break
    for _ in range(syntax.skip_after):
        position = next(rows, (b"", position))[1]
    return position
