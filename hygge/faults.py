"""Test-only fault injection at named step boundaries.

Set `HYGGE_FAULT=<point>[:<action>[:<hit>]]` in a process's environment to make it fail at
`point` the `hit`-th time it passes there (default 1st): `action` is `raise` (an InjectedFault,
the step fails like any error), `exit` (`os._exit(86)`, a crash: no clean-up runs, as with
`kill -9`), `kill` (the process sends itself a real SIGKILL: what `kill -9` does, at a
chosen point; the demos use it) or `stop` (it sends itself SIGSTOP and waits, holding whatever
it holds, until a SIGCONT: how tests start a second run while the first is mid-step).
Points, in the order an entity run passes them:

    after_begin          the checkpoint of a new run is saved
    after_stage          a batch file is staged, before the chunk's checkpoint
    after_checkpoint     a chunk's checkpoint is saved (the local driver leaves its last
                         chunk's to the commit that follows: see engine.steps.move_chunk)
    before_publish       staged data complete, nothing published
    during_publish       inside the store's publish (e.g. between moving two files)
    after_publish        published, file ledger and watermark not yet advanced
    after_ledger         the file ledger records the run's files, watermark not yet advanced
    after_watermark      watermark advanced, journal not yet written
    after_journal        journal written, checkpoint and lock not yet cleared

Unset (the normal case) it costs one dictionary lookup per point.
"""

from __future__ import annotations

import os
import signal
import threading

from hygge.errors import InjectedFault

FAULT_POINTS = (
    "after_begin",
    "after_stage",
    "after_checkpoint",
    "before_publish",
    "during_publish",
    "after_publish",
    "after_ledger",
    "after_watermark",
    "after_journal",
)
CRASH_EXIT_CODE = 86

_hits: dict[str, int] = {}
_lock = threading.Lock()


def fault_point(name: str) -> None:
    """Fail here if HYGGE_FAULT names this point (see module docstring)."""
    spec = os.environ.get("HYGGE_FAULT")
    if not spec:
        return
    point, _, rest = spec.partition(":")
    if point != name:
        return
    action, _, hit_text = rest.partition(":")
    wanted = int(hit_text) if hit_text else 1
    with _lock:
        _hits[name] = _hits.get(name, 0) + 1
        count = _hits[name]
    if count != wanted:
        return
    if action == "exit":
        os._exit(CRASH_EXIT_CODE)
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if action == "stop":
        os.kill(os.getpid(), signal.SIGSTOP)
        return
    raise InjectedFault(f"injected fault at {name} (hit {count})")


def reset_faults() -> None:
    """Forget hit counts (tests that inject several faults in one process)."""
    with _lock:
        _hits.clear()
