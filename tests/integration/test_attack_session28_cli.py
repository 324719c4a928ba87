"""Session 28: `hygge go` as a new user runs it, attacked: two at once on one workspace (one
lands the files, the other is refused naming the lock's holder; the lake holds every row
once), from a subfolder of a workspace whose path has spaces and non-ASCII letters, and with
the file size limit (`ulimit -f`) too small for the store's files: the failure names the file
and leaves nothing staged, and the next run lands everything once. No defect found."""

from __future__ import annotations

import os
import resource
import subprocess
from pathlib import Path

import polars as pl

from tests.support.cli import HYGGE
from tests.support.workspace import read_lake, write_workspace

FLOW = """\
home: {type: local, path: landing, format: csv}
store: {type: parquet, path: lake}
run_type: incremental
entities: [events]
"""
ROWS = 100_000


def _workspace(root: Path) -> Path:
    ws = write_workspace(
        root, {"feed": FLOW}, project="name: t\noptions: {checkpoint_rows: 20000}\n"
    )
    (ws / "landing" / "events").mkdir(parents=True)
    names = [os.urandom(8).hex() for _ in range(ROWS)]  # not compressible much
    pl.DataFrame({"id": range(ROWS), "name": names}).write_csv(
        ws / "landing" / "events" / "ä b.csv"
    )
    return ws


def _start(cwd: Path, *args: str, **kwargs: object) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "HYGGE_FAULT"}
    return subprocess.Popen(
        [HYGGE, "go", *args], cwd=cwd, env={**env, "COLUMNS": "300"}, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs,  # type: ignore[call-overload]
    )  # fmt: skip


def _ended(child: subprocess.Popen[str]) -> tuple[int, str]:
    out, _ = child.communicate(timeout=300)
    return child.returncode, " ".join(out.split())


def _once(ws: Path) -> bool:
    lake = read_lake(ws, "events")
    return lake.height == ROWS and sorted(lake["id"]) == list(range(ROWS))


def test_two_runs_at_once_on_one_workspace_land_every_row_once(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "wørk space")

    ended = [_ended(child) for child in [_start(ws), _start(ws)]]

    codes = sorted(code for code, _ in ended)
    assert codes[0] == 0, ended
    for code, said in ended:
        assert "Traceback" not in said, said
        if code:
            assert "feed.events is being moved by run" in said, said
            assert "hygge unlock --flow feed --entity events" in said, said
    assert _once(ws)
    assert _ended(_start(ws))[0] == 0
    assert _once(ws)


def test_go_from_a_subfolder_of_a_workspace_with_spaces_and_letters_in_its_path(
    tmp_path: Path,
) -> None:
    ws = _workspace(tmp_path / "Døcuments" / "my wörk space")

    code, said = _ended(_start(ws / "flows" / "feed"))

    assert code == 0, said
    assert "100,000 rows" in said, said
    assert _once(ws)


def _small_files() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, resource.RLIM_INFINITY))


def test_a_file_size_limit_too_small_fails_naming_the_file_then_lands_once(
    tmp_path: Path,
) -> None:
    ws = _workspace(tmp_path / "ws")

    code, said = _ended(_start(ws, preexec_fn=_small_files))

    assert code == 1, said
    assert "cannot write parquet file" in said and "File too large" in said, said
    assert "Traceback" not in said, said
    lake = ws / "lake"
    assert not lake.exists() or not list(lake.rglob("*.parquet")), list(lake.rglob("*"))
    assert _ended(_start(ws))[0] == 0
    assert _once(ws)
