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
