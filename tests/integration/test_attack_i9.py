"""Hostile-user findings on issue 8's work (state ownership, native streaming, lazy CLI, i7c).

Each test reproduces a defect the i9 attack found; fixed ones pass, open ones are strict xfails.
"""

from __future__ import annotations

import polars as pl
import pytest

from hygge.errors import ConfigError
from hygge.state.base import StateOwner
from hygge.state.owner import claim_state
from tests.support.cli import hygge
from tests.support.workspace import land, read_lake, write_workspace

FLOW = """\
home: {type: parquet, path: landing}
store: {type: parquet, path: lake}
run_type: full_drop
entities: [orders]
"""


def _frame(n: int = 5) -> pl.DataFrame:
    return pl.DataFrame({"id": list(range(n)), "v": [f"x{i}" for i in range(n)]})


def test_a_state_folder_inside_an_entity_home_folder_is_refused_at_load(tmp_path):
    """A state folder must not sit in a home's entity folder (exit 2, naming the overlap).

    `state: {path: landing/orders}` loaded; the first run wrote its journal (parquet) there and
    the second run read the journal's files as the entity's source rows and failed (exit 1,
    "the columns differ"); with matching columns it would have loaded them as data.
    """
    ws = write_workspace(
        tmp_path / "ws",
        {"f": FLOW},
        project="name: t\nstate: {type: local, path: landing/orders}\n",
    )
    land(ws, "orders", "a", _frame())
    done = hygge(ws, "go")
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, said
    assert "reads its home" in said and "state" in said, said
    assert not (ws / "landing" / "orders" / "journal").exists()


def test_a_state_folder_beside_the_entity_folders_of_a_home_still_runs(tmp_path):
    """A state folder in a flow's home root (not an entity's folder) reads nothing: allowed."""
    ws = write_workspace(
        tmp_path / "ws", {"f": FLOW}, project="name: t\nstate: {type: local, path: landing}\n"
    )
    land(ws, "orders", "a", _frame())
    for _ in range(2):
        done = hygge(ws, "go")
        assert done.returncode == 0, done.stdout + done.stderr


class _RacedState:
    """A state whose owner record another workspace writes just after this one first reads it
    (two first runs of different workspaces starting together on one fresh state folder)."""

    def __init__(self, other: StateOwner) -> None:
        self.other = other
        self.recorded: StateOwner | None = None
        self.reads = 0

    def state_owner(self) -> StateOwner | None:
        seen = self.recorded
        self.reads += 1
        if self.reads == 1:
            self.recorded = self.other  # the other workspace's claim lands now
        return seen

    def set_state_owner(self, owner: StateOwner) -> None:
        self.recorded = owner

    def claim_state_owner(self, owner: StateOwner) -> StateOwner:
        if self.recorded is None:
            self.recorded = owner
        return self.recorded

    def location(self) -> str:
        return "/shared/state"


def test_two_workspaces_claiming_a_fresh_state_at_once_do_not_both_own_it():
    """One state folder belongs to one workspace, even when two first runs start together.

    `claim_state` reads the record (none yet), reads it again and writes its own: another
    workspace's record written in between is silently replaced, and both runs go on.
    """
    other = StateOwner(name="b", root="/work/b")
    state = _RacedState(other)
    with pytest.raises(ConfigError):
        claim_state(state, StateOwner(name="a", root="/work/a"))  # type: ignore[arg-type]
    assert state.recorded == other


def test_a_store_path_written_as_dollar_home_is_a_configuration_error(tmp_path):
    """README: `${VAR}` is substituted "as a shell does", and `~` is refused, never expanded.

    `store: {path: $HOME/lake}` (shell style, no braces) loads and stores into a folder named
    `$HOME` inside the workspace; it should be refused at load like `~` (exit 2), pointing
    at `${HOME}/lake`.
    """
    ws = write_workspace(tmp_path / "ws", {"f": FLOW.replace("path: lake", "path: $HOME/lake")})
    land(ws, "orders", "a", _frame())
    done = hygge(ws, "go", env={"HOME": str(tmp_path / "home")})
    assert not (ws / "$HOME").exists(), "hygge created a folder named $HOME"
    assert done.returncode == 2, done.stdout + done.stderr


def test_colliding_polished_names_mean_the_same_source_column_in_every_file(tmp_path):
    """polish.columns collisions are numbered the same way for every file of an entity.

    Files may order their columns differently (they are matched by name). Collisions were
    numbered in column order, so `OrderId` became `order_id` in one file and `order_id_1` in
    the next: the store's `order_id` silently mixed the values of two source columns.
    """
    flow = FLOW + "polish:\n  columns: {case: snake}\n"
    ws = write_workspace(tmp_path / "ws", {"f": flow})
    first = pl.DataFrame({"id": [1], "OrderId": ["big"], "orderId": ["small"]})
    land(ws, "orders", "a", first)
    land(ws, "orders", "b", pl.DataFrame({"id": [2], "orderId": ["small"], "OrderId": ["big"]}))
    done = hygge(ws, "go")
    assert done.returncode == 0, done.stdout + done.stderr
    lake = read_lake(ws, "orders").sort("id")
    assert lake["order_id"].n_unique() == 1, lake
    assert lake["order_id_1"].n_unique() == 1, lake
