"""The engine's public API: what drivers (the CLI, Azure Functions, tests) import.

Names load on first use, so importing one engine module does not import them all.
Order of the steps for a driver: `begin` → `move_chunk` until `checkpoint.done` → `commit`;
on a failure `abort` (or `interrupt` once publishing began, `cancelled` on a stop request).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hygge.engine.context import RunContext
    from hygge.engine.failures import RunError, describe_failure
    from hygge.engine.fencing import fenced_out
    from hygge.engine.finish import abort, cancelled, commit, interrupt
    from hygge.engine.machine import Standing, Step, next_step
    from hygge.engine.models import Checkpoint, EntityResult, EntityTask
    from hygge.engine.moving import ChunkBudget
    from hygge.engine.plan import RunPlan, Selection, plan_run
    from hygge.engine.runner import RunReport, local_context, run_entity, run_plan
    from hygge.engine.steps import begin, move_chunk, saved_checkpoint

_HOMES = {
    "RunContext": "context",
    "RunError": "failures",
    "describe_failure": "failures",
    "fenced_out": "fencing",
    "abort": "finish",
    "cancelled": "finish",
    "commit": "finish",
    "interrupt": "finish",
    "Checkpoint": "models",
    "EntityResult": "models",
    "EntityTask": "models",
    "ChunkBudget": "moving",
    "Standing": "machine",
    "Step": "machine",
    "next_step": "machine",
    "RunPlan": "plan",
    "Selection": "plan",
    "plan_run": "plan",
    "RunReport": "runner",
    "local_context": "runner",
    "run_entity": "runner",
    "run_plan": "runner",
    "begin": "steps",
    "move_chunk": "steps",
    "saved_checkpoint": "steps",
}

__all__ = [
    "Checkpoint",
    "ChunkBudget",
    "EntityResult",
    "EntityTask",
    "RunContext",
    "RunError",
    "RunPlan",
    "RunReport",
    "Selection",
    "Standing",
    "Step",
    "abort",
    "begin",
    "cancelled",
    "commit",
    "describe_failure",
    "fenced_out",
    "interrupt",
    "local_context",
    "move_chunk",
    "next_step",
    "plan_run",
    "run_entity",
    "run_plan",
    "saved_checkpoint",
]


def __getattr__(name: str) -> object:
    module = _HOMES.get(name)
    if module is None:
        raise AttributeError(f"module 'hygge.engine' has no attribute {name!r}")
    return getattr(import_module(f"hygge.engine.{module}"), name)
