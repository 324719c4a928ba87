"""Session 26's attack on native csv/ndjson chunks of several whole files (a row estimate from
each file's first 64 KiB, one sink, polars counting each file's rows): estimates wildly wrong
both ways, a 1-row file beside one of many chunks' rows, files with and without a trailing
newline, header only, CRLF, a BOM, quoted line breaks, blank lines, and a file that grows or
shrinks between the count and the sink. The lake is compared with the source files (count and
content hash), and the many-file path is checked to have been taken."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from hygge.cli.app import app
from hygge.homes import file_scan
from tests.support.data import content_hash
from tests.support.workspace import read_lake, write_workspace

FLOW = """\
home: {type: local, path: landing, format: %s}
store: {type: parquet, path: lake}
run_type: incremental
entities: [events]
"""
HEADER = b"id,name\n"


def _workspace(tmp_path: Path, files: dict[str, bytes], rows: int, fmt: str = "csv") -> Path:
    project = f"name: t\noptions: {{checkpoint_rows: {rows}}}\n"
    ws = write_workspace(tmp_path / "ws", {"feed": FLOW % fmt}, project)
    landing = ws / "landing" / "events"
    landing.mkdir(parents=True)
    for name, raw in files.items():
        (landing / name).write_bytes(raw)
    return ws


def _go(ws: Path) -> tuple[int, str]:
    done = CliRunner(env={"COLUMNS": "400"}).invoke(app, ["go", "-w", str(ws)])
    return done.exit_code, " ".join(done.output.split())


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(pl.col("id", "name").cast(pl.String))


def _source(ws: Path) -> pl.DataFrame:
    """Every landed csv file read by itself (polars, all columns as text)."""
    files = sorted(p for p in (ws / "landing" / "events").iterdir() if p.stat().st_size)
    return pl.concat([_as_text(pl.read_csv(p, infer_schema=False)) for p in files])


def _assert_lake_is(ws: Path, source: pl.DataFrame) -> None:
    lake = _as_text(read_lake(ws, "events"))
    assert lake.height == source.height
    assert content_hash(lake) == content_hash(source)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of files of each many-file chunk polars counted."""
    seen: list[int] = []
    real = file_scan._counts

    def counting(frames: list[pl.LazyFrame]) -> list[int]:
        seen.append(len(frames))
        return real(frames)

    monkeypatch.setattr(file_scan, "_counts", counting)
    return seen


def _rows(first: int, count: int, width: int = 1) -> bytes:
    return b"".join(b"%d,%s\n" % (i, b"x" * width) for i in range(first, first + count))


ENDINGS = {
    "no trailing newline": b"id,name\n1,a\n2,b",
    "header only": b"id,name\n",
    "header only, no newline": b"id,name",
    "crlf": b"id,name\r\n3,c\r\n4,d\r\n",
    "crlf, no trailing newline": b"id,name\r\n5,e\r\n6,f",
    "bom": b"\xef\xbb\xbfid,name\n7,g\n8,h\n",
    "bom and crlf": b"\xef\xbb\xbfid,name\r\n9,i\r\n",
    "quoted line breaks": b'id,name\n10,"multi\nline"\n11,"cr\r\nlf"\n',
    "blank lines": b"id,name\n12,l\n\n13,m\n\n",
}


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_a_many_file_chunk_with_an_odd_file_lands_every_row_once(tmp_path, counted, ending):
    files = {"a.csv": b"id,name\n100,a\n", "b.csv": ENDINGS[ending], "c.csv": b"id,name\n200,c\n"}
    ws = _workspace(tmp_path, files, rows=1000)

    code, said = _go(ws)

    assert code == 0, said
    assert counted == [3]  # one chunk of the three files
    _assert_lake_is(ws, _source(ws))


def test_every_odd_file_in_one_chunk_lands_every_row_once(tmp_path, counted):
    files = {f"{n:02d}.csv": raw for n, raw in enumerate(ENDINGS.values())}
    ws = _workspace(tmp_path, files, rows=1000)

    code, said = _go(ws)

    assert code == 0, said
    assert counted and max(counted) > 1
    _assert_lake_is(ws, _source(ws))


