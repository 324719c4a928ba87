"""Hostile-user findings on i7c features (parallel, state:, connections:, reset --orphaned, csv).

Each test reproduces a defect found by that attack, fixed since.
"""

from __future__ import annotations

import polars as pl

from tests.support.cli import hygge
from tests.support.workspace import land, write_workspace

FLOW_ON = """\
home: {type: parquet, path: landing}
store: {type: parquet, path: %s, connection: st}
run_type: full_drop
entities: [orders]
"""


def _frame(n: int = 5) -> pl.DataFrame:
    return pl.DataFrame({"id": list(range(n)), "v": [f"x{i}" for i in range(n)]})


def test_a_local_connection_root_of_home_is_refused_like_a_plain_store_path(tmp_path):
    """README: a store's flow path may not resolve to your home folder ($HOME) or `/`.

    `store: {path: "${HOME}"}` is refused at load (exit 2); the same folder reached through
    `connections: {st: {type: local, root: "${HOME}"}}` with `path: "."` was stored into
    (`$HOME/orders/`). The root is known only when the store opens (`${VAR}`), so it is
    refused there, before anything is written.
    """
    home = tmp_path / "home"
    home.mkdir()
    ws = write_workspace(
        tmp_path / "ws",
        {"f": FLOW_ON % '"."'},
        project='name: t\nconnections:\n  st: {type: local, root: "${HOME}"}\n',
    )
    land(ws, "orders", "a", _frame())
    done = hygge(ws, "go", env={"HOME": str(home)})
    assert not (home / "orders").exists(), "hygge stored into $HOME/orders through a connection"
    assert done.returncode != 0, done.stdout + done.stderr
    said = " ".join((done.stdout + done.stderr).split())
    assert "which is your home folder" in said, said
