"""Two `hygge go` of one entity at once with `state: {type: azure_blob}`: the second is refused
by the entity's blob lease while the first lives, and the lake ends with every row once.

The first run stops itself (HYGGE_FAULT=<point>:stop, a real SIGSTOP) while it holds the lease,
mid-move, before or after publishing; the second runs in full meanwhile; then the first is
continued."""

from __future__ import annotations

import os
import signal
import subprocess

import polars as pl
import pytest

from tests.support.azurite import KEY
from tests.support.cli import HYGGE, hygge
from tests.support.workspace import (
    ORDERS_BY_ID_FLOW,
    blob_state_project,
    land,
    read_lake,
    write_workspace,
)

pytestmark = pytest.mark.azurite


def _said(done) -> str:
    return " ".join((done.stdout + done.stderr).split())


@pytest.mark.parametrize("point", ["after_checkpoint", "before_publish", "after_publish"])
def test_a_second_run_is_refused_by_the_lease_and_the_first_finishes(
    tmp_path, azurite, blob_container, point
):
    project = blob_state_project(
        azurite.account_url,
        blob_container,
        "HYGGE_TEST_STATE_CS",
        state="type: azure_blob, connection: lake, lease_seconds: 60",
    )
    ws = write_workspace(tmp_path / "shop", {"sales": ORDERS_BY_ID_FLOW}, project)
    land(ws, "orders", "a", pl.DataFrame({"id": [1, 2, 3]}))
    land(ws, "orders", "b", pl.DataFrame({"id": [4, 5]}))
    env = {**os.environ, "HYGGE_TEST_STATE_CS": azurite.connection_string}
    first = subprocess.Popen(
        [HYGGE, "go"],
        cwd=ws,
        env={**env, "HYGGE_FAULT": f"{point}:stop"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _, status = os.waitpid(first.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status), "the first run ended before it reached " + point

        second = hygge(ws, "go", env={"HYGGE_TEST_STATE_CS": azurite.connection_string})

        os.kill(first.pid, signal.SIGCONT)
        out, _ = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    said = _said(second)
    assert second.returncode != 0, said
    assert "sales.orders" in said and "lock" in said.lower(), said
    assert f"pid {first.pid}" in said, said  # names the run that holds it
    assert first.returncode == 0, out
    assert sorted(read_lake(ws, "orders")["id"].to_list()) == [1, 2, 3, 4, 5]
    assert KEY not in said and KEY not in out
