"""The Open Mirroring store's landing zone, file by file: layout, metadata, names, markers,
schema file, partner events, ownership, keyColumns that never change, resumed publishes.
Each test ends with the spec checker on the landing zone."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from hygge.errors import ConfigError, DataError, InjectedFault, StoreOwnershipError
from hygge.storage import LocalStorage
from hygge.stores.open_mirroring import OpenMirroringStoreConfig
from hygge.stores.open_mirroring.publish import Publisher
from hygge.stores.open_mirroring.store import OpenMirroringStore
from hygge.types import Place, RunType
from tests.support.data import orders
from tests.support.open_mirroring_checker import assert_valid, data_files, replay

LANDING = "onelake/LandingZone"


def _store(root: Path, **fields) -> OpenMirroringStore:
    settings = {"path": LANDING, "key_columns": ["id"], "folder_deletion_wait_seconds": 0}
    config = OpenMirroringStoreConfig(**{**settings, **fields})
    return config.open(Place(root, "shop", "orders", workspace="test"))


def _run(store: OpenMirroringStore, frames, run_type, run_id) -> None:
    staging = store.prepare(run_id, run_type)
    for frame in frames:
        staging = store.write(staging, frame)
    store.publish(staging)


def _storage(root: Path) -> LocalStorage:
    return LocalStorage(root / "onelake")


def _names(root: Path, table: str = "LandingZone/orders") -> list[str]:
    return [name for name, _ in data_files(_storage(root), table)]


def test_the_layout_metadata_and_sequential_names_follow_the_spec(tmp_path):
    _run(_store(tmp_path), [orders(3), orders(2, start=3)], RunType.FULL_DROP, "r1")
    _run(_store(tmp_path), [orders(2, start=5)], RunType.INCREMENTAL, "r2")
    table = tmp_path / LANDING / "orders"
    assert _names(tmp_path) == [f"{n:020d}.parquet" for n in (1, 2, 3)]
    assert json.loads((table / "_metadata.json").read_text()) == {
        "keyColumns": ["id"],
        "isUpsertDefaultRowMarker": True,
    }
    markers = [pl.read_parquet(table / n)["__rowMarker__"].to_list() for n in _names(tmp_path)]
    assert markers == [[0, 0, 0], [0, 0], [4, 4]]  # full_drop inserts; incremental upserts
    assert pl.read_parquet(table / _names(tmp_path)[0]).columns[-1] == "__rowMarker__"
    assert not (tmp_path / "onelake" / "_hygge_staging").exists()  # staging cleaned up
    assert_valid(_storage(tmp_path), "LandingZone")


def test_sequences_continue_after_the_highest_present_and_restart_after_a_full_drop(tmp_path):
    _run(_store(tmp_path, starting_sequence=7), [orders(2)], RunType.FULL_DROP, "r1")
    _run(_store(tmp_path, starting_sequence=7), [orders(1, start=2)], RunType.INCREMENTAL, "r2")
    assert _names(tmp_path) == [f"{n:020d}.parquet" for n in (7, 8)]
    _run(_store(tmp_path, starting_sequence=7), [orders(1)], RunType.FULL_DROP, "r3")
    assert _names(tmp_path) == [f"{7:020d}.parquet"]  # a new table folder: from the start


def test_a_crash_mid_landing_reuses_the_planned_numbers(tmp_path, monkeypatch):
    _run(_store(tmp_path), [orders(2)], RunType.FULL_DROP, "r1")
    store = _store(tmp_path)
    staging = store.prepare("r2", RunType.INCREMENTAL)
    for frame in (orders(1, start=2), orders(1, start=3), orders(1, start=4)):
        staging = store.write(staging, frame)
    calls = []
    real = Publisher._land

    def dies_on_the_second(self, *args):
        calls.append(args)
        if len(calls) == 2:
            raise InjectedFault("killed mid-landing")
        return real(self, *args)

    with monkeypatch.context() as patch:
        patch.setattr(Publisher, "_land", dies_on_the_second)
        with pytest.raises(InjectedFault):
            _store(tmp_path).publish(staging)
    assert _names(tmp_path) == [f"{n:020d}.parquet" for n in (1, 2)]
    _store(tmp_path).publish(staging)  # retried in a fresh process
    _run(_store(tmp_path), [orders(1, start=5)], RunType.INCREMENTAL, "r3")
    assert _names(tmp_path) == [f"{n:020d}.parquet" for n in range(1, 6)]  # no gap, no repeat
    assert_valid(_storage(tmp_path), "LandingZone")
    assert replay(_storage(tmp_path), "LandingZone/orders").height == 6  # type: ignore[union-attr]


def test_timestamp_detection_names_sort_in_write_order(tmp_path):
    store = _store(tmp_path, file_detection="timestamp")
    _run(store, [orders(2), orders(2, start=2)], RunType.FULL_DROP, "r1")
    _run(
        _store(tmp_path, file_detection="timestamp"),
        [orders(1, start=4)],
        RunType.INCREMENTAL,
        "r2",
    )
    names = sorted(p.name for p in (tmp_path / LANDING / "orders").glob("*.parquet"))
    runs = [pl.read_parquet(tmp_path / LANDING / "orders" / n)["id"].to_list() for n in names]
    assert runs == [[0, 1], [2, 3], [4]]
    metadata = json.loads((tmp_path / LANDING / "orders" / "_metadata.json").read_text())
    assert metadata["fileDetectionStrategy"] == "LastUpdateTimeFileDetection"
    assert_valid(_storage(tmp_path), "LandingZone")


def test_the_schema_file_keeps_datetimes_and_decimal_precision(tmp_path):
    frame = pl.DataFrame(
        [
            pl.Series("id", [1]),
            pl.Series("at", [None], pl.Datetime("us", "UTC")),
            pl.Series("price", [Decimal("1.25")], pl.Decimal(12, 3)),
            pl.Series("day", [None], pl.Date),
        ]
    )
    _run(_store(tmp_path), [frame], RunType.FULL_DROP, "r1")
    schema = json.loads((tmp_path / LANDING / "orders" / "_schema.json").read_text())
    assert schema["columns"] == [
        {"name": "id", "type": "Int64"},
        {"name": "at", "type": "DateTime", "timezone": "UTC"},
        {"name": "price", "type": "Decimal", "precision": 12, "scale": 3},
        {"name": "day", "type": "IDate"},
        {"name": "__rowMarker__", "type": "Int32"},
    ]


def test_a_source_marker_column_carries_its_deletes(tmp_path):
    _run(_store(tmp_path), [orders(4)], RunType.FULL_DROP, "r1")
    changes = orders(2, start=2).with_columns(__rowMarker__=pl.Series([2, 1], dtype=pl.Int8))
    _run(_store(tmp_path), [changes], RunType.INCREMENTAL, "r2")
    table = replay(_storage(tmp_path), "LandingZone/orders")
    assert table is not None and sorted(table["id"].to_list()) == [0, 1, 3]
    bad = orders(1).with_columns(__rowMarker__=pl.lit(3))
    store = _store(tmp_path)
    with pytest.raises(DataError, match="__rowMarker__ holds 3"):
        store.write(store.prepare("r3", RunType.INCREMENTAL), bad)


def test_partner_events_are_written_inside_the_mirrors_landing_zone(tmp_path):
    store = _store(tmp_path, partner_name="acme", source_type="SQL", source_version="16")
    _run(store, [orders(1)], RunType.FULL_DROP, "r1")
    events = json.loads((tmp_path / LANDING / "_partnerEvents.json").read_text())
    assert events == {
        "partnerName": "acme",
        "sourceInfo": {"sourceType": "SQL", "sourceVersion": "16", "additionalInformation": {}},
    }
    assert [p.name for p in tmp_path.rglob("_partnerEvents.json")] == ["_partnerEvents.json"]


def test_a_table_folder_hygge_did_not_write_is_refused_naming_what_is_there(tmp_path):
    folder = tmp_path / LANDING / "orders"
    folder.mkdir(parents=True)
    (folder / "_metadata.json").write_text('{"keyColumns": ["id"]}')
    (folder / "00000000000000000001.parquet").write_bytes(b"someone else's")
    store = _store(tmp_path)
    for action in (lambda: store.prepare("r1", RunType.FULL_DROP), store.refuse_foreign):
        with pytest.raises(StoreOwnershipError, match=r"00000000000000000001\.parquet"):
            action()
    assert (folder / "00000000000000000001.parquet").read_bytes() == b"someone else's"


def test_a_table_folder_of_another_entity_is_refused(tmp_path):
    other = OpenMirroringStoreConfig(path=LANDING, folder_deletion_wait_seconds=0)
    foreign = other.open(Place(tmp_path, "other_flow", "orders", workspace="test"))
    _run(foreign, [orders(1)], RunType.FULL_DROP, "r1")
    with pytest.raises(StoreOwnershipError, match=r"belongs to entity other_flow\.orders"):
        _store(tmp_path).prepare("r2", RunType.FULL_DROP)


def test_key_columns_never_change_once_written(tmp_path):
    _run(_store(tmp_path), [orders(2)], RunType.FULL_DROP, "r1")
    changed = _store(tmp_path, key_columns=["customer"])
    with pytest.raises(ConfigError, match="never changes a mirrored table's keyColumns") as raised:
        changed.prepare("r2", RunType.INCREMENTAL)
    assert "run_type: full_drop" in str(raised.value)
    _run(changed, [orders(2)], RunType.FULL_DROP, "r3")  # drops and re-creates the table
    metadata = json.loads((tmp_path / LANDING / "orders" / "_metadata.json").read_text())
    assert metadata["keyColumns"] == ["customer"]


def test_a_full_drop_waits_after_deleting_the_folder_before_landing(tmp_path, monkeypatch):
    _run(_store(tmp_path), [orders(2)], RunType.FULL_DROP, "r1")
    seen = []

    def sleep(seconds):
        seen.append((seconds, (tmp_path / LANDING / "orders").exists()))

    monkeypatch.setattr("hygge.slots.time.sleep", sleep)
    _run(_store(tmp_path, folder_deletion_wait_seconds=45), [orders(3)], RunType.FULL_DROP, "r2")
    assert [(pytest.approx(45, abs=1), False)] == seen  # waited with the table folder gone
    assert replay(_storage(tmp_path), "LandingZone/orders").height == 3  # type: ignore[union-attr]


def test_a_schema_puts_the_table_under_its_schema_folder(tmp_path):
    _run(_store(tmp_path, schema_name="dbo"), [orders(2)], RunType.FULL_DROP, "r1")
    assert _names(tmp_path, "LandingZone/dbo.schema/orders") == [f"{1:020d}.parquet"]
    assert_valid(_storage(tmp_path), "LandingZone")


def test_unsupported_columns_are_refused_naming_them(tmp_path):
    frame = orders(1).with_columns(took=pl.duration(seconds=1))
    store = _store(tmp_path)
    with pytest.raises(DataError, match="column took"):
        store.write(store.prepare("r1", RunType.FULL_DROP), frame)


def test_a_table_folder_that_is_a_symbolic_link_is_refused(tmp_path):
    _run(_store(tmp_path), [orders(2)], RunType.FULL_DROP, "r1")
    elsewhere = tmp_path / "elsewhere"
    (tmp_path / LANDING / "orders").rename(elsewhere)
    (tmp_path / LANDING / "orders").symlink_to(elsewhere)
    with pytest.raises(StoreOwnershipError, match="symbolic link"):
        _store(tmp_path).prepare("r2", RunType.FULL_DROP)
    assert sorted(p.name for p in elsewhere.iterdir())[0] == "00000000000000000001.parquet"


@pytest.mark.parametrize("path", [".", ".."])
def test_a_landing_zone_at_the_workspace_root_or_above_is_refused(tmp_path, path):
    with pytest.raises(ConfigError, match="a landing zone needs a folder of its own"):
        _store(tmp_path / "ws", path=path)


def test_file_detection_cannot_change_under_a_mirrored_table(tmp_path):
    _run(_store(tmp_path), [orders(2)], RunType.FULL_DROP, "r1")
    changed = _store(tmp_path, file_detection="timestamp")
    with pytest.raises(ConfigError, match="file_detection timestamp differs"):
        changed.prepare("r2", RunType.INCREMENTAL)
    _run(changed, [orders(2)], RunType.FULL_DROP, "r3")  # re-creates the table
    _run(
        _store(tmp_path, file_detection="timestamp"),
        [orders(1, start=2)],
        RunType.INCREMENTAL,
        "r4",
    )
    assert_valid(_storage(tmp_path), "LandingZone")
