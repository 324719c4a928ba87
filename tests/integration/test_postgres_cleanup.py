"""A test session never leaves its PostgreSQL server running (tests/support/postgres_cleanup.py).

The session's cluster is started in a child process as the session fixture starts it; the
child is then killed: by SIGTERM or SIGINT it stops its cluster first, and after a kill -9
(nothing can run) the next start in that folder finds the cluster by its pidfile and stops it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import postgres
from tests.support.postgres_cleanup import alive, session_folder

# A port range of its own (the session's server uses FIRST_PORT + 10 * worker).
BASE = postgres.FIRST_PORT + 10 * (postgres.worker_index() + 40)
CHILD = """
import sys, time
from tests.support import postgres
from tests.support.postgres_cleanup import stop_on_signals
process = postgres.PostgresProcess(postgres.install(), base_port=int(sys.argv[1]))
stop_on_signals(process.stop)
server = process.start()
print(server.port, flush=True)
time.sleep(600)
"""

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        os.environ.get(postgres.DISABLE_VARIABLE) == "1",
        reason=f"{postgres.DISABLE_VARIABLE}=1: the PostgreSQL tests do not run",
    ),
]


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _start_child() -> tuple[subprocess.Popen[str], int]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(BASE)],
        cwd=postgres.ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.strip().isdigit(), child.stderr.read() if child.stderr else line
    port = int(line)
    assert _listening(port)
    return child, port


def _postmaster_pid() -> int:
    pidfile = session_folder(postgres.ROOT, BASE) / "data" / "postmaster.pid"
    return int(pidfile.read_text().split()[0])


def _gone_within(predicate, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_a_session_killed_by_a_signal_stops_its_server(number):
    child, port = _start_child()
    pid = _postmaster_pid()

    child.send_signal(number)
    child.wait(timeout=60)

    assert _gone_within(lambda: not alive(pid)), f"postmaster {pid} still runs"
    assert not _listening(port)
    assert not session_folder(postgres.ROOT, BASE).exists()


def test_the_next_start_stops_the_server_a_killed_session_left_running(capfd):
    child, port = _start_child()
    pid = _postmaster_pid()
    child.kill()  # kill -9: no handler runs, the detached server stays
    child.wait(timeout=60)
    assert alive(pid) and _listening(port)

    process = postgres.PostgresProcess(postgres.install(), base_port=BASE)
    try:
        assert not alive(pid)
        assert f"stopped PostgreSQL {pid} left running" in capfd.readouterr().err
        assert process.port == port  # its port was free again
        server = process.start()
        assert _listening(server.port)
    finally:
        process.stop()
    assert not _listening(port)


def test_a_folder_of_a_live_session_is_left_alone(tmp_path):
    child, port = _start_child()
    pid = _postmaster_pid()
    try:
        process = postgres.PostgresProcess(postgres.install(), base_port=BASE)
        try:
            assert alive(pid) and _listening(port)
            assert process.folder != session_folder(postgres.ROOT, BASE)
            assert process.port != port
        finally:
            process.stop()
    finally:
        child.terminate()
        child.wait(timeout=60)
    assert _gone_within(lambda: not alive(pid))


def test_a_pidfile_naming_a_process_that_is_no_postgres_is_not_acted_on(tmp_path: Path):
    from tests.support.postgres_cleanup import stop_stale

    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / "postmaster.pid").write_text(f"{sleeper.pid}\n{tmp_path}\n")

        stopped = stop_stale(tmp_path, ["false"])

        assert stopped is None
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()
