"""`hygge go --resume` / `--restart`: narrow a plan to the entities with an interrupted run."""

from __future__ import annotations

from typing import Literal

from hygge.engine import RunPlan
from hygge.errors import ConfigError
from hygge.state.base import StateBackend
from hygge.types import JsonValue, RunType

Continuation = Literal["resume", "restart"]


def choose_continuation(*, resume: bool, restart: bool) -> Continuation | None:
    """What to do with interrupted runs: --resume, --restart, or neither (a plain run)."""
    if resume and restart:
        raise ConfigError(
            "--resume and --restart cannot be used together",
            hint="--resume continues interrupted runs from their checkpoints; --restart "
            "discards them and runs those entities afresh",
        )
    if resume:
        return "resume"
    return "restart" if restart else None


def plan_interrupted(plan: RunPlan, state: StateBackend, how: Continuation) -> RunPlan:
    """Only the planned entities with an interrupted run, each told to resume or restart it.

    A resumed run keeps the run type it started with, whatever the configuration says now:
    the engine would otherwise discard the checkpoint instead of continuing it.
    """
    checkpoints = state.list_checkpoints()
    tasks = []
    for task in plan.tasks:
        saved = checkpoints.get(task.qualified_name)
        if saved is None or saved.get("phase") == "journaled":
            continue  # no run, or one that finished and only lost its clean-up
        started_as = _run_type(saved.get("run_type"))
        if how == "resume" and started_as is not None:
            tasks.append(task.model_copy(update={"on_interrupted": how, "run_type": started_as}))
        else:
            tasks.append(task.model_copy(update={"on_interrupted": how}))
    return plan.model_copy(update={"tasks": tasks})


def _run_type(value: JsonValue) -> RunType | None:
    """The checkpoint's run type; None when unreadable (the engine then reports the checkpoint)."""
    try:
        return RunType(value) if isinstance(value, str) else None
    except ValueError:
        return None
