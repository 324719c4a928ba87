"""`make demo-exactly-once` (demo/exactly_once.py): a real kill -9 mid-run, a resume, no loss.

The end-to-end test runs the script as a user would, small (DEMO_ROWS) and in a temporary
workspace (DEMO_DIR), then checks the lake it left with its own reader, not the script's.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest

from tests.support.data import content_hash

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "demo" / "exactly_once.py"
KEYS = ["l_orderkey", "l_linenumber"]


def run_script(workspace: Path, rows: str = "20000") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HYGGE_FAULT"}
    env |= {"DEMO_ROWS": rows, "DEMO_DIR": str(workspace)}
    return subprocess.run(
        [sys.executable, str(SCRIPT)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )


@pytest.fixture
def demo() -> Iterator[ModuleType]:
    """The script imported as a module; its sys.path entry for bench/ is undone afterwards."""
    saved_path = list(sys.path)
    spec = importlib.util.spec_from_file_location("exactly_once", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["exactly_once"] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path[:] = saved_path
        for name in ("exactly_once", "lineitem"):
            sys.modules.pop(name, None)


def test_demo_kills_a_run_mid_move_and_the_resume_loads_every_row_exactly_once(
    tmp_path: Path,
) -> None:
    workspace = tmp_path / "demo"

    done = run_script(workspace)

    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "✗" not in out
    assert re.search(r"rows staged and the next chunk is writing files: kill -9 \d+", out)
    assert "✓ lock file still names pid" in out
    assert "✓ lake == landing before the delta: 20,200 rows" in out
    assert re.search(r"^resume\s+tpch\.lineitem", out, re.MULTILINE)
    assert "✓ hygge said it resumed tpch.lineitem" in out
    assert re.search(r"✓ journal: killed run \w+ tells the story: .*fail, resumed 0", out)
    assert re.search(r"✓ journal: killed run \w+ tells the story: .*success, resumed 1", out)
    assert "✓ no checkpoint, lock or staging left" in out
    assert "✓ Exactly once" in out
    landing = pl.read_parquet(workspace / "landing" / "lineitem" / "*.parquet")
    lake = pl.read_parquet(workspace / "lake" / "lineitem" / "*.parquet").select(landing.columns)
    assert lake.height == landing.height > 20_200
    assert content_hash(lake) == content_hash(landing)
    assert lake.select(KEYS).n_unique() == lake.height


def test_demo_refuses_to_wipe_a_folder_it_did_not_make(tmp_path: Path) -> None:
    workspace = tmp_path / "precious"
    workspace.mkdir()
    (workspace / "notes.txt").write_text("keep me")

    done = run_script(workspace)

    assert done.returncode != 0
    assert "not made by this demo; set DEMO_DIR to a new or empty folder" in done.stderr
    assert (workspace / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize(
    "rows", [pytest.param("lots", id="not-a-number"), pytest.param("99", id="too-few")]
)
def test_demo_rejects_a_demo_rows_that_is_not_a_usable_count(tmp_path: Path, rows: str) -> None:
    done = run_script(tmp_path / "demo", rows=rows)

    assert done.returncode != 0
    assert f"DEMO_ROWS must be a whole number of rows, at least 100 (got {rows!r})" in done.stderr
    assert not (tmp_path / "demo").exists()


def test_demo_refuses_to_run_with_injected_faults(tmp_path: Path) -> None:
    env = {**os.environ, "HYGGE_FAULT": "after_stage:exit", "DEMO_DIR": str(tmp_path / "demo")}

    done = subprocess.run(
        [sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, check=False
    )

    assert done.returncode != 0
    assert "HYGGE_FAULT is set" in done.stderr
    assert not (tmp_path / "demo").exists()


@pytest.mark.parametrize(
    ("exit_status", "phase", "mid_move"),
    [
        pytest.param(-9, "moving", True, id="killed-while-moving"),
        pytest.param(0, None, False, id="finished-before-the-kill"),
        pytest.param(-9, "publishing", False, id="killed-after-publishing-began"),
        pytest.param(-9, None, False, id="killed-without-a-checkpoint"),
    ],
)
def test_only_a_kill_while_moving_counts_as_a_mid_run_kill(
    demo: ModuleType, exit_status: int, phase: str | None, mid_move: bool
) -> None:
    checkpoint = None if phase is None else {"phase": phase}

    kill = demo.Kill(pid=1234, exit_status=exit_status, checkpoint=checkpoint)

    assert kill.mid_move is mid_move


def test_a_failed_check_makes_the_demo_exit_non_zero_and_names_it(
    demo: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    verdict = demo.Verdict()
    verdict.check(True, "lake == landing")
    verdict.check(False, "no duplicate keys")

    code = demo.conclude(verdict)

    out = capsys.readouterr().out
    assert code == 1
    assert "✗ FAILED: no duplicate keys" in out
    assert "1 check(s) failed" in out
    assert "Exactly once" not in out
