"""Incremental file loads when a loaded file changes: appends load once, nothing doubles.

Each loaded file is recorded with its size, the rows loaded and a digest of the loaded bytes.
A csv/ndjson file that grew by whole lines loads only its new rows; a touched file (same
content, new mtime) loads nothing; any other change is `changed_files` on the home: `fail`
(the default, naming the file), `reload` (read it whole again) or `skip` (leave it unread).
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.types import RunStatus
from tests.support.workspace import read_lake, run, state_of, write_workspace

FLOW = """\
home: {type: local, path: landing, format: %s%s}
store: {type: parquet, path: lake}
run_type: incremental
entities: [events]
"""
LINES = {
    "csv": ("id,name\n", "{i},n{i}\n"),
    "ndjson": ("", '{{"id": {i}, "name": "n{i}"}}\n'),
}


def workspace(root: Path, fmt: str, home: str = "") -> Path:
    return write_workspace(root, {"feed": FLOW % (fmt, home)})


def source(root: Path, fmt: str) -> Path:
    return root / "landing" / "events" / f"a.{fmt}"


def write_rows(root: Path, fmt: str, ids: range, *, append: bool = False) -> Path:
    path = source(root, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    header, line = LINES[fmt]
    text = "".join(line.format(i=i) for i in ids)
    with path.open("a" if append else "w") as out:
        out.write(text if append else header + text)
    return path


def later_mtime(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))


def lake_ids(root: Path) -> list[int]:
    return sorted(read_lake(root, "events")["id"].to_list())


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
def test_rows_appended_to_a_loaded_file_load_once(tmp_path, fmt):
    root = workspace(tmp_path / "ws", fmt)
    write_rows(root, fmt, range(3))
    assert run(root).ok
    later_mtime(write_rows(root, fmt, range(3, 5), append=True))

    (result,) = run(root).results

    assert result.status is RunStatus.SUCCESS and result.rows == 2
    assert lake_ids(root) == [0, 1, 2, 3, 4]
    assert f"file a.{fmt} grew by" in (result.message or "")
    assert "loading only its new rows" in (result.message or "")


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
def test_a_file_appended_twice_loads_each_new_part_once(tmp_path, fmt):
    root = workspace(tmp_path / "ws", fmt)
    write_rows(root, fmt, range(2))
    assert run(root).ok
    later_mtime(write_rows(root, fmt, range(2, 4), append=True))
    assert run(root).ok
    path = write_rows(root, fmt, range(4, 5), append=True)
    later_mtime(path)
    later_mtime(path)

    assert run(root).ok

    assert lake_ids(root) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "parquet"])
def test_a_touched_file_loads_nothing_again(tmp_path, fmt):
    root = workspace(tmp_path / "ws", fmt)
    if fmt == "parquet":
        path = source(root, fmt)
        path.parent.mkdir(parents=True)
        pl.DataFrame({"id": [0, 1, 2]}).write_parquet(path)
    else:
        path = write_rows(root, fmt, range(3))
    assert run(root).ok
    later_mtime(path)

    (result,) = run(root).results

    assert result.status is RunStatus.SKIP
    assert "touched" in (result.message or "")
    assert lake_ids(root) == [0, 1, 2]
    assert run(root).results[0].message == "no rows"  # recorded with its new mtime


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_rewritten_file_fails_by_default_naming_the_file_and_the_choice(tmp_path, fmt):
    root = workspace(tmp_path / "ws", fmt)
    path = source(root, fmt)
    path.parent.mkdir(parents=True)
    pl.DataFrame({"id": [0, 1, 2]}).write_csv(path) if fmt == "csv" else pl.DataFrame(
        {"id": [0, 1, 2]}
    ).write_parquet(path)
    assert run(root).ok
    frame = pl.DataFrame({"id": [7, 8, 9, 10]})
    frame.write_csv(path) if fmt == "csv" else frame.write_parquet(path)
    later_mtime(path)

    (result,) = run(root).results

    assert result.status is RunStatus.FAIL
    message = result.message or ""
    assert f"a.{fmt}" in message and "changed since it was loaded" in message
    assert "changed_files: reload" in message and "changed_files: skip" in message
    assert lake_ids(root) == [0, 1, 2]


def test_a_rewritten_file_is_read_whole_again_with_changed_files_reload(tmp_path):
    root = workspace(tmp_path / "ws", "csv", ", changed_files: reload")
    write_rows(root, "csv", range(3))
    assert run(root).ok
    later_mtime(write_rows(root, "csv", range(10, 12)))

    (result,) = run(root).results

    assert result.status is RunStatus.SUCCESS and result.rows == 2
    assert "read again whole" in (result.message or "")
    assert lake_ids(root) == [0, 1, 2, 10, 11]


def test_a_rewritten_file_is_left_unread_with_changed_files_skip(tmp_path):
    root = workspace(tmp_path / "ws", "csv", ", changed_files: skip")
    write_rows(root, "csv", range(3))
    assert run(root).ok
    later_mtime(write_rows(root, "csv", range(10, 12)))

    (result,) = run(root).results

    assert result.status is RunStatus.SKIP
    assert "left unread" in (result.message or "")
    assert lake_ids(root) == [0, 1, 2]


def test_a_file_whose_last_loaded_line_grew_counts_as_changed(tmp_path):
    root = workspace(tmp_path / "ws", "csv")
    path = source(root, "csv")
    path.parent.mkdir(parents=True)
    path.write_text("id,name\n0,n0\n1,n1")  # no newline after the last row
    assert run(root).ok
    with path.open("a") as out:
        out.write("x\n2,n2\n")  # the loaded row 1 became `1,n1x`
    later_mtime(path)

    (result,) = run(root).results

    assert result.status is RunStatus.FAIL
    assert "changed since it was loaded" in (result.message or "")


def as_older_hygge(root: Path, *, with_records: bool) -> None:
    """Move the ledger's records into the watermark, as a hygge before the ledger kept them
    (`files` fingerprints; `file_records` too, unless the hygge was older still)."""
    state = state_of(load_workspace(root))
    paths = [p.name for p in (root / "landing" / "events").iterdir()]
    records = list(state.read_file_ledger("feed", "events", paths).values())
    old = state.get_watermark("feed", "events")
    assert old is not None and records
    state.clear_file_ledger("feed", "events")
    lists = {
        "files": [f"{r.path}|{r.size}|{r.mtime_ns}" for r in records],
        "file_records": records if with_records else None,
    }
    state.set_watermark("feed", "events", old.model_copy(update=lists))


def test_a_watermark_written_before_file_records_still_loads(tmp_path):
    root = workspace(tmp_path / "ws", "csv")
    write_rows(root, "csv", range(3))
    assert run(root).ok
    as_older_hygge(root, with_records=False)
    write_rows(root, "csv", range(3, 4)).rename(source(root, "csv").with_name("b.csv"))

    (result,) = run(root).results

    assert result.status is RunStatus.SUCCESS and result.rows == 1
    assert lake_ids(root) == [0, 1, 2, 3]


def test_an_older_watermarks_file_lists_move_to_the_ledger_on_the_next_commit(tmp_path):
    root = workspace(tmp_path / "ws", "csv")
    path = write_rows(root, "csv", range(3))
    assert run(root).ok
    state = state_of(load_workspace(root))
    (loaded,) = state.read_file_ledger("feed", "events", ["a.csv"]).values()
    as_older_hygge(root, with_records=True)
    path.with_name("b.csv").write_text("id,name\n3,n3\n")

    assert run(root).results[0].rows == 1
    migrated = state.get_watermark("feed", "events")
    assert migrated is not None and migrated.files is None and migrated.file_records is None
    ledger = state.read_file_ledger("feed", "events", ["a.csv", "b.csv"])
    assert ledger["a.csv"] == loaded and ledger["b.csv"].rows == 1
    later_mtime(path)  # the migrated record still knows a touched file from a changed one
    (result,) = run(root).results
    assert result.rows == 0 and "touched (same content)" in (result.message or "")
    assert lake_ids(root) == [0, 1, 2, 3]


def test_a_file_without_a_final_newline_appended_to_loads_only_its_new_rows(tmp_path):
    root = workspace(tmp_path / "ws", "csv")
    path = source(root, "csv")
    path.parent.mkdir(parents=True)
    path.write_text("id,name\n0,n0\n1,n1")
    assert run(root).ok
    with path.open("a") as out:
        out.write("\n2,n2\n3,n3")
    later_mtime(path)

    (result,) = run(root).results

    assert result.status is RunStatus.SUCCESS and result.rows == 2
    assert lake_ids(root) == [0, 1, 2, 3]


def test_a_changed_file_known_only_by_an_old_fingerprint_is_read_whole_as_before(tmp_path):
    root = workspace(tmp_path / "ws", "csv")
    path = write_rows(root, "csv", range(3))
    assert run(root).ok
    as_older_hygge(root, with_records=False)
    later_mtime(path)

    (result,) = run(root).results

    assert result.status is RunStatus.SUCCESS
    assert "read again whole, as before" in (result.message or "")
    assert lake_ids(root) == [0, 0, 1, 1, 2, 2]
    state = state_of(load_workspace(root))
    (upgraded,) = state.read_file_ledger("feed", "events", ["a.csv"]).values()
    assert upgraded.digest is not None and upgraded.rows == 3


def test_an_unknown_changed_files_choice_is_refused_when_the_workspace_loads(tmp_path):
    from hygge.errors import ConfigError

    root = workspace(tmp_path / "ws", "csv", ", changed_files: maybe")

    expected = r"line \d+: invalid value .maybe. for .home.changed_files"
    with pytest.raises(ConfigError, match=expected):
        load_workspace(root)
