"""Two processes publishing into one SQLite file: every step of the sqlite store is one
`BEGIN IMMEDIATE` transaction (the file's one write lock, taken before it reads anything), so
a second workspace's run waits while the first publishes, then reads the first's owner record
and is refused; its rows never mix with the first's. Also through a symbolic link to the file
(one file, one lock) and with both runs started at once, several times."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from tests.contract.store_contract import assert_same_rows
from tests.support.data import orders
from tests.support.workspace import REPO, land, write_workspace

FLOW = """\
home: {type: parquet, path: landing}
store: {type: sqlite, path: '%s', table: orders}
run_type: %s
entities: [orders]
"""


def _workspace(root: Path, database: Path, run_type: str = "full_drop") -> Path:
    text = str(database).replace("'", "''")
    return write_workspace(root, {"shop": FLOW % (text, run_type)})


def _child(root: Path, fault: str | None = None) -> subprocess.Popen[bytes]:
    code = (
        "import sys\nfrom pathlib import Path\nfrom tests.support.workspace import run\n"
        f"report = run(Path({str(root)!r}))\nprint(report.results)\n"
        "sys.exit(0 if report.ok else 1)"
    )
    env = {k: v for k, v in os.environ.items() if k != "HYGGE_FAULT"}
    if fault:
        env["HYGGE_FAULT"] = fault
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def _wait_stopped(child: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state == "T":
            return
        assert child.poll() is None, child.communicate()
        time.sleep(0.05)
    raise AssertionError("the child never stopped at its fault point")


def _table(database: Path) -> pl.DataFrame:
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT id, customer, amount, updated_at FROM orders").fetchall()
    frame = pl.DataFrame(rows, schema=["id", "customer", "amount", "updated_at"], orient="row")
    return frame.with_columns(pl.col("updated_at").str.to_datetime()).cast(
        dict(orders(1).schema)  # type: ignore[arg-type]
    )


def _locked(database: Path) -> bool:
    """True while another connection holds the file's write lock."""
    connection = sqlite3.connect(database, isolation_level=None, timeout=0)
    try:
        connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        assert "locked" in str(error)
        return True
    finally:
        connection.close()
    return False


@pytest.mark.parametrize("via_link", [False, True], ids=["same-path", "through-a-link"])
def test_a_second_workspace_waits_for_the_firsts_publish_then_is_refused(
    tmp_path: Path, via_link: bool
) -> None:
    database = tmp_path / "shared" / "lake.sqlite"
    database.parent.mkdir()
    other = database
    if via_link:
        other = tmp_path / "link.sqlite"
        other.symlink_to(database)
    mine, theirs = orders(4), orders(3, start=100)
    first_root = _workspace(tmp_path / "a", database)
    second_root = _workspace(tmp_path / "b", other)
    land(first_root, "orders", "a", mine)
    land(second_root, "orders", "a", theirs)

    first = _child(first_root, fault="during_publish:stop")
    _wait_stopped(first)  # inside its publish's transaction: the table written, not committed
    assert _locked(database)
    second = _child(second_root)
    time.sleep(3)
    assert second.poll() is None, second.communicate()  # it waits on the first's lock
    os.kill(first.pid, signal.SIGCONT)
    first_out = first.communicate(timeout=120)
    second_out = second.communicate(timeout=120)

    assert first.returncode == 0, first_out
    assert second.returncode == 1, second_out  # refused: the table is workspace a's now
    assert b"belongs to" in b"".join(second_out), second_out
    assert_same_rows(_table(database), mine)
    assert not other.is_symlink() or other.resolve() == database  # the link left as it was
    assert not (tmp_path / "link.sqlite-journal").exists()


@pytest.mark.parametrize("run_type", ["full_drop", "incremental"])
def test_two_workspaces_started_at_once_land_one_of_them_whole(
    tmp_path: Path, run_type: str
) -> None:
    database = tmp_path / "lake.sqlite"
    for round_ in range(3):
        sources = [orders(5, start=0), orders(6, start=100)]
        roots = []
        for name, frame in zip("ab", sources, strict=True):
            root = _workspace(tmp_path / f"{round_}-{name}", database, run_type)
            land(root, "orders", "a", frame)
            roots.append(root)
        database.unlink(missing_ok=True)

        children = [_child(root) for root in roots]
        outs = [child.communicate(timeout=180) for child in children]

        codes = sorted(child.returncode for child in children)
        assert codes == [0, 1], outs  # one lands, the other is refused
        winner = next(i for i, child in enumerate(children) if child.returncode == 0)
        assert_same_rows(_table(database), sources[winner])
        loser = outs[1 - winner]
        assert b"belongs to" in b"".join(loser), loser


def test_a_publisher_killed_mid_publish_holds_no_lock_and_leaves_nothing_of_its_run(
    tmp_path: Path,
) -> None:
    """kill -9 inside the first's publish transaction: SQLite rolls its journal back, the
    lock dies with the process, and the second workspace lands its rows as the table's
    owner (the killed run published nothing, so recorded no owner)."""
    database = tmp_path / "lake.sqlite"
    mine, theirs = orders(4), orders(3, start=100)
    first_root = _workspace(tmp_path / "a", database)
    second_root = _workspace(tmp_path / "b", database)
    land(first_root, "orders", "a", mine)
    land(second_root, "orders", "a", theirs)

    first = _child(first_root, fault="during_publish:stop")
    _wait_stopped(first)
    os.kill(first.pid, signal.SIGKILL)
    first.communicate(timeout=60)
    assert not _locked(database)
    second = _child(second_root)
    out = second.communicate(timeout=120)

    assert second.returncode == 0, out
    assert_same_rows(_table(database), theirs)
