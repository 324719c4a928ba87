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
from concurrent.futures import ThreadPoolExecutor
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
        partition = request.get("partition")
        budget = ChunkBudget(max_rows=5)
        answer = move_chunk(
            task, checkpoint, state, budget=budget, partition=partition, context=context
        )
    else:
        assert checkpoint
        answer = commit(task, checkpoint, state, context=context)
    sys.stdout.write(answer.model_dump_json())


def _step(step: str, request: dict[str, object], fault: str | None) -> str | None:
    return _steps(step, [request], fault)[0]


def _steps(step: str, requests: list[dict[str, object]], fault: str | None) -> list[str | None]:
    """Run `step` once per request, each in its own process, all at once."""
    env = {key: value for key, value in os.environ.items() if key != "HYGGE_FAULT"}
    if fault:
        env["HYGGE_FAULT"] = f"{fault}:exit"
    running = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.support.step_process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=REPO,
            env=env,
            text=True,
        )
        for _ in requests
    ]

    def answer(process: subprocess.Popen[str], request: dict[str, object]) -> str | None:
        out, _ = process.communicate(json.dumps({**request, "step": step}))
        return out if process.returncode == 0 else None

    with ThreadPoolExecutor(len(running)) as pool:
        return list(pool.map(answer, running, requests))


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
        # One process per partition that may move now (the machine's MoveChunk), as a
        # Durable fan-out would run one activity each, possibly on other machines.
        ids = checkpoint.movable
        answers = _steps("move_chunk", [{**request, "partition": i} for i in ids], fault)
        if any(a is None for a in answers):
            return None
        answer = max(answers, key=lambda a: Checkpoint.model_validate_json(a or "").generation)
    return None


if __name__ == "__main__":
    _serve()
