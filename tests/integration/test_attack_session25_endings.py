"""Session 25's attack on a failed run whose ending step fails too (`finish.ending_failed`),
as a hostile user: a corrupt home file fails the run, and its journal cannot be written (the
entity's journal folder replaced by a file). `hygge go` must end (no loop), release the lock,
keep the store as it was; once the journal folder is put back, the next runs land the source
once."""

from __future__ import annotations

from pathlib import Path

from hygge.config import load_workspace
from tests.contract.store_contract import assert_same_rows
from tests.support.cli import hygge
from tests.support.data import orders
from tests.support.workspace import ORDERS_BY_ID_FLOW, land, read_lake, state_of, write_workspace


def test_a_failed_run_whose_journal_cannot_be_written_ends_and_the_next_run_recovers(
    tmp_path: Path,
) -> None:
    root = write_workspace(tmp_path / "ws", {"shop": ORDERS_BY_ID_FLOW})
    land(root, "orders", "a", orders(3))
    assert hygge(root, "go").returncode == 0
    bad = root / "landing" / "orders" / "b.parquet"
    bad.write_bytes(b"PAR1 this is no parquet file PAR1")
    journal = load_workspace(root).journal_dir / "shop" / "orders"
    kept = journal.with_name("orders.kept")
    journal.rename(kept)
    journal.write_text("not a folder")  # the journal row of the failure cannot be written

    failed = hygge(root, "go")  # the subprocess's timeout (300 s) catches a loop

    said = " ".join((failed.stdout + failed.stderr).split())
    assert failed.returncode == 1, said
    assert "b.parquet" in said, said
    assert state_of(load_workspace(root)).list_locks() == {}
    assert_same_rows(read_lake(root, "orders"), orders(3))
    journal.unlink()
    kept.rename(journal)
    land(root, "orders", "b", orders(4, start=3))  # the file put right
    again = hygge(root, "go")
    assert again.returncode == 0, again.stdout + again.stderr
    assert_same_rows(read_lake(root, "orders"), orders(7))
    assert hygge(root, "go").returncode == 0
    assert_same_rows(read_lake(root, "orders"), orders(7))


def test_a_run_whose_abort_fails_too_ends_keeping_its_checkpoint_and_the_next_run_resumes(
    tmp_path: Path,
) -> None:
    import os
    import signal
    import subprocess
    import time

    from tests.support.cli import HYGGE

    root = write_workspace(tmp_path / "ws", {"shop": ORDERS_BY_ID_FLOW})
    land(root, "orders", "a", orders(5))
    env = {**os.environ, "HYGGE_FAULT": "after_begin:stop", "COLUMNS": "400"}
    child = subprocess.Popen([HYGGE, "go"], cwd=root, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)  # fmt: skip
    lock = load_workspace(root).state_dir / "locks" / "shop" / "orders.lock"
    deadline = time.monotonic() + 120
    while Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "T":
        assert time.monotonic() < deadline and child.poll() is None
        time.sleep(0.05)
    lock.unlink()
    lock.mkdir()  # every lock call fails now: the chunk's, then the abort's own
    os.kill(child.pid, signal.SIGCONT)
    out, _ = child.communicate(timeout=300)  # a loop would hang here

    said = " ".join(out.split())
    assert child.returncode == 1, said
    assert "ending the run failed too" in said, said
    assert read_lake(root, "orders").height == 0
    lock.rmdir()  # put right
    again = hygge(root, "go")
    assert again.returncode == 0, again.stdout + again.stderr
    assert_same_rows(read_lake(root, "orders"), orders(5))
