"""`make demo-exactly-once`: load, add rows, kill -9 a run mid-move, rerun; prove exactly-once.

It runs hygge the way a user does (the `hygge` command in a workspace folder) over a
TPC-H-lineitem-like landing zone with a monotone `updated_at`, loaded incrementally by that
watermark. A run is killed with a real SIGKILL once its checkpoint shows rows moved and the
next chunk is staging files; the next `hygge go` resumes it. Each step checks the lake against
the landing zone by row count, an order-insensitive content hash and distinct keys; any failed
check makes the exit code 1.

DEMO_ROWS (default 3,000,000) sizes the first load; DEMO_DIR (default `.demo-exactly-once/`)
is the workspace folder, wiped on every run (only if this demo made it).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

REPO = Path(__file__).resolve().parent.parent
HYGGE = str(Path(sys.executable).with_name("hygge"))
sys.path.insert(0, str(REPO / "bench"))
from lineitem import lineitem  # noqa: E402  (bench/ is a folder of scripts, not a package)

FLOW, ENTITY = "tpch", "lineitem"
KEYS = ["l_orderkey", "l_linenumber"]
MARKER = ".made-by-exactly-once-demo"
ROWS_PER_FILE = 1_000_000
# The killed run writes small files so it is still moving when its first checkpoint lands.
KILL_BATCH_SIZE = 10_000
# A run checkpoints every CHUNK_ROWS rows (options.checkpoint_rows): the killed delta spans
# several chunks, so there is a checkpoint with rows > 0 while later chunks are still moving.
CHUNK_ROWS = 200_000
KILL_ATTEMPTS = 3
CHECKPOINT_TIMEOUT = 120.0

FLOW_YML = """\
# Lineitem files land in landing/lineitem/; each run loads the rows past the watermark.
home:
  type: parquet
  path: landing
store:
  type: parquet
  path: lake
  batch_size: 100000         # rows per parquet file in the lake
run_type: incremental
watermark:
  column: updated_at
  key_columns: [l_orderkey, l_linenumber]
entities:
  - lineitem
