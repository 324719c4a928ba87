"""A run fenced out mid-chunk (its lock taken over, or removed by `hygge unlock --force`) fails
saying so — naming the attempt that runs the entity now and that nothing of it was published —
never with the symptom it tripped over (a staged file deleted under it)."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from hygge.cli.sample_data import write_sample_landing
from hygge.config import load_workspace
from hygge.engine.events import EntityProgress, RunEvent
from hygge.engine.models import EntityResult, EntityTask
from hygge.engine.plan import Selection, plan_run
from hygge.engine.runner import run_entity
from hygge.engine.steps import ChunkBudget
from hygge.state.local import LocalStateBackend
from hygge.types import RunStatus
from tests.support.cli import HYGGE, hygge, init_shop
from tests.support.data import content_hash, orders
from tests.support.workspace import land, read_lake, state_of, write_workspace

FLOW = """\
home: {type: parquet, path: landing, batch_size: 7}
store: {type: parquet, path: lake, batch_size: 10}
run_type: full_drop
entities: [orders]
"""


def _entity(root: Path) -> tuple[EntityTask, LocalStateBackend]:
    write_workspace(root, {"shop": FLOW})
    land(root, "orders", "a", orders(30))
    workspace = load_workspace(root)
    [task] = plan_run(workspace, Selection()).tasks
    return task, state_of(workspace)


def _run_with(
    task: EntityTask, state: LocalStateBackend, meddle: Callable[[], None]
) -> EntityResult:
    """Run the entity; at its first staged batch, `meddle` (once) as another process would."""
    meddled: list[bool] = []

    def on_event(event: RunEvent) -> None:
        if isinstance(event, EntityProgress) and event.rows and not meddled:
            meddled.append(True)
            meddle()

    return run_entity(task, state, emit=on_event, budget=ChunkBudget(max_rows=1_000))


def test_a_run_taken_over_mid_chunk_names_the_new_attempt_and_publishes_nothing(tmp_path):
    task, state = _entity(tmp_path / "ws")

    def take_over() -> None:
        held = state.get_lock("shop", "orders")
        assert held is not None
        state.release_lock("shop", "orders", held.owner)  # as after a lost heartbeat
        state.acquire_lock("shop", "orders", "second-attempt")

    result = _run_with(task, state, take_over)

    assert result.status is RunStatus.FAIL and result.error_type == "EntityLockedError"
    message = result.message or ""
    assert "was fenced out: attempt second-attempt" in message
    assert "Nothing of this attempt was published" in message
    assert read_lake(tmp_path / "ws", "orders").is_empty()
    assert state.get_lock("shop", "orders").owner == "second-attempt"  # type: ignore[union-attr]
    [newest] = state.read_journal(limit=1)
    assert newest.message == message


def test_a_run_whose_lock_was_removed_and_finished_meanwhile_says_so_not_file_not_found(tmp_path):
    task, state = _entity(tmp_path / "ws")

    def unlock_force_and_rerun() -> None:
        state.lock_path("shop", "orders").write_text("{corrupt")  # as in the attack
        state.remove_lock("shop", "orders", force=True)
        assert run_entity(task, state).status is RunStatus.SUCCESS  # it clears the staging

    result = _run_with(task, state, unlock_force_and_rerun)

    assert result.status is RunStatus.FAIL and result.error_type == "EntityLockedError"
    message = result.message or ""
    assert "its lock was removed while it ran (by `hygge unlock --force`" in message
    assert "Nothing of this attempt was published" in message
    assert "FileNotFoundError" not in message
    assert content_hash(read_lake(tmp_path / "ws", "orders")) == content_hash(orders(30))
    assert state.get_lock("shop", "orders") is None


def test_a_paused_run_whose_lock_was_force_removed_says_so_when_it_continues(tmp_path):
    """The attack as a user did it: pause a run (SIGSTOP) mid-move, damage its lock, `hygge
    unlock --force`, run `hygge go` to the end, then let the paused run continue."""
    shop = init_shop(tmp_path)
    shutil.rmtree(shop / "data" / "landing")
    write_sample_landing(shop / "data" / "landing", rows=1_000_000)
    env = {k: v for k, v in os.environ.items() if k != "HYGGE_FAULT"}
    first = subprocess.Popen(
        [HYGGE, "go", "--entity", "sample.order_lines"],
        cwd=shop,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    staging = shop / "data" / "lake" / "_hygge_staging" / "order_lines"

    def staged() -> bool:  # a staged file carries its attempt: `<name>.parquet~<attempt>`
        return any(not p.name.startswith(".") for p in staging.rglob("*.parquet~*"))

    while not (staging.exists() and staged()):
        assert first.poll() is None, "the run ended before it staged a file"
        time.sleep(0.02)
    _stop_outside_a_mutex(first, shop / ".hygge")
    try:
        (shop / ".hygge" / "locks" / "sample" / "order_lines.lock").write_text("{corrupt")
        unlocked = hygge(shop, "unlock", "-f", "sample", "-e", "order_lines", "--force", "--yes")
        assert unlocked.returncode == 0, unlocked.stdout + unlocked.stderr
        assert hygge(shop, "go", "--entity", "sample.order_lines").returncode == 0
    finally:
        first.send_signal(signal.SIGCONT)
    out, _ = first.communicate(timeout=120)

    assert first.returncode == 1
    assert "FileNotFoundError" not in out, out
    assert "was fenced out: its lock was removed while it ran" in " ".join(out.split()), out
    assert "Nothing of this attempt was published" in " ".join(out.split()), out


def _stop_outside_a_mutex(process: subprocess.Popen[str], state: Path) -> None:
    """SIGSTOP `process` where it holds none of the state's mutexes: one stopped inside a lock
    write would hold its mutex, and the next run would wait for it (and fail after
    MUTEX_WAIT), which is not what this test is about."""
    while True:
        process.send_signal(signal.SIGSTOP)
        if not any(_held(mutex) for mutex in state.rglob("*.mutex")):
            return
        process.send_signal(signal.SIGCONT)
        time.sleep(0.005)


def _held(mutex: Path) -> bool:
    fd = os.open(mutex, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases a lock taken here
    return False
