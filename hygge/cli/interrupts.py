"""Ctrl-C for the `hygge` process, never raised inside Python's import machinery.

Python's own handler raises KeyboardInterrupt at whatever bytecode the main thread is at. In
importlib's lock bookkeeping that can be just after the global import lock was taken and
before the `try` that gives it back (the callback of `_get_module_lock`, which runs whenever
a module lock is freed): the lock stays held for good, the interrupt is swallowed ("Exception
ignored in ... cb"), and the next import in any other thread waits forever. `hygge go`, Ctrl-C'd
while its workers started, then hung instead of stopping.

This handler raises as Python's does, except when the main thread is in importlib's own code:
then it waits a few milliseconds (`_RETRY_SECONDS`, a one-off SIGALRM) and tries again, until
the main thread is back in ordinary code. Only the standard library is imported here: this
module is installed before anything else of hygge's is imported (`hygge.cli.start`).
"""

from __future__ import annotations

import atexit
import signal
import threading
from types import FrameType

_RETRY_SECONDS = 0.005
_FRAGILE_CODE = "<frozen importlib"  # importlib._bootstrap and _bootstrap_external

_pending = {"interrupt": False}


def install() -> None:
    """From now on, Ctrl-C goes through `on_interrupt` (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        return
    signal.signal(signal.SIGINT, on_interrupt)
    signal.signal(signal.SIGALRM, _retry)
    atexit.register(_disarm)  # a retry still due must not outlive the handlers, killing the exit


def _disarm() -> None:
    signal.setitimer(signal.ITIMER_REAL, 0)


def on_interrupt(signum: int, frame: FrameType | None) -> None:
    """Raise KeyboardInterrupt where the main thread is, unless that is inside importlib."""
    if _in_importlib(frame):
        _pending["interrupt"] = True
        signal.setitimer(signal.ITIMER_REAL, _RETRY_SECONDS)
        return
    _pending["interrupt"] = False
    raise KeyboardInterrupt


def _in_importlib(frame: FrameType | None) -> bool:
    """Whether the code interrupted is importlib's; a handler interrupted by another signal
    looks past its own frames to the code both interrupted."""
    while frame is not None and frame.f_code.co_filename == __file__:
        frame = frame.f_back
    return frame is not None and frame.f_code.co_filename.startswith(_FRAGILE_CODE)


def _retry(signum: int, frame: FrameType | None) -> None:
    if _pending["interrupt"]:
        on_interrupt(signal.SIGINT, frame)
