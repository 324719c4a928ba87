"""A large csv/ndjson file is read in byte ranges of whole rows: consecutive ranges, each
parsed by itself, give exactly the rows of the whole file, whatever the range's size, its
quotes, line ends, header or reader options; a range ends at a multiple of the store's rows
per file when it can, and a row longer than a range is a range by itself."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hygge.io.readers import infer_schema
from hygge.io.text_pieces import LocalBytes, RowSyntax
from hygge.io.text_ranges import TextRange, column_names, range_scan, text_range
from hygge.io.text_scan import text_scan
from tests.unit.io.test_text_resume import CASES


def ranges(
    path: Path,
    fmt: str = "csv",
    *,
    range_bytes: int,
    max_rows: int | None = None,
    file_rows: int | None = None,
    **options: object,
) -> list[TextRange]:
    """The file's consecutive ranges, from its first data row to its end."""
    syntax, size, found, at = RowSyntax(fmt, options), path.stat().st_size, [], None
    with LocalBytes(path) as source:
        while at is None or at < size:
            cut = text_range(
                source, size, syntax, start=at, max_rows=max_rows, file_rows=file_rows,
                range_bytes=range_bytes,
            )  # fmt: skip
            if cut.end == cut.start:
                assert cut.start == size, "a range holds at least one row"
                break  # a file of a head and no rows
            found.append(cut)
            at = cut.end
    return found


def read_in_ranges(
    path: Path, fmt: str = "csv", *, range_bytes: int, **options: object
) -> pl.DataFrame:
    schema = infer_schema(path, fmt, options)
    assert schema is not None
    cuts = ranges(path, fmt, range_bytes=range_bytes, **options)
    frames = [range_scan(path, cut, fmt, options, schema) for cut in cuts]
    return pl.concat([frame.collect() for frame in frames if frame is not None])


def read_whole(path: Path, fmt: str = "csv", **options: object) -> pl.DataFrame:
    schema = infer_schema(path, fmt, options)
    assert schema is not None
    frame = text_scan(path, fmt, options, schema)
    assert frame is not None
    return frame.collect()


@pytest.mark.parametrize("data", CASES)
@pytest.mark.parametrize("range_bytes", [1, 5, 13, 64, 1 << 20])
def test_consecutive_ranges_give_exactly_the_whole_files_rows(
    tmp_path: Path, data: bytes, range_bytes: int
) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(data)

    assert read_in_ranges(path, range_bytes=range_bytes).equals(read_whole(path))


@pytest.mark.parametrize(
    ("options", "text"),
    [
        pytest.param({"has_header": False}, "1,a\n2,b\n3,c\n4,d\n", id="no-header"),
        pytest.param({"skip_rows": 1}, "junk\nid,name\n1,a\n2,b\n3,c\n", id="skip-rows"),
        pytest.param(
            {"skip_rows_after_header": 1}, "id,name\nx,y\n1,a\n2,b\n", id="skip-after-header"
        ),
        pytest.param(
            {"separator": ";", "quote_char": "'"}, "id;name\n1;'x\ny'\n2;b\n", id="other-quote"
        ),
        pytest.param({"new_columns": ["a", "b"]}, "id,name\n1,a\n2,b\n3,c\n", id="renamed"),
    ],
)
def test_ranges_keep_the_reader_options(
    tmp_path: Path, options: dict[str, object], text: str
) -> None:
    path = tmp_path / "a.csv"
    path.write_text(text)

    assert read_in_ranges(path, range_bytes=5, **options).equals(read_whole(path, **options))


def test_ndjson_ranges_give_the_whole_files_rows(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    path.write_text("".join(f'{{"id": {n}, "name": "n{n}"}}\n' for n in range(9)))

    assert read_in_ranges(path, "ndjson", range_bytes=40).equals(read_whole(path, "ndjson"))


def test_a_header_in_another_order_is_matched_by_name_without_the_head(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("name,id\na,1\nb,2\nc,3\n")
    schema = pl.Schema({"id": pl.Int64(), "name": pl.String()})
    [cut] = ranges(path, range_bytes=1 << 20)

    frame = range_scan(path, cut, "csv", {}, schema)

    assert column_names(cut, "csv", {}, schema) == ["name", "id"]
    assert frame is not None and frame.collect().equals(
        pl.DataFrame({"id": [1, 2, 3], "name": ["a", "b", "c"]})
    )


def test_a_header_the_schema_lacks_parses_the_range_with_the_head_and_fails_as_whole(
    tmp_path: Path,
) -> None:
    path = tmp_path / "b.csv"
    path.write_text("id,extra\n1,x\n")
    schema = pl.Schema({"id": pl.Int64(), "name": pl.String()})
    [cut] = ranges(path, range_bytes=1 << 20)

    assert column_names(cut, "csv", {}, schema) is None
    with pytest.raises(pl.exceptions.SchemaError):
        range_scan(path, cut, "csv", {}, schema).collect()  # type: ignore[union-attr]
    with pytest.raises(pl.exceptions.SchemaError):
        text_scan(path, "csv", {}, schema).collect()  # type: ignore[union-attr]


@pytest.mark.parametrize("quoted", [False, True], ids=["plain", "quoted"])
def test_a_range_ends_at_a_multiple_of_the_stores_rows_per_file(
    tmp_path: Path, quoted: bool
) -> None:
    path = tmp_path / "a.csv"
    name = '"n"' if quoted else "n"
    path.write_text("id,name\n" + "".join(f"{n:03d},{name}\n" for n in range(23)))

    found = ranges(path, range_bytes=60, file_rows=3)  # 60 bytes: 10 rows of 6 (or 7 of 8)

    lines = [cut.rows.count(b"\n") for cut in found]
    assert sum(lines) == 23 and all(n % 3 == 0 for n in lines[:-1])
    assert lines[0] == (6 if quoted else 9)


def test_a_range_holds_at_most_max_rows(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id\n" + "".join(f"{n}\n" for n in range(10)))

    found = ranges(path, range_bytes=1 << 20, max_rows=4, file_rows=100)

    assert [cut.rows.count(b"\n") for cut in found] == [4, 4, 2]


def test_a_row_longer_than_a_range_is_a_range_by_itself(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text('id,text\n1,short\n2,"' + "long\n" * 40 + '"\n3,x\n')

    found = ranges(path, range_bytes=16)

    assert [cut.rows[:2] for cut in found] == [b"1,", b"2,", b"3,"]
    assert read_in_ranges(path, range_bytes=16).equals(read_whole(path))


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 999), st.text(alphabet='ab,"\n\r ', max_size=6)),
        min_size=1,
        max_size=12,
    ),
    range_bytes=st.integers(1, 40),
    crlf=st.booleans(),
)
def test_any_quoted_text_in_ranges_reads_as_the_whole_file(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[tuple[int, str]],
    range_bytes: int,
    crlf: bool,
) -> None:
    frame = pl.DataFrame(rows, schema={"id": pl.Int64, "text": pl.String}, orient="row")
    text = frame.write_csv()
    path = tmp_path_factory.mktemp("ranges") / "a.csv"
    path.write_bytes((text.replace("\n", "\r\n") if crlf else text).encode())

    assert read_in_ranges(path, range_bytes=range_bytes).equals(read_whole(path))
