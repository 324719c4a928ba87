"""An Open Mirroring full_drop's `folder_deletion_wait_seconds` in the Function App: the commit
clears the table folder and returns; `run_entity` waits on a Durable timer (no worker held, no
sleep) and commits again, which lands the files — replayed by the SDK's replay engine with the
activities run for real on Azurite, the landing zone checked against the spec."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hygge import slots
from hygge.functions.contracts import RunInput, RunRequest
from hygge.stores.open_mirroring import publish
from tests.functions.app_shop import content_hash, driver, in_process, make_shop
from tests.support.durable import TIMER_CREATED
from tests.support.open_mirroring_checker import assert_valid, data_files, replay

pytestmark = pytest.mark.azurite

FLOW = """\
home: {type: parquet, path: sales, connection: landing}
store:
  type: open_mirroring
  connection: lake
  mirror_name: mirror
  key_columns: id
  folder_deletion_wait_seconds: 120
run_type: full_drop
entities: [orders, lines]
"""
TABLE = "mirror/Files/LandingZone/{}"


@pytest.fixture
def shop(azurite, monkeypatch):
    made = make_shop(azurite.connection_string)
    for name, value in made.env().items():
        monkeypatch.setenv(name, value)
    made.write_workspace(["orders"])
    made.put(made.config, "shop/flows/sales/flow.yml", FLOW.encode())
    made.land("orders", range(0, 40), files=2)
    made.land("lines", range(100, 120))
    return made


class Worker:
    """Activities run in process; the wall clock the publish reads moves on by what a
    commit asked to wait (the Durable timer fires no sooner); no sleep allowed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.at = datetime.now(UTC)
        self.waits: list[float] = []
        monkeypatch.setattr(publish, "_now", lambda: self.at)
        monkeypatch.setattr(slots.time, "sleep", self._no_sleep)

    def _no_sleep(self, seconds: float) -> None:
        raise AssertionError(f"the publish slept {seconds}s in the worker")

    def __call__(self, name: str, payload):
        done = in_process(name, payload)
        if name == "commit" and done.get("wait_seconds"):
            self.waits.append(done["wait_seconds"])
            self.at += timedelta(seconds=done["wait_seconds"])
        return done


def _run(instance_id: str, worker: Worker):
    run = RunInput(request=RunRequest(), trigger="http", requested_at="2026-12-01T02:00Z")
    replay_driver = driver(worker)
    done = replay_driver.run("run_workspace", run.model_dump(mode="json"), instance_id)
    assert done.done and done.failed is None, done.failed
    return replay_driver, done.output


def _zone(shop):
    from hygge.storage.blob import BlobStorage

    return BlobStorage.connect(None, shop.lake, connection_string=shop.connection_string)


def test_a_full_drop_waits_for_fabric_on_a_durable_timer_then_lands(shop, monkeypatch):
    worker = Worker(monkeypatch)
    _, first = _run("hygge-run-w1", worker)  # new tables: nothing to wait for
    assert first["succeeded"] == 2 and worker.waits == []
    shop.land_named("orders", range(40, 45), "b")

    replay_driver, second = _run("hygge-run-w2", worker)

    assert second["succeeded"] == 2, second
    assert worker.waits == [120, 120]  # each entity's commit asked once
    for entity in ("orders", "lines"):
        child = replay_driver.instances[f"hygge-run-w2:sales.{entity}"]
        timers = [e for e in child.history if e["EventType"] == TIMER_CREATED]
        assert len(timers) == 1
        fire_at = datetime.fromisoformat(timers[0]["FireAt"].replace("Z", "+00:00"))
        created = datetime.fromisoformat(timers[0]["Timestamp"].replace("Z", "+00:00"))
        assert fire_at - created >= timedelta(seconds=119)  # the wait, on the timer
        commits = [c for c in replay_driver.calls if c.name == "commit"]
        assert len([c for c in commits if c.instance_id == child.id]) == 2
    zone = _zone(shop)
    assert_valid(zone, "mirror/Files/LandingZone")
    for entity in ("orders", "lines"):
        assert data_files(zone, TABLE.format(entity))[0][0] == f"{1:020d}.parquet"  # anew
        mirrored = replay(zone, TABLE.format(entity))
        assert mirrored is not None
        assert content_hash(mirrored) == content_hash(shop.source_frame(entity))


def test_a_commit_redelivered_during_the_timer_clears_nothing_twice(shop, monkeypatch):
    worker = Worker(monkeypatch)
    _run("hygge-run-r1", worker)
    calls: list[str] = []

    def redelivering(name: str, payload):
        done = worker(name, payload)
        if name == "commit" and done.get("wait_seconds") and payload["instance_id"] not in calls:
            calls.append(payload["instance_id"])
            worker.at -= timedelta(seconds=done["wait_seconds"] / 2)  # half the wait passed
            again = in_process(name, payload)  # the host delivers it a second time
            assert 0 < again["wait_seconds"] <= done["wait_seconds"] / 2 + 1
            worker.at += timedelta(seconds=done["wait_seconds"] / 2)
        return done

    _, summary = _run("hygge-run-r2", redelivering)  # type: ignore[arg-type]

    assert summary["succeeded"] == 2
    zone = _zone(shop)
    assert_valid(zone, "mirror/Files/LandingZone")
    for entity in ("orders", "lines"):
        mirrored = replay(zone, TABLE.format(entity))
        assert mirrored is not None
        assert content_hash(mirrored) == content_hash(shop.source_frame(entity))
