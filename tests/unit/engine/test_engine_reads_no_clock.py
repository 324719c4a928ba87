"""The engine reads no wall clock and no host name: drivers pass them (RunContext)."""

from __future__ import annotations

import ast
from pathlib import Path

import hygge.engine

ENGINE = Path(hygge.engine.__file__).parent
# Calls that read the world a step runs in; allowed only in the local driver's default.
WORLD = {"gethostname", "now", "utcnow", "today", "utc_now", "time_ns", "getfqdn", "node"}
DRIVER_EDGE = {("runner.py", "local_context")}


def _reads(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    allowed = [
        range(node.lineno, (node.end_lineno or node.lineno) + 1)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and (path.name, node.name) in DRIVER_EDGE
    ]
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or any(node.lineno in lines for lines in allowed):
            continue
        called = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        if called in WORLD:
            found.append(f"{path.name}:{node.lineno}: {called}()")
    return found


def test_no_engine_step_reads_the_clock_or_the_host_name_itself() -> None:
    reads = [read for path in sorted(ENGINE.glob("*.py")) for read in _reads(path)]

    assert reads == []
