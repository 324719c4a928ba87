"""Ctrl-C during `hygge go`: running entities stop at a checkpoint, and the next run resumes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from tests.support.data import content_hash
from tests.support.workspace import read_lake, write_workspace

HYGGE = str(Path(sys.executable).with_name("hygge"))
FLOW = """\
home: {type: parquet, path: landing, batch_size: 2000}
store: {type: parquet, path: lake, batch_size: 2000}
entities: [events]
"""
# Chunks of a tenth of the million rows: a native chunk (parquet to parquet) sinks whole in well
# under a second, so a Ctrl-C lands between chunks while the run is still moving.
CHUNKED = "name: test\noptions: {checkpoint_rows: 100000}\n"


def test_ctrl_c_stops_at_a_checkpoint_and_the_next_go_resumes_without_loss(
    tmp_path: Path,
) -> None:
    root = write_workspace(tmp_path / "ws", {"feed": FLOW}, CHUNKED)
    (root / "landing" / "events").mkdir(parents=True)
    source = pl.DataFrame({"id": range(1_000_000), "payload": ["x" * 20] * 1_000_000})
    source.write_parquet(root / "landing" / "events" / "events.parquet", row_group_size=5000)
    go = subprocess.Popen(
        [HYGGE, "go"], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert go.stdout is not None
    started = go.stdout.readline() + go.stdout.readline()  # the header, then `start …`
    assert "start" in started, started
    staging = root / "lake" / "_hygge_staging" / "events"
    deadline = time.monotonic() + 30
    while not any(staging.glob("*/*.parquet*")) and time.monotonic() < deadline:
        time.sleep(0.01)  # wait until it is staging files: stop the run in the middle

    go.send_signal(signal.SIGINT)
    output = go.stdout.read()
    code = go.wait(timeout=60)

    assert code == 130, output
    assert "Cancelled" in output
    assert (root / ".hygge" / "checkpoints" / "feed" / "events.json").exists(), output
    assert not (root / "lake" / "events").exists()
    again = subprocess.run([HYGGE, "go"], cwd=root, capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "resume" in again.stdout
    assert content_hash(read_lake(root, "events")) == content_hash(source)


def _start_moving(root: Path) -> subprocess.Popen[str]:
    """`hygge go` of a million rows, returned once it is staging files (bounded wait)."""
    go = subprocess.Popen(
        [HYGGE, "go"], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    staging = root / "lake" / "_hygge_staging" / "events"
    deadline = time.monotonic() + 30
    while not any(staging.glob("*/*.parquet*")) and time.monotonic() < deadline:
        time.sleep(0.01)
    return go


def test_ctrl_c_keeps_the_rows_staged_since_the_last_checkpoint(tmp_path: Path) -> None:
    # The checkpoint the next run resumes from is the one saved where the cancel was seen: at
    # the batch (the batch path) or at the end of the chunk (the native path).
    root = write_workspace(tmp_path / "ws", {"feed": FLOW}, CHUNKED)
    (root / "landing" / "events").mkdir(parents=True)
    source = pl.DataFrame({"id": range(1_000_000), "payload": ["x" * 20] * 1_000_000})
    source.write_parquet(root / "landing" / "events" / "events.parquet", row_group_size=5000)
    go = _start_moving(root)

    go.send_signal(signal.SIGINT)
    output, _ = go.communicate(timeout=60)

    assert go.returncode == 130, output
    checkpoint = json.loads((root / ".hygge/checkpoints/feed/events.json").read_text())
    kept = checkpoint["rows"]
    assert kept > 0, output
    assert kept == 2000 * len(checkpoint["staging"]["artefacts"])  # every listed file is whole
    flowing = " ".join(output.split())  # lines may wrap at the console width
    assert f"Cancelled: {kept:,} rows staged and kept" in flowing
    assert f"(0 rows; {kept:,} rows kept for the next run)" in flowing
    assert "Traceback" not in output
    again = subprocess.run(
        [HYGGE, "go"], cwd=root, capture_output=True, text=True, timeout=120, check=False
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"({kept:,} rows staged before it stopped" in again.stdout
    assert content_hash(read_lake(root, "events")) == content_hash(source)


@pytest.mark.parametrize("delay", [0.15, 0.3, 0.5, 0.7])
def test_ctrl_c_while_hygge_starts_exits_130_with_one_line_and_no_traceback(
    tmp_path: Path, delay: float
) -> None:
    root = write_workspace(tmp_path / "ws", {"feed": FLOW})
    (root / "landing" / "events").mkdir(parents=True)
    pl.DataFrame({"id": range(10)}).write_parquet(root / "landing" / "events" / "e.parquet")
    go = subprocess.Popen(
        [HYGGE, "go"], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )

    time.sleep(delay)  # somewhere in the imports, loading or planning
    go.send_signal(signal.SIGINT)
    out, err = go.communicate(timeout=60)

    if err.startswith("Fatal Python error: init_import_site"):
        # A loaded machine: the signal came while the interpreter itself was still starting
        # (importing `site`, where an editable install's path finder may be running), before
        # any line of the hygge package ran; Python reports that itself.
        assert "/hygge/" not in err, err
        return
    assert "Traceback" not in err
    assert "KeyboardInterrupt" not in err
    if go.returncode == 0:
        assert "Done. 1 succeeded" in out  # it had finished before the signal came
    elif go.returncode == -signal.SIGINT:
        assert err == ""  # before Python installed its handler: the default action, silent
    elif "Cancelled" in out:  # start-up was over: the run was moving and stopped
        assert go.returncode == 130, err
        assert len(err.strip().splitlines()) <= 1, err
    else:
        assert go.returncode == 130, err
        assert len(err.strip().splitlines()) == 1, err
        assert "interrupted" in err  # at start-up, or while loading and planning
