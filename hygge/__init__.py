"""hygge: move data from homes to stores, fully or by watermark, with a journal of every run.

The public API, loaded on first use so that `import hygge` stays light:
`load_workspace`, `plan_run`, `Selection`, `run_plan`, `run_entity` and the result models
`RunReport` and `EntityResult`. Drivers import the steps from `hygge.engine`.
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import TYPE_CHECKING

# polars' allocator (jemalloc on Linux) keeps freed pages for 0.5 s and then 1 s more (polars'
# own `dirty_decay_ms:500,muzzy_decay_ms:1000`), so each chunk's streaming query starts on
# what the last one left and a csv move's peak grew chunk by chunk (5M rows, 5 chunks: 350 to 365
# MiB). Pages unused for 250 ms going back at once: 332 to 346 MiB, CPU within the noise (0 ms
# cost ~40 % more CPU). polars appends this to its own setting when it loads, so it is set
# before; a `_RJEM_MALLOC_CONF` of the user's is kept instead, and allocators that do not read
# it (other platforms) ignore it.
ALLOCATOR_CONF = "dirty_decay_ms:250,muzzy_decay_ms:0"
os.environ.setdefault("_RJEM_MALLOC_CONF", ALLOCATOR_CONF)

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
