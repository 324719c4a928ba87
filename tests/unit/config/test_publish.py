"""`hygge publish`'s core over MemoryStorage: what it uploads, what it shows, what it refuses
to replace or remove, and how a crashed or concurrent publish ends."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime

import pytest

from hygge.config.publish import apply_publish, plan_publish, workspace_files
from hygge.config.publish_manifest import MANIFEST, Intent, Manifest, Publisher, read_manifest
from hygge.errors import RetryableError, StateError, StoreOwnershipError
from hygge.storage import MemoryStorage

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
HOST = socket.gethostname()


def _publish(storage, files, prefix="shop"):
    plan = plan_publish(storage, prefix, files, now=NOW, host=HOST)
    apply_publish(storage, prefix, plan, files, now=NOW, source="/src/shop")
    return plan


def _content(storage, key):
    with storage.open_read(key) as handle:
        return handle.read()


V1 = {"hygge.yml": b"name: shop\n", "flows/a/flow.yml": b"home: /x\n", "flows/b/flow.yml": b"b\n"}


def test_only_hygge_yml_and_the_flows_yaml_files_are_workspace_files(tmp_path):
    for rel in ("hygge.yml", "flows/a/flow.yml", "flows/a/entities/e.yaml", ".env",
                ".hygge/owner.json", "landing/x.parquet", "flows/a/notes.md",
                "flows/.hidden/flow.yml", "flows/a/.draft.yml"):  # fmt: skip
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x\n")

    assert sorted(workspace_files(tmp_path, "flows")) == [
        "flows/a/entities/e.yaml",
        "flows/a/flow.yml",
        "hygge.yml",
    ]


def test_a_first_publish_adds_every_file_and_records_them_in_the_manifest():
    storage = MemoryStorage()

    plan = _publish(storage, V1)

    assert plan.added == sorted(V1) and not (plan.changed or plan.removed or plan.unchanged)
    assert {rel: _content(storage, f"shop/{rel}") for rel in V1} == V1
    manifest, _ = read_manifest(storage, "shop")
    assert set(manifest.files) == set(V1) and manifest.intent is None


def test_a_second_publish_shows_added_changed_removed_and_unchanged_by_content_hash():
    storage = MemoryStorage()
    _publish(storage, V1)
    v2 = {
        "hygge.yml": b"name: shop2\n",
        "flows/a/flow.yml": V1["flows/a/flow.yml"],
        "flows/c/flow.yml": b"c\n",
    }

    plan = _publish(storage, v2)

    assert (plan.added, plan.changed, plan.removed, plan.unchanged) == (
        ["flows/c/flow.yml"],
        ["hygge.yml"],
        ["flows/b/flow.yml"],
        ["flows/a/flow.yml"],
    )
    assert storage.stat("shop/flows/b/flow.yml") is None
    assert _content(storage, "shop/hygge.yml") == b"name: shop2\n"


def test_removing_files_touches_only_blobs_hygge_published_under_the_prefix():
    storage = MemoryStorage()
    _publish(storage, V1)
    storage.put("shop/notes.txt", b"mine")
    storage.put("shop/.hygge/owner.json", b"{}")
    storage.put("shop/flows/z/flow.yml", b"uploaded by hand")

    plan = _publish(storage, {"hygge.yml": V1["hygge.yml"]})

    assert plan.removed == ["flows/a/flow.yml", "flows/b/flow.yml"]
    left = sorted(info.key for info in storage.list("shop"))
    assert left == [f"shop/{MANIFEST}", "shop/.hygge/owner.json", "shop/flows/z/flow.yml",
                    "shop/hygge.yml", "shop/notes.txt"]  # fmt: skip


def test_a_blob_hygge_did_not_publish_is_never_replaced():
    storage = MemoryStorage()
    storage.put("shop/hygge.yml", b"name: someone-elses\n")

    with pytest.raises(StoreOwnershipError, match="not published by hygge") as raised:
        _publish(storage, V1)

    assert "shop/hygge.yml" in str(raised.value)
    assert _content(storage, "shop/hygge.yml") == b"name: someone-elses\n"
    assert sorted(info.key for info in storage.list("shop")) == ["shop/hygge.yml"]


def test_an_identical_blob_hygge_did_not_publish_is_adopted_without_a_write():
    storage = MemoryStorage()
    storage.put("shop/hygge.yml", V1["hygge.yml"])
    before = storage.stat("shop/hygge.yml")

    plan = _publish(storage, V1)

    assert "hygge.yml" in plan.unchanged and storage.stat("shop/hygge.yml") == before


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({**V1, "flows/b/flow.yml": b"new b\n"}, id="changed"),
        pytest.param({k: v for k, v in V1.items() if k != "flows/b/flow.yml"}, id="removed"),
    ],
)
def test_a_published_blob_changed_by_hand_is_neither_replaced_nor_removed(files):
    storage = MemoryStorage()
    _publish(storage, V1)
    storage.put("shop/flows/b/flow.yml", b"edited in the portal\n")

    with pytest.raises(StoreOwnershipError, match="changed since hygge published it"):
        _publish(storage, files)

    assert _content(storage, "shop/flows/b/flow.yml") == b"edited in the portal\n"


class _FailingAfter(MemoryStorage):
    """Dies (like a kill) after `puts` writes."""

    def __init__(self, puts: int) -> None:
        super().__init__()
        self.left = puts

    def put(self, key, data, **conditions):
        if self.left == 0:
            raise KeyboardInterrupt("killed")
        self.left -= 1
        return super().put(key, data, **conditions)


def test_a_publish_killed_midway_is_finished_by_the_next_one():
    storage = _FailingAfter(puts=2)  # the intent, then one of three files
    with pytest.raises(KeyboardInterrupt):
        _publish(storage, V1)
    manifest, _ = read_manifest(storage, "shop")
    assert manifest.intent is not None
    manifest.intent.by.pid = _dead_pid()
    storage.left = 1
    storage.put(f"shop/{MANIFEST}", manifest.model_dump_json().encode())
    storage.left = -1  # no more failures

    plan = _publish(storage, V1)

    assert plan.taken_over is not None and "no longer exists" in plan.taken_over
    assert {rel: _content(storage, f"shop/{rel}") for rel in V1} == V1
    finished, _ = read_manifest(storage, "shop")
    assert finished.intent is None and set(finished.files) == set(V1)


def test_a_publish_under_way_in_a_live_process_is_not_interleaved():
    storage = MemoryStorage()
    intent = Intent(writes={}, by=Publisher(host=HOST, pid=os.getpid(), started_at=NOW))
    storage.put(f"shop/{MANIFEST}", Manifest(intent=intent).model_dump_json().encode())

    with pytest.raises(RetryableError, match="under way"):
        plan_publish(storage, "shop", V1, now=NOW, host=HOST)


def test_of_two_publishers_planning_at_once_the_second_writes_nothing():
    storage = MemoryStorage()
    first = plan_publish(storage, "shop", V1, now=NOW, host=HOST)
    second = plan_publish(storage, "shop", {"hygge.yml": b"other\n"}, now=NOW, host=HOST)
    apply_publish(storage, "shop", first, V1, now=NOW, source="a")

    with pytest.raises(RetryableError, match=r"changed \S+ meanwhile"):
        apply_publish(storage, "shop", second, {"hygge.yml": b"other\n"}, now=NOW, source="b")

    assert {rel: _content(storage, f"shop/{rel}") for rel in V1} == V1


def _dead_pid() -> int:
    pid = 2**22 - 7
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid -= 1


@pytest.mark.parametrize("name", ["../other/hygge.yml", "data/orders.parquet", ".hygge/x.yml"])
def test_a_manifest_edited_to_name_other_blobs_is_refused_before_anything_is_touched(name):
    storage = MemoryStorage()
    storage.put("shop/data/orders.parquet", b"PAR1")
    forged = Manifest(files={name: "0" * 64})
    storage.put(f"shop/{MANIFEST}", forged.model_dump_json().encode())

    with pytest.raises(StateError, match="edited by hand"):
        _publish(storage, {"hygge.yml": b"name: shop\n"})

    assert _content(storage, "shop/data/orders.parquet") == b"PAR1"
    assert storage.stat("shop/hygge.yml") is None
