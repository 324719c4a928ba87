"""Waiting for a child process that stops itself (SIGSTOP) at an injected `point:stop` fault."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


def process_state(pid: int) -> str:
    """The one-letter state of `pid` in /proc (`T`: stopped)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def wait_stopped(
    child: subprocess.Popen[bytes], what: str = "its fault point", timeout: float = 120.0
) -> None:
    """Return once `child` is stopped; fail with its output if it exits first or never stops."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process_state(child.pid) == "T":
            return
        assert child.poll() is None, child.communicate()
        time.sleep(0.05)
    raise AssertionError(f"the run never stopped at {what}")
