"""A csv/ndjson read resumes at the byte offset of its last row boundary, not from row 0.

Every batch comes with the byte offset where the next row starts; a read started there
with the rows counted so far yields exactly the rows after them, and reads only the file's
head (the header) and the bytes from that offset on.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hygge.io.readers import read_text_rows
from hygge.io.text_pieces import HEAD_BYTES, LocalBytes

CASES = [
    pytest.param(b"id,name\n1,a\n2,b\n3,c\n4,d\n5,e\n", id="plain"),
    pytest.param(b'id,name\n1,"x\ny"\n2,"a\n\nb"\n3,c\n4,"d\nd"\n5,e\n', id="quoted-newlines"),
    pytest.param(b'id,name\r\n1,"x\r\ny"\r\n2,b\r\n3,c\r\n4,d\r\n5,e\r\n', id="crlf"),
    pytest.param(b"\xef\xbb\xbfid,name\n1,a\n2,b\n3,c\n4,d\n5,e\n", id="bom"),
    pytest.param(b"id,name\n1,a\n2,b\n3,c\n4,d\n5,e", id="no-final-newline"),
    pytest.param(b'id,name\n1,"say ""hi""\n"\n2,""\n3,"\n"\n4,d\n5,"e,e"', id="doubled-quotes"),
    pytest.param(
        b'\xef\xbb\xbfid,name\r\n1,"a\r\nb"\r\n2,"q""\r\n"\r\n3,c\r\n4,d\r\n5,"end\r\nx"',
        id="all-at-once",
    ),
]


def read(path: Path, fmt: str = "csv", batch: int = 2, **options: object):
    return list(
        read_text_rows(
            path, fmt, options, schema=None, start_row=0, start_byte=None, batch_size=batch
        )
    )


def resumed(path: Path, rows: int, at: int | None, fmt: str = "csv", **options: object):
    batches = read_text_rows(
        path, fmt, options, schema=None, start_row=rows, start_byte=at, batch_size=2
    )
    return [batch for batch, _ in batches]


def assert_every_resume_yields_exactly_the_rest(path: Path, fmt: str = "csv", **options):
    whole = pl.read_csv(path, **options) if fmt == "csv" else pl.read_ndjson(path)
    batches = read(path, fmt, **options)
    assert pl.concat([b for b, _ in batches]).equals(whole)
    rows = 0
    for batch, after in batches:
        rows += batch.height
        assert after is not None
        rest = resumed(path, rows, after, fmt, **options)
        got = pl.concat(rest) if rest else whole.clear()
        assert got.equals(whole.slice(rows)), (rows, after)


@pytest.mark.parametrize("data", CASES)
def test_a_resumed_csv_yields_exactly_the_remaining_rows(tmp_path, data):
    path = tmp_path / "a.csv"
    path.write_bytes(data)

    assert_every_resume_yields_exactly_the_rest(path)


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"has_header": False}, id="no-header"),
        pytest.param({"skip_rows": 1}, id="skip-rows"),
        pytest.param({"skip_rows_after_header": 1}, id="skip-after-header"),
        pytest.param({"separator": ";", "quote_char": "'"}, id="other-quote"),
    ],
)
def test_a_resumed_csv_keeps_its_reader_options(tmp_path, options):
    path = tmp_path / "a.csv"
    lines = ["note;x", "id;name", "0;'z\nz'", *(f"{i};'n;{i}'" for i in range(1, 6))]
    if "skip_rows" not in options:
        lines = lines[1:]
    if "quote_char" not in options:
        lines = [line.replace(";", ",").replace("'", '"') for line in lines]
    path.write_text("\n".join(lines) + "\n")

    assert_every_resume_yields_exactly_the_rest(path, **options)


def test_a_resumed_ndjson_yields_exactly_the_remaining_rows(tmp_path):
    path = tmp_path / "a.ndjson"
    path.write_text("".join(f'{{"id": {i}, "text": "line\\nbreak {i}"}}\n' for i in range(7)))

    assert_every_resume_yields_exactly_the_rest(path, "ndjson")


class CountingBytes(LocalBytes):
    """A local file whose reads are recorded as (offset, length)."""

    reads: list[tuple[int, int]]

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.reads = []

    def read_at(self, offset: int, length: int) -> bytes:
        data = super().read_at(offset, length)
        self.reads.append((offset, len(data)))
        return data


def test_a_resume_reads_only_the_head_and_the_bytes_after_its_offset(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("id,name\n" + "".join(f'{i},"row\n{i}"\n' for i in range(20_000)))
    batches = read(path, batch=1000)
    rows, at = sum(b.height for b, _ in batches[:15]), batches[14][1]
    assert at is not None and at > 10 * HEAD_BYTES

    with CountingBytes(path) as counting:
        rest = read_text_rows(
            path, "csv", {}, schema=None, start_row=rows, start_byte=at, batch_size=1000,
            source=counting,
        )  # fmt: skip
        got = pl.concat([batch for batch, _ in rest])

    assert got["id"].to_list() == list(range(rows, 20_000))
    earlier = [(o, n) for o, n in counting.reads if o < at]
    assert all(o + n <= HEAD_BYTES for o, n in earlier), earlier  # only the header's block
    assert sum(n for o, n in counting.reads if o >= at) == path.stat().st_size - at


def test_options_the_cutter_does_not_follow_read_from_the_first_row_without_offsets(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("id,name\n# a comment\n1,a\n2,b\n3,c\n")

    batches = read(path, comment_prefix="#")

    assert [after for _, after in batches] == [None, None]
    assert pl.concat([b for b, _ in batches])["id"].to_list() == [1, 2, 3]
    assert resumed(path, 2, None, comment_prefix="#")[0]["id"].to_list() == [3]


FIELDS = st.text(alphabet='ab,"\r\n \u00e9', max_size=6)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(0, 99), FIELDS), min_size=1, max_size=12),
    crlf=st.booleans(),
    bom=st.booleans(),
    final_newline=st.booleans(),
)
def test_any_csv_resumed_at_any_batch_yields_exactly_the_rest(
    tmp_path_factory, rows, crlf, bom, final_newline
):
    eol = "\r\n" if crlf else "\n"
    quoted = ['"' + text.replace('"', '""') + '"' for _, text in rows]
    body = eol.join(f"{i},{q}" for (i, _), q in zip(rows, quoted, strict=True))
    data = ("\ufeff" if bom else "") + f"id,text{eol}{body}" + (eol if final_newline else "")
    path = tmp_path_factory.mktemp("csv") / "a.csv"
    path.write_bytes(data.encode())

    assert_every_resume_yields_exactly_the_rest(path, schema={"id": pl.Int64, "text": pl.String})


class Bytes:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read_at(self, offset: int, length: int) -> bytes:
        return self.data[offset : offset + length]


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(FIELDS, min_size=1, max_size=15),
    per_piece=st.integers(1, 4),
    block=st.integers(1, 9),
)
def test_pieces_end_at_row_boundaries_whatever_the_block_size(rows, per_piece, block):
    from hygge.io.text_pieces import RowSyntax, pieces

    data = "".join('"' + text.replace('"', '""') + '"\n' for text in rows).encode()
    cut = list(
        pieces(Bytes(data), 0, len(data), per_piece, RowSyntax("csv", {}), block_bytes=block)
    )

    assert b"".join(piece for piece, _ in cut) == data
    ends = [end for _, end in cut]
    boundaries = {len("".join('"' + t.replace('"', '""') + '"\n' for t in rows[:k]).encode())
                  for k in range(1, len(rows) + 1)}  # fmt: skip
    assert set(ends) <= boundaries and ends[-1] == len(data)
    sizes = [pl.read_csv(piece, has_header=False).height for piece, _ in cut]
    assert all(size <= per_piece for size in sizes) and sum(sizes) == len(rows)
