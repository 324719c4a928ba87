"""`mirror_journal: true` in the Function App: the summary activity lands the run's journal once
per run as the mirrored table, as `hygge go` does — replayed by the SDK's replay engine with the
activities run for real on Azurite, the landing zone checked against the Open Mirroring spec."""

from __future__ import annotations

import pytest

from hygge.functions.contracts import RunInput, RunRequest
from tests.functions.app_shop import driver, make_shop
from tests.support.open_mirroring_checker import assert_valid, data_files, replay

pytestmark = pytest.mark.azurite

FLOW = """\
home: {{type: parquet, path: sales, connection: landing}}
store:
  type: open_mirroring
  connection: lake
  mirror_name: mirror
  key_columns: id
  folder_deletion_wait_seconds: 0
  mirror_journal: true
  journal_table_name: {table}
run_type: incremental
watermark: {{column: id}}
entities: [orders, lines]
"""
ZONE = "mirror/Files/LandingZone"


@pytest.fixture
def shop(azurite, monkeypatch):
    made = make_shop(azurite.connection_string)
    for name, value in made.env().items():
        monkeypatch.setenv(name, value)
    made.write_workspace(["orders"])  # hygge.yml; the flow replaced below
    made.put(made.config, "shop/flows/sales/flow.yml", FLOW.format(table="runs").encode())
    made.land("orders", range(0, 50), files=2)
    made.land("lines", range(100, 130))
    return made


def _zone(shop):
    from hygge.storage.blob import BlobStorage

    return BlobStorage.connect(None, shop.lake, connection_string=shop.connection_string)


def _run(instance_id: str, **request):
    run = RunInput(request=RunRequest(**request), trigger="http", requested_at="2026-12-01T02:00Z")
    done = driver().run("run_workspace", run.model_dump(mode="json"), instance_id)
    assert done.done and done.failed is None, done.failed
    return done.output


def test_a_run_lands_its_journal_once_as_the_mirrored_table(shop):
    first = _run("hygge-run-j1")
    assert first["succeeded"] == 2 and first["message"] is None, first
    shop.land_named("orders", range(50, 60), "b")
    second = _run("hygge-run-j2")
    assert (second["succeeded"], second["skipped"], second["message"]) == (1, 1, None), second

    zone = _zone(shop)
    assert_valid(zone, ZONE)
    table = f"{ZONE}/runs"
    assert [n for n, _ in data_files(zone, table)] == [f"{n:020d}.parquet" for n in (1, 2)]
    journal = replay(zone, table)
    assert journal is not None
    assert sorted(journal["entity"].to_list()) == ["lines", "lines", "orders", "orders"]
    assert journal["entity_run_id"].n_unique() == 4
    assert sum(journal["row_count"].fill_null(0).to_list()) == 50 + 30 + 10
    assert replay(zone, f"{ZONE}/orders").height == 60  # type: ignore[union-attr]


def test_a_dry_run_mirrors_no_journal(shop):
    assert _run("hygge-run-dry", dry_run=True)["dry_run"] is True
    assert not list(_zone(shop).list(f"{ZONE}/runs"))


def test_a_journal_table_hygge_does_not_own_is_named_in_the_summary_and_the_data_landed(shop):
    zone = _zone(shop)
    zone.put(f"{ZONE}/runs/_metadata.json", b'{"keyColumns": []}')  # someone else's table

    summary = _run("hygge-run-foreign")

    assert summary["succeeded"] == 2  # the entities' data is in; the run did not fail
    assert "journal not mirrored to runs" in summary["message"]
    assert "_metadata.json" in summary["message"]  # names what it found
    assert [i.key for i in zone.list(f"{ZONE}/runs")] == [f"{ZONE}/runs/_metadata.json"]
    assert replay(zone, f"{ZONE}/orders").height == 50  # type: ignore[union-attr]


def test_a_summary_delivered_twice_leaves_one_row_per_entity_run(shop):
    from tests.functions.app_shop import in_process

    replay_driver = driver()
    run = RunInput(request=RunRequest(), trigger="http", requested_at="2026-12-01T02:00Z")
    replay_driver.run("run_workspace", run.model_dump(mode="json"), "hygge-run-twice")
    summary_call = next(c for c in replay_driver.calls if c.name == "summary")

    again = in_process("summary", summary_call.input)  # the host delivers it again

    assert again["message"] is None and again["succeeded"] == 2
    zone = _zone(shop)
    assert_valid(zone, ZONE)
    journal = replay(zone, f"{ZONE}/runs")
    assert journal is not None and journal.height == 2  # upserted by entity_run_id
    assert sorted(journal["entity"].to_list()) == ["lines", "orders"]


def test_a_cancelled_run_mirrors_no_journal(shop):
    from hygge.functions.cancel_marker import write_marker

    write_marker(shop.workspace, "hygge-run-stopped")  # cancelled before an entity began

    summary = _run("hygge-run-stopped")

    assert summary["cancelled"] is True and summary["not_run"] == 2
    assert not list(_zone(shop).list(f"{ZONE}/runs"))
