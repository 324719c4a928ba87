"""HYGGE_FAULT's actions, each in a child process that passes one fault point."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from hygge.faults import CRASH_EXIT_CODE

PASS_ONE_POINT = "from hygge.faults import fault_point; fault_point('after_begin'); print('on')"


def _run(fault: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HYGGE_FAULT": fault}
    command = [sys.executable, "-c", PASS_ONE_POINT]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


@pytest.mark.parametrize(
    ("fault", "returncode", "said"),
    [
        ("after_begin:kill", -signal.SIGKILL, ""),
        ("after_begin:exit", CRASH_EXIT_CODE, ""),
        ("after_begin:raise", 1, "injected fault at after_begin (hit 1)"),
        ("after_begin:kill:2", 0, ""),  # the point is passed once: the second hit never comes
        ("after_stage:kill", 0, ""),  # another point
    ],
)
def test_each_action_ends_the_process_its_own_way(fault, returncode, said):
    done = _run(fault)
    assert done.returncode == returncode, done.stderr
    assert said in done.stderr
    assert ("on" in done.stdout) == (returncode == 0)


def test_stop_pauses_the_process_at_the_point_until_it_is_continued():
    env = {**os.environ, "HYGGE_FAULT": "after_begin:stop"}
    command = [sys.executable, "-c", PASS_ONE_POINT]
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    try:
        _, status = os.waitpid(child.pid, os.WUNTRACED)  # returns once it has stopped itself
        assert os.WIFSTOPPED(status) and os.WSTOPSIG(status) == signal.SIGSTOP
        os.kill(child.pid, signal.SIGCONT)
        out, _ = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0 and "on" in out
