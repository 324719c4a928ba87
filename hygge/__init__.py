"""hygge: move data from homes to stores, fully or by watermark, with a journal of every run.

The public API, loaded on first use so that `import hygge` stays light:
`load_workspace`, `plan_run`, `Selection`, `run_plan`, `run_entity` and the result models
`RunReport` and `EntityResult`. Drivers import the steps from `hygge.engine`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hygge.config import load_workspace
    from hygge.engine import EntityResult, RunReport, Selection, plan_run, run_entity, run_plan

_HOMES = {
    "load_workspace": "hygge.config",
    "EntityResult": "hygge.engine",
    "RunReport": "hygge.engine",
    "Selection": "hygge.engine",
    "plan_run": "hygge.engine",
    "run_entity": "hygge.engine",
    "run_plan": "hygge.engine",
}

__all__ = [
    "EntityResult",
    "RunReport",
    "Selection",
    "load_workspace",
    "plan_run",
    "run_entity",
    "run_plan",
]


def __getattr__(name: str) -> object:
    module = _HOMES.get(name)
    if module is None:
        raise AttributeError(f"module 'hygge' has no attribute {name!r}")
    return getattr(import_module(module), name)
