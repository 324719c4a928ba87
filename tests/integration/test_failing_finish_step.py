"""A run whose ending step itself fails (here: the interrupt after a failed publish, when its
journal row cannot be built) must end with a failure, not ask for the same step forever.

The run state machine answers a failed Interrupt with another Interrupt, so the local runner
once spun there (a hot loop re-reading the journal); it now ends the run, keeping the
checkpoint, and the next run finishes the publish. The test runs in a child process so a loop
would cost the suite 30 seconds, not a hung worker."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    import hygge.engine.finish as finish
    from tests.integration.test_fault_matrix import assert_store_matches, prepare
    from tests.support.workspace import run

    root = Path({ws!r})
    source = prepare(root, "parquet", "incremental")
    original = finish.journal_row

    def broken(*args, **kwargs):
        raise RuntimeError("the journal row cannot be built")

    finish.journal_row = broken
    os.environ["HYGGE_FAULT"] = "during_publish:raise"
    (result,) = run(root).results
    print("ended", result.status.value, result.message)
    finish.journal_row = original
    del os.environ["HYGGE_FAULT"]
    assert run(root).ok
    assert_store_matches(root, "parquet", source)
    print("rerun matches the source")
    """
)


def test_an_interrupt_that_fails_ends_the_run_instead_of_looping(tmp_path: Path) -> None:
    script = CHILD.format(root=str(ROOT), ws=str(tmp_path / "ws"))
    try:
        done = subprocess.run(
            [sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=30
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the run was still going after 30 s: the failed interrupt is retried forever")
    assert done.returncode == 0, done.stderr
    assert "ended fail" in done.stdout, done.stdout + done.stderr
    assert "then ending the run failed too" in done.stdout, done.stdout
    assert "rerun matches the source" in done.stdout, done.stdout + done.stderr