"""


@dataclass
class Verdict:
    """Every check of the demo: printed as it happens, counted at the end."""

    failures: list[str] = field(default_factory=list)

    def check(self, ok: bool, text: str) -> bool:
        print(f"   {'✓' if ok else '✗ FAILED:'} {text}", flush=True)
        if not ok:
            self.failures.append(text)
        return ok


@dataclass
class Landing:
    """The landing zone: which files landed, in order, and the next row id."""

    folder: Path
    files: list[Path] = field(default_factory=list)
    rows: int = 0

    def land(self, count: int, files: int) -> None:
        """Write `count` new rows (later ids, later `updated_at`) as `files` new files."""
        self.folder.mkdir(parents=True, exist_ok=True)
        size = math.ceil(count / files)
        for first in range(self.rows, self.rows + count, size):
            path = self.folder / f"lineitem-{first:012d}.parquet"
            lineitem(first, min(size, self.rows + count - first)).write_parquet(path)
            self.files.append(path)
        self.rows += count


@dataclass
class Kill:
    """How the killed run ended, and the checkpoint it left (None: none left)."""

    pid: int
    exit_status: int | None
    checkpoint: dict[str, Any] | None

    @property
    def mid_move(self) -> bool:
        """Killed by SIGKILL while still moving, before publishing began."""
        return (
            self.exit_status == -signal.SIGKILL
            and self.checkpoint is not None
            and self.checkpoint["phase"] == "moving"
        )


def main() -> int:
    if os.environ.get("HYGGE_FAULT"):
        raise SystemExit("HYGGE_FAULT is set: this demo shows a real kill -9; unset it first")
    rows = demo_rows()
    workspace = demo_dir()
    prepare_workspace(workspace)
    landing = Landing(workspace / "landing" / ENTITY)
    verdict = Verdict()

    initial_load(workspace, landing, rows, verdict)
    delta_load(workspace, landing, max(1, rows // 100), verdict)
    kill = kill_mid_run(workspace, landing, max(rows // 2, CHUNK_ROWS * 5 // 2), verdict)
    if kill is not None:
        resume(workspace, landing, kill, verdict)

    banner("hygge journal")
    hygge(workspace, "journal", "--limit", "6")
    return conclude(verdict)


def initial_load(workspace: Path, landing: Landing, rows: int, verdict: Verdict) -> None:
    banner(f"1. Landing {rows:,} lineitem rows in 4 parquet files; hygge go")
    landing.land(rows, files=4)
    hygge(workspace, "go")
    compare(workspace, landing.files, "landing", verdict)


def delta_load(workspace: Path, landing: Landing, delta: int, verdict: Verdict) -> None:
    banner(f"2. A delta lands ({delta:,} new rows, one new file); hygge go")
    landing.land(delta, files=1)
    hygge(workspace, "go")
    last = journal(workspace)[0]
    verdict.check(
        last["status"] == "success" and last["row_count"] == delta,
        f"journal: run {last['entity_run_id'][:8]} moved {last['row_count']:,} rows "
        f"(the delta: {delta:,}; not the {landing.rows:,} landed in all)",
    )
    compare(workspace, landing.files, "landing", verdict)


def kill_mid_run(workspace: Path, landing: Landing, delta: int, verdict: Verdict) -> Kill | None:
    """Land a delta and SIGKILL the run moving it; retry with a larger delta if it was too late."""
    for attempt in range(1, KILL_ATTEMPTS + 1):
        before = list(landing.files)
        again = f" (attempt {attempt})" if attempt > 1 else ""
        banner(f"3. A bigger delta lands ({delta:,} rows); hygge go, kill -9 mid-run{again}")
        landing.land(delta, files=math.ceil(delta / ROWS_PER_FILE))
        kill = start_and_kill(workspace)
        if kill.mid_move:
            show_killed_state(workspace, kill, before, verdict)
            return kill
        print(f"   the kill landed too late ({describe_miss(kill)}): attempt {attempt} proves")
        print("   nothing about a crash. Letting hygge finish, then trying a larger delta.")
        hygge(workspace, "go")
        compare(workspace, landing.files, "landing", verdict)
        delta *= 2
    verdict.check(False, f"no kill landed mid-run in {KILL_ATTEMPTS} attempts")
    return None


def start_and_kill(workspace: Path) -> Kill:
    """Start `hygge go`, wait for a checkpoint with rows > 0, then SIGKILL it."""
    override = f"flow.{FLOW}.store.batch_size={KILL_BATCH_SIZE}"
    print(f"$ hygge go --var {override} &   (output in killed-run.log)", flush=True)
    with (workspace / "killed-run.log").open("w") as log:
        process = subprocess.Popen(
            [HYGGE, "go", "--var", override], cwd=workspace, stdout=log, stderr=subprocess.STDOUT
        )
    seen = wait_for_moved_rows(workspace, process)
    if seen is not None:
        print(
            f"   the checkpoint shows {seen['rows']:,} rows staged and the next chunk is writing "
            f"files: kill -9 {process.pid}",
            flush=True,
        )
        os.kill(process.pid, signal.SIGKILL)  # a real kill -9: no clean-up code runs
    elif process.poll() is None:
        process.kill()
        process.wait()
        raise SystemExit(
            f"no checkpoint with rows > 0 within {CHECKPOINT_TIMEOUT:.0f} s; "
            f"see {workspace / 'killed-run.log'}"
        )
    status = process.wait()  # reap it, so its pid is really gone
    for line in (workspace / "killed-run.log").read_text().splitlines():
        print(f"   | {line}")
    if status not in (0, -signal.SIGKILL):
        raise SystemExit(f"`hygge go` failed by itself (exit {status}); see the output above")
    return Kill(process.pid, status, read_json(state_path(workspace, "checkpoints", ".json")))


def wait_for_moved_rows(workspace: Path, process: subprocess.Popen[bytes]) -> dict[str, Any] | None:
    """The checkpoint once it shows rows > 0 and the next chunk has staged files past it.

    None when the run ended first or it took too long.
    """
    path = state_path(workspace, "checkpoints", ".json")
    deadline = time.monotonic() + CHECKPOINT_TIMEOUT
    while time.monotonic() < deadline:
        checkpoint = read_json(path)
        if checkpoint is not None and checkpoint["rows"] > 0 and unlisted_files(checkpoint):
            return checkpoint
        if process.poll() is not None:
            return None
        time.sleep(0.01)
    return None


def unlisted_files(checkpoint: dict[str, Any]) -> list[str]:
    """Staged files the checkpoint does not list: the work of the chunk in progress."""
    staging = checkpoint["staging"]
    listed = set(staging["artefacts"])
    try:
        names = [path.name for path in Path(staging["location"]).iterdir()]
    except FileNotFoundError:  # not made yet, or already published
        return []
    return sorted(name for name in names if name not in listed)


def describe_miss(kill: Kill) -> str:
    if kill.exit_status == 0:
        return "the run had already finished"
    phase = kill.checkpoint["phase"] if kill.checkpoint is not None else "none"
    return f"killed in checkpoint phase {phase}, after publishing began"


def show_killed_state(workspace: Path, kill: Kill, before: list[Path], verdict: Verdict) -> None:
    """What a kill -9 leaves: checkpoint, lock, staged files; and the lake as before the delta."""
    checkpoint = kill.checkpoint
    assert checkpoint is not None  # a mid-move kill has one
    position = checkpoint["partitions"][0]["position"]  # a file home reads one partition
    print(
        f"\n   left behind by run {checkpoint['entity_run_id'][:8]} (pid {kill.pid}, "
        f"exit status {kill.exit_status}):"
    )
    print(
        f"   checkpoint  phase {checkpoint['phase']}, {checkpoint['rows']:,} rows in "
        f"{checkpoint['chunks']} chunk(s), next read at file {position['file_index']} "
        f"row {position['row_offset']:,}"
    )
    lock = read_json(state_path(workspace, "locks", ".lock"))
    verdict.check(
        lock is not None and lock["pid"] == kill.pid and not pid_exists(kill.pid),
        f"lock file still names pid {lock['pid'] if lock else '-'}, a process that is gone "
        "(the next run takes the lock over)",
    )
    listed, extra = checkpoint["staging"]["artefacts"], unlisted_files(checkpoint)
    print(
        f"   staging     {len(listed) + len(extra)} staged files: {len(listed)} listed in the "
        f"checkpoint, {len(extra)} written after it (the resume discards those)"
    )
    compare(workspace, before, "landing before the delta", verdict)


def resume(workspace: Path, landing: Landing, kill: Kill, verdict: Verdict) -> None:
    assert kill.checkpoint is not None
    run_id = kill.checkpoint["entity_run_id"]
    banner("4. hygge go again: the killed run resumes from its checkpoint")
    output = hygge(workspace, "go")
    verdict.check(
        re.search(rf"^resume\s+{FLOW}\.{ENTITY}\b", output, re.MULTILINE) is not None,
        f"hygge said it resumed {FLOW}.{ENTITY}",
    )
    lake = compare(workspace, landing.files, "landing", verdict)
    counts = lake.select(rows=pl.len(), distinct=pl.struct(KEYS).n_unique()).collect()
    rows, distinct = counts.row(0)
    verdict.check(
        distinct == rows,
        f"no duplicate keys: {distinct:,} distinct ({', '.join(KEYS)}) in {rows:,} rows",
    )
    runs = [row for row in journal(workspace) if row["entity_run_id"] == run_id]
    outcomes = [f"{r['status']}, resumed {r['resumed']}, {r['row_count']:,} rows" for r in runs]
    story = sorted((r["status"], r["resumed"]) for r in runs)
    verdict.check(
        story == [("fail", 0), ("success", 1)]
        and any("interrupted" in (r["message"] or "") for r in runs),
        f"journal: killed run {run_id[:8]} tells the story: {'; '.join(outcomes) or 'none'} "
        "(the resume journals the interruption kill -9 left unrecorded, then the same run's "
        "success)",
    )
    leftovers = [
        str(path.relative_to(workspace))
        for path in (
            state_path(workspace, "checkpoints", ".json"),
            state_path(workspace, "locks", ".lock"),
            Path(kill.checkpoint["staging"]["location"]),
        )
        if path.exists()
    ]
    verdict.check(not leftovers, f"no checkpoint, lock or staging left ({leftovers or 'none'})")


def compare(workspace: Path, files: list[Path], label: str, verdict: Verdict) -> pl.LazyFrame:
    """The lake against these landing files: rows and content hash; returns the lake."""
    source = pl.scan_parquet(files)
    schema = source.collect_schema()
    lake = pl.scan_parquet(workspace / "lake" / ENTITY / "*.parquet")
    lake = lake.select(schema.names()).cast(schema)
    (expected_rows, expected), (rows, actual) = fingerprint(source), fingerprint(lake)
    verdict.check(
        rows == expected_rows and actual == expected,
        f"lake == {label}: {rows:,} rows (expected {expected_rows:,}), "
        f"hash {actual[:16]}… (expected {expected[:16]}…)",
    )
    return lake


def fingerprint(frame: pl.LazyFrame) -> tuple[int, str]:
    """Rows and an order-insensitive content hash: sha256 over the sorted per-row hashes.

    Streams the files, so memory holds 8 bytes per row, not the table.
    """
    row_hashes = frame.select(pl.struct(pl.all()).hash(seed=42)).collect(engine="streaming")
    ordered = row_hashes.to_series().sort().rechunk()
    return ordered.len(), hashlib.sha256(ordered.to_arrow().buffers()[1] or b"").hexdigest()


def journal(workspace: Path) -> list[dict[str, Any]]:
    """The entity's journal rows, newest first, from `hygge journal --json`."""
    result = subprocess.run(
        [HYGGE, "journal", "--json", "--limit", "100", "--entity", f"{FLOW}.{ENTITY}"],
        cwd=workspace,
        check=True,
        capture_output=True,
        text=True,
    )
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def hygge(workspace: Path, *args: str) -> str:
    """Run the hygge command in the workspace, echo its output, return it; exit on failure."""
    print(f"$ hygge {' '.join(args)}", flush=True)
    result = subprocess.run(
        [HYGGE, *args],
        cwd=workspace,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,  # a failure is reported below, after its output
    )
    print(result.stdout, end="", flush=True)
    if result.returncode != 0:
        raise SystemExit(f"`hygge {' '.join(args)}` exited with {result.returncode}")
    return result.stdout