def test_short_rows_first_then_huge_ones_overestimate_and_land_once(tmp_path):
    # ~90 KiB of short rows, then 600 KB of long ones: ~95,000 rows estimated for 12,150
    head = _rows(0, 12_000)
    files = {"a.csv": HEADER + head + _rows(12_000, 150, width=4000), "b.csv": HEADER + b"1,z\n"}
    files.update({f"c{n}.csv": HEADER + _rows(20_000 + n, 1) for n in range(4)})
    ws = _workspace(tmp_path, files, rows=40_000)

    code, said = _go(ws)

    assert code == 0, said
    _assert_lake_is(ws, _source(ws))


def test_huge_rows_first_then_short_ones_underestimate_and_land_once(tmp_path, counted):
    first = HEADER + _rows(0, 2, width=70_000) + _rows(2, 5_000)  # estimated at 2 rows
    files = {"a.csv": first, "b.csv": HEADER + _rows(10_000, 3_000), "c.csv": HEADER + b"1,z\n"}
    ws = _workspace(tmp_path, files, rows=1_000)

    code, said = _go(ws)

    assert code == 0, said
    _assert_lake_is(ws, _source(ws))


@pytest.mark.parametrize("big", [1_500, 3_000], ids=["native-first", "batch-path"])
def test_a_one_row_file_beside_one_of_many_chunks_lands_once(tmp_path, big):
    """Scaled down from 1 row beside 3M (checkpoint_rows 1M): the big file under twice the
    chunk's rows goes native by itself, at twice or more the batch path."""
    files = {"a.csv": HEADER + b"0,a\n", "b.csv": HEADER + _rows(1, big), "c.csv": HEADER}
    ws = _workspace(tmp_path, files, rows=1_000)

    code, said = _go(ws)

    assert code == 0, said
    _assert_lake_is(ws, _source(ws))
    assert _go(ws)[0] == 0  # nothing new: nothing doubled
    _assert_lake_is(ws, _source(ws))


@pytest.mark.parametrize(
    "change",
    [b"id,name\n3,c\n4,d\n5,e\n", b"id,name\n"],
    ids=["grows", "shrinks"],
)
def test_a_file_changed_between_count_and_sink_fails_then_lands_once(tmp_path, monkeypatch, change):
    files = {"a.csv": b"id,name\n1,a\n2,b\n", "b.csv": b"id,name\n3,c\n4,d\n"}
    ws = _workspace(tmp_path, files, rows=1000)
    real = file_scan._counts

    def changing(frames: list[pl.LazyFrame]) -> list[int]:
        counts = real(frames)
        (ws / "landing" / "events" / "b.csv").write_bytes(change)
        return counts

    monkeypatch.setattr(file_scan, "_counts", changing)
    code, said = _go(ws)

    assert code == 1, said
    assert "b.csv changed during the run" in said, said
    assert read_lake(ws, "events").height == 0  # nothing published
    monkeypatch.setattr(file_scan, "_counts", real)
    assert _go(ws)[0] == 0
    _assert_lake_is(ws, _source(ws))


def test_ndjson_files_with_crlf_blank_lines_and_no_newline_land_once(tmp_path, counted):
    files = {
        "a.ndjson": b'{"id":1,"name":"a"}\n{"id":2,"name":"b"}',
        "b.ndjson": b"",
        "c.ndjson": b'{"id":3,"name":"c"}\r\n{"id":4,"name":"d"}\r\n',
        "d.ndjson": b'{"id":5,"name":"e"}\n\n',
    }
    ws = _workspace(tmp_path, files, rows=1000, fmt="ndjson")

    code, said = _go(ws)

    assert code == 0, said
    assert counted == [3]
    source = pl.DataFrame({"id": ["1", "2", "3", "4", "5"], "name": list("abcde")})
    _assert_lake_is(ws, source)
