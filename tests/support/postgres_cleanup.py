"""No test session leaves a PostgreSQL server running (tests/support/postgres.py).

`pg_ctl start` detaches the server, so a session that dies without its fixture's teardown
(`make test` killed, Ctrl-C twice) would leave it listening. Two things prevent that:

- the session fixture stops its cluster on SIGTERM and SIGINT, then lets the signal do what
  it did before (pytest's KeyboardInterrupt, or the default: end the process);
- each session's cluster lives in a folder named for its checkout and port range
  (`session_folder`), with the session's pid beside it: a later session with that folder
  finds a cluster whose session is gone by the folder's `postmaster.pid`, and stops that one
  postmaster (by the pid it wrote, never by name: other checkouts run servers too).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

SESSION_FILE = "session.pid"  # the pid of the test session that owns the folder


def session_folder(root: Path, base_port: int) -> Path:
    """The folder of the cluster a session of checkout `root` runs in ports from `base_port`."""
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:10]
    return Path(tempfile.gettempdir()) / f"hygge-postgres-{digest}-{base_port}"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pid_in(path: Path) -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int(path.read_text().split()[0])
    return None


def owned_by_live_session(folder: Path) -> bool:
    """Whether another session that is still running uses `folder`."""
    pid = _pid_in(folder / SESSION_FILE)
    return pid is not None and pid != os.getpid() and alive(pid)


def claim(folder: Path) -> None:
    """Record this session as the folder's owner."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SESSION_FILE).write_text(f"{os.getpid()}\n")


def _postmaster(data: Path) -> int | None:
    """The pid of the live postmaster whose pidfile is in `data` (its data folder), if any."""
    pid = _pid_in(data / "postmaster.pid")
    if pid is None or not alive(pid):
        return None
    with contextlib.suppress(OSError):
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        if "postgres" not in command:
            return None  # the pid was reused by another program: leave it alone
    return pid


def stop_stale(data: Path, stop_command: list[str], timeout: float = 30.0) -> int | None:
    """Stop the postmaster left running in `data` (`stop_command`: its `pg_ctl stop`); its
    pid, or None when none runs there."""
    pid = _postmaster(data)
    if pid is None:
        return None
    subprocess.run(stop_command, capture_output=True, check=False, timeout=timeout)
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(pid):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return pid


Handler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None
Signalled = Callable[[int, FrameType | None], None]


def stop_on_signals(stop: Callable[[], None]) -> None:
    """On SIGTERM or SIGINT: `stop()`, then the signal's earlier handling (a signal that was
    ignored stays ignored). Only the main thread can install handlers: elsewhere this does
    nothing, and the next session's `stop_stale` cleans up."""
    for number in (signal.SIGTERM, signal.SIGINT):
        previous: Handler = signal.getsignal(number)
        if previous == signal.SIG_IGN:
            continue
        try:
            signal.signal(number, _handler(stop, previous))
        except ValueError:  # not the main thread
            return


def _handler(stop: Callable[[], None], previous: Handler) -> Signalled:
    def handle(number: int, frame: FrameType | None) -> None:
        with contextlib.suppress(Exception):
            stop()
        if callable(previous):
            signal.signal(number, previous)
            previous(number, frame)
            return
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)

    return handle
