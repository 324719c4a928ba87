"""Cutting a csv or ndjson file into pieces of whole rows, each ending at a known byte offset.

A chunk that stops inside a text file records the byte offset where its next row starts, so
the next chunk seeks there instead of parsing the file again from its first row. A row ends
at an end-of-line character outside quotes: one with an even number of quote characters
before it since the row began (a doubled quote inside a quoted field counts twice), as
polars' own csv line splitter counts them. Each piece is parsed with the file's head in
front (BOM, skipped rows, header), so it reads as it does inside the whole file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Protocol

import pyarrow as pa
import pyarrow.compute as pc

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


def row_ends(block: bytes, syntax: RowSyntax, quoted: bool) -> tuple[list[int], bool]:
    """The offsets just after each row end in `block`, and whether the block ends inside
    quotes (`quoted`: whether it starts inside them)."""
    assert syntax.eol is not None
    data = pa.Array.from_buffers(pa.uint8(), len(block), [None, pa.py_buffer(block)])
    eols = pc.equal(data, syntax.eol)
    if syntax.quote is None or (not quoted and syntax.quote not in block):
        return [i + 1 for i in pc.indices_nonzero(eols).to_pylist()], quoted
    quotes = pc.cumulative_sum(pc.cast(pc.equal(data, syntax.quote), pa.int64()))
    odd = pc.bit_wise_and(pc.add(quotes, int(quoted)), 1)
    outside = pc.and_(eols, pc.equal(odd, 0))
    ends = [i + 1 for i in pc.indices_nonzero(outside).to_pylist()]
    return ends, bool((block.count(syntax.quote) + int(quoted)) % 2)


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
    parts: list[bytes] = []
    count, position, quoted = 0, start, False
    while position < size:
        block = source.read_at(position, min(block_bytes, size - position))
        if not block:
            break  # the file shrank: the home's change check after the file reports it
        ends, quoted = row_ends(block, syntax, quoted)
        taken = used = 0
        while len(ends) - used >= rows - count:
            used += rows - count
            cut = ends[used - 1]
            yield b"".join([*parts, block[taken:cut]]), position + cut
            parts, count, taken = [], 0, cut
        parts.append(block[taken:])
        count += len(ends) - used
        position += len(block)
    rest = b"".join(parts)
    if rest:
        yield rest, position


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
