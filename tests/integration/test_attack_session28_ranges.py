"""Session 28: csv files read in byte ranges (session 27), attacked from the CLI with the range
sizes made tiny. Generated files (quoted line breaks, "" escapes, CRLF, a BOM, no final line
break, multi-byte UTF-8 and rows longer than a range, so range edges fall inside characters
and quotes) land what the batch path lands. A file appended to while a run reads its ranges
fails the run naming it, and the next run lands every row once; a run killed between ranges
then a changed file (appended, truncated, replaced): --resume refuses naming the change, and
`hygge go` lands the new version once; a ranged file changed between runs follows
`changed_files` as a whole-file read does. No defect found: these pin the behaviour."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from hygge.engine import moving
from hygge.faults import CRASH_EXIT_CODE
from hygge.homes import file_scan
from tests.integration.test_native_text_chunks import KILLED
from tests.support.cli import in_process
from tests.support.data import content_hash, orders
from tests.support.workspace import REPO, read_lake, write_workspace

FLOW = """\
home: {type: local, path: landing, format: csv, changed_files: %s}
store: {type: parquet, path: lake}
run_type: %s
entities: [orders]
"""
SIX_ROWS = "name: t\noptions: {checkpoint_rows: 6}\n"  # 20 rows: ranges of 6, 6, 6, 2
WORDS = ["a", "é", "日本語", "😀x", 'q"uote', "line\nbreak", "cr\r\nlf", ",comma", "", " sp "]


def _cell(pick: random.Random) -> str:
    word = pick.choice(WORDS) + pick.choice(WORDS)
    if any(c in word for c in '",\n\r') or pick.random() < 0.2:
        return '"' + word.replace('"', '""') + '"'
    return word


def _generated(seed: int) -> bytes:
    pick = random.Random(seed)
    eol = pick.choice(["\n", "\r\n"])
    rows = ["id,text,n"]
    rows += [f"{i},{_cell(pick)},{pick.randint(-5, 10**6)}" for i in range(pick.randint(1, 60))]
    data = (eol.join(rows) + (eol if pick.random() < 0.7 else "")).encode()
    return b"\xef\xbb\xbf" + data if pick.random() < 0.3 else data


def _workspace(root: Path, data: bytes, *, mode: str = "fail", run_type: str = "full_drop") -> Path:
    ws = write_workspace(root, {"shop": FLOW % (mode, run_type)}, project=SIX_ROWS)
    (ws / "landing" / "orders").mkdir(parents=True)
    (ws / "landing" / "orders" / "a.csv").write_bytes(data)
    return ws


def _landed(ws: Path) -> tuple[object, ...]:
    code, said = in_process(ws, "go")
    assert code == 0, said
    lake = read_lake(ws, "orders")
    return lake.schema, sorted(lake.rows(), key=str)


@pytest.mark.parametrize("seed", range(12))
def test_generated_files_in_tiny_ranges_land_what_the_batch_path_lands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    data = _generated(seed)
    monkeypatch.setattr(file_scan, "WHOLE_BYTES", random.Random(seed).choice([10, 50, 200]))
    monkeypatch.setattr(file_scan, "RANGE_BYTES", random.Random(-seed).choice([16, 40, 64]))
    cut, real = [], file_scan.text_range
    monkeypatch.setattr(file_scan, "text_range", lambda *a, **k: cut.append(1) or real(*a, **k))
    ranged = _landed(_workspace(tmp_path / "ranged", data))
    assert len(cut) >= 2  # read in ranges, not whole
    monkeypatch.setattr(moving, "native_sides", lambda *args: None)

    assert ranged == _landed(_workspace(tmp_path / "batches", data))


def test_a_file_appended_to_while_its_ranges_are_read_fails_then_lands_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = _workspace(tmp_path, orders(20).write_csv().encode(), run_type="incremental")
    path = ws / "landing" / "orders" / "a.csv"
    real, calls = file_scan.text_range, []

    def appending(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 2:  # after the first range was sunk
            with path.open("a") as text:
                text.write(orders(5, start=20).write_csv(include_header=False))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(file_scan, "text_range", appending)
    code, said = in_process(ws, "go")
    assert code == 1, said
    assert f"{path} changed during the run (size 952 -> 1189" in said, said
    monkeypatch.setattr(file_scan, "text_range", real)

    code, said = in_process(ws, "go")

    assert code == 0, said
    assert sorted(read_lake(ws, "orders")["id"]) == list(range(25))
    assert in_process(ws, "go")[0] == 0
    assert read_lake(ws, "orders").height == 25


CHANGES = {
    "appended": lambda text: text + orders(5, start=20).write_csv(include_header=False),
    "truncated": lambda text: orders(8).write_csv(),
    "replaced": lambda text: orders(20, start=100).write_csv(),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_file_changed_after_a_kill_between_ranges_is_refused_on_resume_then_lands_once(
    tmp_path: Path, change: str
) -> None:
    ws = _workspace(tmp_path, orders(20).write_csv().encode(), run_type="incremental")
    path = ws / "landing" / "orders" / "a.csv"
    env = {**os.environ, "HYGGE_FAULT": "after_checkpoint:exit:2"}
    command = [sys.executable, "-c", KILLED, str(ws)]
    died = subprocess.run(command, cwd=REPO, env=env, capture_output=True, check=False)
    assert died.returncode == CRASH_EXIT_CODE, died.stderr
    new = CHANGES[change](path.read_text())
    path.write_text(new)

    code, said = in_process(ws, "go", "--resume")
    assert code == 1, said
    assert f"{path} changed during the run" in said, said
    code, said = in_process(ws, "go")

    assert code == 0, said
    expected = pl.read_csv(new.encode())
    lake = read_lake(ws, "orders")
    assert lake.height == expected.height
    assert content_hash(lake.sort("id")) == content_hash(expected.sort("id"))


@pytest.mark.parametrize(
    ("mode", "ids"),
    [
        ("fail", list(range(20))),
        ("skip", list(range(20))),
        ("reload", sorted([*range(20), *range(8)])),
    ],
)
def test_a_ranged_file_truncated_between_runs_follows_changed_files(
    tmp_path: Path, mode: str, ids: list[int]
) -> None:
    ws = _workspace(tmp_path, orders(20).write_csv().encode(), mode=mode, run_type="incremental")
    assert in_process(ws, "go")[0] == 0
    (ws / "landing" / "orders" / "a.csv").write_text(orders(8).write_csv())

    code, said = in_process(ws, "go")

    assert code == (1 if mode == "fail" else 0), said
    if mode == "fail":
        assert "a.csv" in said and "changed_files: reload" in said, said
    assert sorted(read_lake(ws, "orders")["id"]) == ids


def test_a_ranged_file_whose_last_line_had_no_break_loads_only_its_appended_rows(
    tmp_path: Path,
) -> None:
    text = orders(20).write_csv().rstrip("\n")
    ws = _workspace(tmp_path, text.encode(), run_type="incremental")
    assert in_process(ws, "go")[0] == 0
    with (ws / "landing" / "orders" / "a.csv").open("a") as file:
        file.write("\n" + orders(3, start=50).write_csv(include_header=False))

    code, said = in_process(ws, "go")

    assert code == 0, said
    assert "grew by" in said and "after its 20 loaded rows" in said, said
    assert sorted(read_lake(ws, "orders")["id"]) == [*range(20), 50, 51, 52]
