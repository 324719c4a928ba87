"""Session 27: odd landing files through `hygge go` of an incremental csv entity, and the
ways a user changes a loaded file without changing (or while hiding) its content: touch,
chmod, `cp -p` of the same bytes, a same-size rewrite with its mtime put back, a hard link
swapped in (`ln -f`), another file moved over it (`mv`). After each the lake is compared
with the source (count and content hash): nothing lost, nothing doubled; a change hygge
cannot load safely fails naming the file, and the lake stays as it was."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import polars as pl
import pytest

from tests.support.cli import in_process
from tests.support.data import content_hash
from tests.support.workspace import read_lake, write_workspace

FLOW = """\
home: {type: local, path: landing, format: csv}
store: {type: parquet, path: lake}
run_type: incremental
entities: [events]
"""


def _workspace(tmp_path: Path, files: dict[str, bytes]) -> Path:
    ws = write_workspace(tmp_path / "ws", {"feed": FLOW})
    landing = ws / "landing" / "events"
    landing.mkdir(parents=True)
    for name, raw in files.items():
        (landing / name).write_bytes(raw)
    return ws


def _go(ws: Path) -> tuple[int, str]:
    return in_process(ws, "go")


def _text(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(pl.col("id", "name").cast(pl.String))


def _assert_lake_holds(ws: Path, *sources: bytes) -> None:
    source = pl.concat([_text(pl.read_csv(raw, infer_schema=False)) for raw in sources])
    lake = _text(read_lake(ws, "events"))
    assert lake.height == source.height
    assert content_hash(lake) == content_hash(source)


A = b"id,name\n1,alpha\n2,beta\n"
SAME_SIZE = b"id,name\n1,alpha\n2,BETA\n"


def test_a_window_holding_only_a_byte_order_mark_fails_saying_so(tmp_path):
    ws = _workspace(tmp_path, {"a.csv": b"\xef\xbb\xbf"})

    code, said = _go(ws)

    assert code == 1, said
    assert "a.csv: it holds no header, only a UTF-8 byte-order mark" in said, said
    assert read_lake(ws, "events").height == 0


BLANK = {"bom only": b"\xef\xbb\xbf", "blank lines": b"\n\n", "bom, crlf": b"\xef\xbb\xbf\r\n"}


@pytest.mark.parametrize("blank", list(BLANK))
def test_a_headerless_file_after_the_first_is_read_as_empty_like_a_0_byte_one(tmp_path, blank):
    ws = _workspace(tmp_path, {"a.csv": A, "b.csv": BLANK[blank], "c.csv": b""})

    code, said = _go(ws)

    assert code == 0, said
    _assert_lake_holds(ws, A)


@pytest.mark.parametrize("blank", list(BLANK))
def test_a_headerless_file_named_first_is_read_as_empty_like_one_named_later(tmp_path, blank):
    ws = _workspace(tmp_path, {"a.csv": BLANK[blank], "b.csv": A})

    code, said = _go(ws)

    assert code == 0, said
    _assert_lake_holds(ws, A)


def test_nul_bytes_and_a_50_mb_line_land_byte_for_byte(tmp_path):
    huge = b"x" * 50_000_000
    raw = b"id,name\n1,a\x00b\n2," + huge + b"\n3,\x00\n"
    ws = _workspace(tmp_path, {"a.csv": raw, "b.csv": b""})

    code, said = _go(ws)

    assert code == 0, said
    names = read_lake(ws, "events").sort("id")["name"].to_list()
    assert names == ["a\x00b", huge.decode(), "\x00"]


@pytest.mark.parametrize(
    "change",
    ["touch", "chmod", "cp -p same bytes", "copy of the folder"],
)
def test_a_change_that_keeps_the_content_reads_nothing_again(tmp_path, change):
    ws = _workspace(tmp_path, {"a.csv": A})
    assert _go(ws)[0] == 0
    path = ws / "landing" / "events" / "a.csv"
    if change == "touch":
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    elif change == "chmod":
        path.chmod(0o600)
    elif change == "cp -p same bytes":
        spare = tmp_path / "spare.csv"
        spare.write_bytes(A)
        shutil.copy2(spare, path)
    else:
        landing = ws / "landing" / "events"
        shutil.copytree(landing, tmp_path / "copy", copy_function=shutil.copy2)
        shutil.rmtree(landing)
        shutil.move(tmp_path / "copy", landing)

    code, said = _go(ws)

    assert code == 0, said
    assert "skip" in said and "touched (same content)" in said, said
    _assert_lake_holds(ws, A)


@pytest.mark.parametrize("swap", ["rewrite, mtime put back", "cp -p", "ln -f", "mv over it"])
def test_same_size_other_content_with_the_old_mtime_fails_naming_the_file(tmp_path, swap):
    ws = _workspace(tmp_path, {"a.csv": A})
    assert _go(ws)[0] == 0
    path = ws / "landing" / "events" / "a.csv"
    before = path.stat()
    other = tmp_path / "other.csv"
    other.write_bytes(SAME_SIZE)
    os.utime(other, ns=(before.st_atime_ns, before.st_mtime_ns))
    if swap == "rewrite, mtime put back":
        path.write_bytes(SAME_SIZE)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    elif swap == "cp -p":
        shutil.copy2(other, path)
    elif swap == "ln -f":
        path.unlink()
        os.link(other, path)
    else:
        other.replace(path)
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)

    code, said = _go(ws)

    assert code == 1, said
    assert "home file a.csv changed since it was loaded" in said, said
    _assert_lake_holds(ws, A)  # nothing more published
