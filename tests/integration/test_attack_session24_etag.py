"""Session 24's attack on blob ETag change detection (on Azurite): a csv blob replaced by one
of the same name and size but other rows, between two runs and during a run; the same bytes
uploaded again (a new ETag, a touch)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.support.azurite import KEY as AZURITE_KEY
from tests.support.workspace import run, write_workspace

pytestmark = pytest.mark.azurite

NAME = "landing/orders/a.csv"
FIRST, SAME_SIZE = b"id,v\n1,a\n2,b\n", b"id,v\n3,c\n4,d\n"
FLOW = """\
home: {type: local, format: csv, path: landing, connection: blob%s}
store: {type: parquet, path: lake}
run_type: incremental
entities: [orders]
"""


def _workspace(tmp_path: Path, azurite, container: str, home: str = "") -> Path:  # type: ignore[no-untyped-def]
    project = (
        "name: test\nconnections:\n  blob:\n    type: azure_blob\n"
        f"    account_url: {azurite.account_url}\n    container: {container}\n"
        "    credential: key\n    key: '${BLOB_KEY}'\n"
    )
    return write_workspace(tmp_path, {"shop": FLOW % home}, project)


def _client(azurite, container: str):  # type: ignore[no-untyped-def]
    from azure.storage.blob import ContainerClient

    return ContainerClient.from_connection_string(azurite.connection_string, container)


def _lake(root: Path) -> list[int]:
    files = list((root / "lake" / "orders").glob("*.parquet"))
    return sorted(pl.read_parquet(files)["id"].to_list()) if files else []


@pytest.fixture
def landed(tmp_path, monkeypatch, azurite, blob_container):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BLOB_KEY", AZURITE_KEY)
    client = _client(azurite, blob_container)
    client.upload_blob(NAME, FIRST)
    return client


@pytest.mark.parametrize(("setting", "want"), [("", None), (", changed_files: reload",
                                                            [1, 2, 3, 4])])  # fmt: skip
def test_a_same_size_blob_replaced_between_runs_is_told_by_its_etag(
    tmp_path, azurite, blob_container, landed, setting, want
):
    root = _workspace(tmp_path, azurite, blob_container, setting)
    assert run(root).ok
    assert _lake(root) == [1, 2]
    before = landed.get_blob_client(NAME).get_blob_properties()
    landed.upload_blob(NAME, SAME_SIZE, overwrite=True)  # same name, same size, new rows
    after = landed.get_blob_client(NAME).get_blob_properties()
    assert after.size == before.size and after.etag != before.etag

    report = run(root)

    if want is None:  # the default, changed_files: fail, names the file and changes nothing
        assert not report.ok
        assert "a.csv" in str(report.failed), report.failed
        assert _lake(root) == [1, 2]
    else:
        assert report.ok, report.failed
        assert _lake(root) == want


def test_the_same_bytes_uploaded_again_are_a_touch_and_not_read_again(
    tmp_path, azurite, blob_container, landed
):
    root = _workspace(tmp_path, azurite, blob_container)
    assert run(root).ok
    landed.upload_blob(NAME, FIRST, overwrite=True)  # a new ETag, the same content

    report = run(root)

    assert report.ok, report.failed
    assert _lake(root) == [1, 2]


def test_a_blob_replaced_during_a_run_fails_the_run_and_the_next_reads_the_new_one(
    tmp_path, monkeypatch, azurite, blob_container, landed
):
    from hygge.homes import file_objects

    root = _workspace(tmp_path, azurite, blob_container, ", changed_files: reload")
    real = file_objects.readable_path
    replaced: list[str] = []

    def replacing(files, rel_path):  # type: ignore[no-untyped-def]
        if not replaced:  # after the listing and the check, before the download
            landed.upload_blob(NAME, SAME_SIZE, overwrite=True)
            replaced.append(rel_path)
        return real(files, rel_path)

    for module in ("hygge.homes.file_objects", "hygge.homes.file_home"):
        monkeypatch.setattr(f"{module}.readable_path", replacing)
    report = run(root)

    assert replaced and not report.ok
    assert "changed during the run" in str(report.failed), report.failed
    assert _lake(root) == []  # nothing of either version published
    monkeypatch.undo()
    monkeypatch.setenv("BLOB_KEY", AZURITE_KEY)
    again = run(root)
    assert again.ok, again.failed
    assert _lake(root) == [3, 4]
