"""Session 25's attack on the file ledger (xxh3-128 digests; touch vs append vs rewrite), as a
hostile user: a csv rewritten in place with the same size and mtime (`touch -d`), a file
appended then truncated back, ledger records with garbage digests, the same content under two
names, ledger shard files cut short. Every run's lake is compared with the source files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hygge.config import load_workspace
from hygge.state.ledger import shard_of
from hygge.types import RunStatus
from tests.support.workspace import read_lake, run, write_workspace

FLOW = """\
home: {type: local, path: landing, format: csv, batch_size: 4%s}
store: {type: parquet, path: lake}
run_type: incremental
entities: [events]
"""


def _root(tmp_path: Path, home: str = "") -> Path:
    return write_workspace(tmp_path / "ws", {"feed": FLOW % home})


def _write(root: Path, name: str, text: str) -> Path:
    path = root / "landing" / "events" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _rows(root: Path) -> list[tuple[object, ...]]:
    lake = read_lake(root, "events")
    return sorted(lake.select("id", "name").rows()) if lake.height else []


def _shard(root: Path, name: str) -> Path:
    folder = load_workspace(root).state_dir / "files" / "feed" / "events"
    return folder / f"{shard_of(name)}.json"


def test_a_csv_rewritten_in_place_with_the_same_size_and_mtime_is_seen_as_changed(tmp_path):
    root = _root(tmp_path)
    path = _write(root, "a.csv", "id,name\n1,aa\n2,bb\n")
    assert run(root).ok
    before = path.stat()

    with path.open("r+") as file:  # the same inode, the same size, other content
        file.write("id,name\n3,cc\n4,dd\n")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # touch -d back
    assert path.stat().st_size == before.st_size

    (result,) = run(root).results

    assert result.status is RunStatus.FAIL  # changed_files: fail, the default
    assert "a.csv changed since it was loaded" in (result.message or "")
    assert _rows(root) == [(1, "aa"), (2, "bb")]


def test_a_file_appended_then_truncated_back_loads_nothing_again(tmp_path):
    root = _root(tmp_path)
    path = _write(root, "a.csv", "id,name\n1,aa\n2,bb\n")
    assert run(root).ok
    with path.open("a") as file:
        file.write("3,cc\n")
    os.truncate(path, len("id,name\n1,aa\n2,bb\n"))  # back to the bytes loaded

    (result,) = run(root).results

    assert result.status is not RunStatus.FAIL and result.rows == 0
    assert _rows(root) == [(1, "aa"), (2, "bb")]
    with path.open("a") as file:  # and a real append after that loads only the new row
        file.write("3,cc\n")
    (appended,) = run(root).results
    assert appended.rows == 1
    assert _rows(root) == [(1, "aa"), (2, "bb"), (3, "cc")]


@pytest.mark.parametrize(
    "digest",
    [
        pytest.param("garbage", id="no-algorithm"),
        pytest.param("sha256:" + "0" * 64, id="sha256-wrong"),
        pytest.param("xxh3_128:zz", id="xxh3-not-hex"),
        pytest.param("md5:d41d8cd98f00b204e9800998ecf8427e", id="unknown-algorithm"),
        pytest.param("", id="empty"),
    ],
)
def test_a_ledger_record_with_a_garbage_digest_counts_as_changed_never_as_touched(tmp_path, digest):
    root = _root(tmp_path, ", changed_files: skip")
    path = _write(root, "a.csv", "id,name\n1,aa\n")
    assert run(root).ok
    shard = _shard(root, "a.csv")
    stored = json.loads(shard.read_text())
    stored["records"]["a.csv"]["digest"] = digest
    shard.write_text(json.dumps(stored))
    with path.open("a") as file:  # grown: the loaded part is compared by its digest
        file.write("2,bb\n")

    (result,) = run(root).results

    assert result.status is not RunStatus.FAIL, result
    assert result.rows == 0  # changed_files: skip; never taken for an append of one row
    assert _rows(root) == [(1, "aa")]


def test_the_same_content_under_two_names_loads_twice(tmp_path):
    root = _root(tmp_path)
    _write(root, "a.csv", "id,name\n1,aa\n2,bb\n")
    assert run(root).ok
    _write(root, "copy-of-a.csv", "id,name\n1,aa\n2,bb\n")

    (result,) = run(root).results

    assert result.rows == 2  # a file is its path: the copy is a new file
    assert _rows(root) == [(1, "aa"), (1, "aa"), (2, "bb"), (2, "bb")]


@pytest.mark.parametrize("cut", [0, 1, 17], ids=["empty", "one-byte", "half-a-record"])
def test_a_ledger_shard_cut_short_fails_naming_the_file_and_what_to_do(tmp_path, cut):
    root = _root(tmp_path)
    _write(root, "a.csv", "id,name\n1,aa\n")
    assert run(root).ok
    shard = _shard(root, "a.csv")
    shard.write_bytes(shard.read_bytes()[:cut])
    _write(root, "b.csv", "id,name\n2,bb\n")

    (result,) = run(root).results

    assert result.status is RunStatus.FAIL
    text = result.message or ""
    assert str(shard) in text and "hygge" in text
    assert _rows(root) == [(1, "aa")]  # nothing read twice, nothing half loaded


def test_a_stray_file_in_the_ledger_folder_is_left_alone(tmp_path):
    root = _root(tmp_path)
    _write(root, "a.csv", "id,name\n1,aa\n")
    assert run(root).ok
    folder = _shard(root, "a.csv").parent
    (folder / "notes.txt").write_text("mine")
    (folder / "zz.json").write_text("{not json")
    _write(root, "b.csv", "id,name\n2,bb\n")

    report = run(root)

    assert report.ok, report.results
    assert _rows(root) == [(1, "aa"), (2, "bb")]
    assert (folder / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("first", ["", "id,name\n"], ids=["zero-bytes", "header-only"])
def test_an_empty_csv_loaded_then_written_to_loads_its_rows_once(tmp_path, first):
    root = _root(tmp_path)
    _write(root, "b.csv", "id,name\n9,zz\n")
    path = _write(root, "a.csv", first)
    assert run(root).ok
    with path.open("a") as file:
        file.write(("" if first else "id,name\n") + "1,aa\n")

    (grown,) = run(root).results

    assert grown.rows == 1, grown
    assert _rows(root) == [(1, "aa"), (9, "zz")]
    (again,) = run(root).results
    assert again.rows == 0
    assert _rows(root) == [(1, "aa"), (9, "zz")]


def _ledger(root: Path) -> list:  # type: ignore[type-arg]
    from tests.support.workspace import state_of

    names = sorted(p.name for p in (root / "landing" / "events").iterdir())
    found = state_of(load_workspace(root)).read_file_ledger("feed", "events", names)
    return [found[name] for name in names if name in found]


def test_a_local_file_is_recorded_with_its_ctime_and_a_chmod_reads_nothing_again(tmp_path):
    root = _root(tmp_path)
    path = _write(root, "a.csv", "id,name\n1,aa\n2,bb\n")
    assert run(root).ok
    (record,) = _ledger(root)
    assert record.version == f"ctime-{path.stat().st_ctime_ns:x}"

    path.chmod(0o600)  # its ctime changes, not its bytes
    (result,) = run(root).results

    assert result.status is not RunStatus.FAIL and result.rows == 0, result.message
    assert "touched (same content)" in (result.message or "")
    assert _ledger(root)[0].version == f"ctime-{path.stat().st_ctime_ns:x}"
    assert _rows(root) == [(1, "aa"), (2, "bb")]


def test_ledger_records_of_an_older_hygge_without_ctime_are_digested_once_not_reloaded(
    tmp_path,
):
    from tests.support.workspace import state_of

    root = _root(tmp_path)
    for name in ("a.csv", "b.csv"):
        _write(root, name, f"id,name\n{len(name)},{name}\n")
    _write(root, "c.csv", "id,name\n1,aa\n2,bb\n")
    assert run(root).ok
    state = state_of(load_workspace(root))
    old = [r.model_copy(update={"version": None}) for r in _ledger(root)]  # an older hygge's
    state.write_file_ledger("feed", "events", old)
    rows = _rows(root)

    (result,) = run(root).results

    assert result.status is not RunStatus.FAIL and result.rows == 0, result.message
    assert "touched" not in (result.message or "")  # only gained their tags: nothing to say
    assert all((r.version or "").startswith("ctime-") for r in _ledger(root))
    assert _rows(root) == rows
    (again,) = run(root).results  # and from now on unchanged files are not digested
    assert again.rows == 0
