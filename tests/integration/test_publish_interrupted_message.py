"""What a run interrupted while publishing tells the user: a failure that comes back until it
is put right (a full disk, a permission, a folder hygge does not own) says so; a transient one
says only that the next `hygge go` finishes the publish. Either way the rows are kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygge.errors import RetryableError, StoreOwnershipError
from hygge.stores.file_store import FileStore
from hygge.types import RunStatus
from tests.integration.test_fault_matrix import assert_store_matches, prepare
from tests.support.workspace import run


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (
            StoreOwnershipError("lake/orders holds files hygge did not write"),
            "once that is put right, the next `hygge go` finishes",
        ),
        (RetryableError("the share went away"), "; the next `hygge go` finishes"),
    ],
)
def test_the_message_says_whether_the_failure_must_be_put_right_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception, said: str
) -> None:
    root = tmp_path / "ws"
    source = prepare(root, "parquet", "incremental")

    def refuse(self: FileStore, *args: object, **kwargs: object) -> None:
        raise error

    with monkeypatch.context() as patch:
        patch.setattr(FileStore, "publish", refuse)
        (failed,) = run(root).results

    assert failed.status is RunStatus.FAIL
    assert "interrupted while publishing" in (failed.message or "")
    assert said in (failed.message or ""), failed.message
    assert run(root).ok
    assert_store_matches(root, "parquet", source)


def test_a_transactional_store_failing_its_publish_points_at_reset(tmp_path: Path) -> None:
    """A DuckDB publish is one commit: a failure that is not transient names `hygge reset`
    (for rows the store refuses), the reset drops the run, and the full reload it names lands
    every row once. Run through the CLI, as a user would."""
    pytest.importorskip("duckdb", reason="the duckdb extra (pip install 'hygge-el[duckdb]')")
    from hygge.stores.duckdb_database import close_databases
    from tests.integration.test_fault_matrix_duckdb import assert_table_matches
    from tests.integration.test_fault_matrix_duckdb import prepare as prepare_duckdb
    from tests.support.cli import hygge

    root = tmp_path / "ws"
    source = prepare_duckdb(root, "incremental")
    close_databases()  # the in-process first run's; the CLI runs below open it themselves

    failed = hygge(root, "go", env={"HYGGE_FAULT": "during_publish:raise"})
    said = failed.stdout + failed.stderr
    assert failed.returncode != 0, said
    assert "interrupted while publishing" in said, said
    flat = " ".join(said.split())
    assert "hygge reset -f shop -e orders" in flat, said
    assert "hygge go --full-drop -e shop.orders" in flat, said

    reset = hygge(root, "reset", "-f", "shop", "-e", "orders", "--yes")
    assert reset.returncode == 0, reset.stdout + reset.stderr
    again = hygge(root, "go", "--full-drop", "-e", "shop.orders")
    assert again.returncode == 0, again.stdout + again.stderr
    assert_table_matches(root, source)


def test_a_publish_refused_for_good_does_not_promise_the_next_go_finishes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store refuses the rows themselves (a DataError from a transactional publish): the
    next `hygge go` is refused alike, so the message says so and names the way out, and does
    not first promise that the next run finishes the publish."""
    pytest.importorskip("duckdb", reason="the duckdb extra (pip install 'hygge-el[duckdb]')")
    from hygge.errors import DataError
    from hygge.stores.duckdb_database import close_databases
    from hygge.stores.duckdb_store import DuckdbStore
    from tests.integration.test_fault_matrix_duckdb import prepare as prepare_duckdb

    root = tmp_path / "ws"
    prepare_duckdb(root, "incremental")
    close_databases()

    def refuse(self: object, *args: object, **kwargs: object) -> None:
        raise DataError("table main.orders: column amount is a DECIMAL(4,2); 12345.5 does not fit")

    with monkeypatch.context() as patch:
        patch.setattr(DuckdbStore, "publish", refuse)
        (failed,) = run(root).results
    close_databases()
    message = " ".join((failed.message or "").split())
    assert failed.status is RunStatus.FAIL
    assert "interrupted while publishing" in message, message
    assert "finishes the publish" not in message, message
    assert "refused" in message and "again" in message, message
    assert "hygge reset -f shop -e orders" in message, message
    assert "hygge go --full-drop -e shop.orders" in message, message