def banner(text: str) -> None:
    print(f"\n── {text} " + "─" * max(0, 76 - len(text)), flush=True)


def pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by another user
    return True


def state_path(workspace: Path, kind: str, suffix: str) -> Path:
    return workspace / ".hygge" / kind / FLOW / f"{ENTITY}{suffix}"


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON file's content; None when it does not exist (hygge writes state atomically)."""
    try:
        content: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    return content


def conclude(verdict: Verdict) -> int:
    if verdict.failures:
        print(f"\n✗ {len(verdict.failures)} check(s) failed:", *verdict.failures, sep="\n  - ")
        return 1
    print("\n✓ Exactly once: after a kill -9 mid-run and a resume, the lake holds every landed")
    print("  row once (same rows, same content hash, no duplicate keys).")
    return 0


def demo_rows() -> int:
    text = os.environ.get("DEMO_ROWS", "3000000")
    if not text.isdigit() or int(text) < 100:
        raise SystemExit(f"DEMO_ROWS must be a whole number of rows, at least 100 (got {text!r})")
    return int(text)


def demo_dir() -> Path:
    return Path(os.environ.get("DEMO_DIR") or REPO / ".demo-exactly-once").resolve()


def prepare_workspace(workspace: Path) -> None:
    """Wipe and recreate the workspace; refuse a non-empty folder this demo did not make."""
    if workspace.exists():
        if any(workspace.iterdir()) and not (workspace / MARKER).exists():
            raise SystemExit(
                f"{workspace} is not empty and was not made by this demo; "
                "set DEMO_DIR to a new or empty folder"
            )
        shutil.rmtree(workspace)
    (workspace / "flows" / FLOW).mkdir(parents=True)
    (workspace / MARKER).touch()
    (workspace / "hygge.yml").write_text(
        f"name: exactly_once\noptions:\n  checkpoint_rows: {CHUNK_ROWS}\n"
    )
    (workspace / "flows" / FLOW / "flow.yml").write_text(FLOW_YML)


if __name__ == "__main__":
    raise SystemExit(main())
