"""`hygge go --dry-run` says which loaded files grew or changed, before anything moves."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.workspace import write_workspace

FLOW = """\
home: {type: local, path: landing, format: csv%s}
store: {type: parquet, path: lake}
run_type: incremental
entities: [events]
"""


def _workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: str = "") -> Path:
    root = write_workspace(tmp_path / "ws", {"feed": FLOW % home})
    (root / "landing" / "events").mkdir(parents=True)
    (root / "landing" / "events" / "a.csv").write_text("id\n1\n2\n")
    monkeypatch.chdir(root)
    return root / "landing" / "events" / "a.csv"


def _later(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))


def test_dry_run_says_a_loaded_file_grew(tmp_path, monkeypatch, invoke, wide):
    path = _workspace(tmp_path, monkeypatch)
    assert invoke("go").exit_code == 0
    with path.open("a") as out:
        out.write("3\n")
    _later(path)

    result = invoke("go", "--dry-run")

    assert result.exit_code == 0, result.stdout
    assert "file a.csv grew by 2 bytes after its 2 loaded rows: loading only its new rows" in (
        result.stdout
    )


def test_dry_run_shows_a_changed_file_as_a_problem(tmp_path, monkeypatch, invoke, wide):
    path = _workspace(tmp_path, monkeypatch)
    assert invoke("go").exit_code == 0
    path.write_text("id\n7\n")
    _later(path)

    result = invoke("go", "--dry-run")

    assert result.exit_code == 1
    text = " ".join(result.stdout.replace("│", " ").split())
    assert "home file a.csv changed since it was loaded (7 → 5 bytes" in text
    assert "changed_files: reload" in text
