"""The garbage collector around a `hygge` process: paused while it starts, skipped as it exits.

Start-up builds many objects that live until the process ends (modules, config models and
their validators, polars' and Typer's tables) and frees few: the collector's passes over them
free nothing and cost about as much as the imports they interrupt. On the way out, the
interpreter's last collections walk every object only to free memory that exit frees anyway.
Reference counting still frees what it frees; only the cycle collector's walks are skipped.
"""

from __future__ import annotations

import gc

_PAUSED: set[str] = set()  # holds "hygge" while hygge keeps the collector paused


def pause_collection() -> None:
    """No collection until `resume_collection` (from the start of `hygge` until its command
    is imported)."""
    if gc.isenabled():
        gc.disable()
        _PAUSED.add("hygge")


def resume_collection() -> None:
    """Collect again, without walking what start-up built (it is frozen: it lives on)."""
    if _PAUSED:
        _PAUSED.clear()
        gc.freeze()
        gc.enable()


def skip_final_collections() -> None:
    """The process is about to exit: what is alive now is left to the exit itself."""
    resume_collection()
    gc.freeze()
