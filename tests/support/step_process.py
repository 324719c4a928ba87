"""A test driver that runs every step of an entity run in its own process, as activities would.

Each step gets the task and checkpoint as JSON on stdin and answers JSON on stdout; a step that
dies (an injected `point:exit` fault) answers nothing, and the driver reports the crash.
Run as `python -m tests.support.step_process`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from hygge.config import load_workspace
from hygge.engine import (
    Checkpoint,
    ChunkBudget,
    EntityResult,
    EntityTask,
    begin,
    commit,
    local_context,
    move_chunk,
)
from tests.support.workspace import state_of

REPO = Path(__file__).resolve().parents[2]


def _serve() -> None:
    request = json.load(sys.stdin)
    task = EntityTask.model_validate(request["task"])
    state = state_of(load_workspace(Path(request["root"])))
    checkpoint = request["checkpoint"] and Checkpoint.model_validate(request["checkpoint"])
    context = local_context()  # each step's process: its own clock and host, as an activity's
    answer: Checkpoint | EntityResult
    if request["step"] == "begin":
        answer = begin(task, state, attempt_id=request["attempt_id"], context=context)
    elif request["step"] == "move_chunk":
        assert checkpoint
        answer = move_chunk(
            task, checkpoint, state, budget=ChunkBudget(max_rows=5), context=context
        )
    else:
        assert checkpoint
        answer = commit(task, checkpoint, state, context=context)
    sys.stdout.write(answer.model_dump_json())


def _step(step: str, request: dict[str, object], fault: str | None) -> str | None:
    env = {key: value for key, value in os.environ.items() if key != "HYGGE_FAULT"}
    if fault:
        env["HYGGE_FAULT"] = f"{fault}:exit"
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.step_process"],
        input=json.dumps({**request, "step": step}),
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout if done.returncode == 0 else None


def run_in_step_processes(
    task: EntityTask, root: Path, *, fault: str | None = None
) -> EntityResult | None:
    """Drive one attempt step by step, each in a new process; None when a step crashed."""
    request: dict[str, object] = {
        "task": task.model_dump(mode="json"),
        "root": str(root),
        "attempt_id": uuid.uuid4().hex,
        "checkpoint": None,
    }
    answer = _step("begin", request, fault)
    while answer is not None:
        checkpoint = Checkpoint.model_validate_json(answer)
        request["checkpoint"] = checkpoint.model_dump(mode="json")
        if checkpoint.done:
            committed = _step("commit", request, fault)
            return None if committed is None else EntityResult.model_validate_json(committed)
        answer = _step("move_chunk", request, fault)
    return None


if __name__ == "__main__":
    _serve()
