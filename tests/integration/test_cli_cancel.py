"""Ctrl-C during `hygge go`: running entities stop at a checkpoint, and the next run resumes."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

from tests.support.data import content_hash
from tests.support.workspace import read_lake, write_workspace

HYGGE = str(Path(sys.executable).with_name("hygge"))
FLOW = """\
home: {type: parquet, path: landing, batch_size: 2000}
store: {type: parquet, path: lake, batch_size: 2000}
entities: [events]
"""


def test_ctrl_c_stops_at_a_checkpoint_and_the_next_go_resumes_without_loss(
    tmp_path: Path,
) -> None:
    root = write_workspace(tmp_path / "ws", {"feed": FLOW})
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
    while not any(staging.glob("*/*.parquet")) and time.monotonic() < deadline:
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
