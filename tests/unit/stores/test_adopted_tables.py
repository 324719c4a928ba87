"""Tables hygge adopted with `if_exists: append` keep the rows hygge did not write
(`hygge.stores.adopted_tables`): a full_drop into them is refused before staging; the
owner record's `adopted` leaves the table's mark as it was, so tables marked before stay
hygge's."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hygge.errors import PublishRefusedError, StoreOwnershipError
from hygge.stores.adopted_tables import adopted_after, holds_users_rows, refuse_full_drop
from hygge.stores.ownership import StoreOwner, refused_before_change, table_mark
from hygge.stores.sql.mssql_dialect import MssqlDialect
from hygge.types import Place, RunType
from tests.support.recording_sql import RecordingDatabase
from tests.unit.stores.test_mssql_statements import store_on

OWNER = StoreOwner.of(
    Place(Path("/ws"), "f", "e", "shop"), "mssql", datetime(2026, 1, 1, tzinfo=UTC)
)


def test_the_mark_of_an_owner_is_what_it_was_before_adopted_was_recorded():
    before = OWNER.model_dump_json(exclude={"adopted"})
    old = "hygge:" + hashlib.sha256(before.encode()).hexdigest()[:32]

    assert table_mark(OWNER) == old
    assert table_mark(OWNER.model_copy(update={"adopted": True})) == old


def test_an_owner_record_of_an_older_hygge_reads_as_not_adopted():
    older = OWNER.model_dump_json(exclude={"adopted"})

    assert StoreOwner.parse(older, "owners row").adopted is False


@pytest.mark.parametrize(
    ("exists", "owner", "marked", "expected"),
    [
        pytest.param(False, None, False, False, id="no-table"),
        pytest.param(True, None, False, True, id="the-users-table"),
        pytest.param(True, OWNER, False, True, id="recreated-by-someone"),
        pytest.param(True, OWNER, True, False, id="hygges-own"),
        pytest.param(True, OWNER.model_copy(update={"adopted": True}), True, True, id="adopted"),
    ],
)
def test_which_tables_hold_rows_hygge_did_not_write(exists, owner, marked, expected):
    assert holds_users_rows(exists, owner, marked) is expected


@pytest.mark.parametrize("if_exists", ["fail", "append"])
def test_a_full_drop_over_the_users_rows_is_refused_unless_replace(if_exists):
    with pytest.raises(StoreOwnershipError, match="holds rows hygge did not write"):
        refuse_full_drop("table t", RunType.FULL_DROP, if_exists, users_rows=True)

    refuse_full_drop("table t", RunType.FULL_DROP, "replace", users_rows=True)
    refuse_full_drop("table t", RunType.INCREMENTAL, if_exists, users_rows=True)
    refuse_full_drop("table t", RunType.FULL_DROP, if_exists, users_rows=False)


def test_a_table_stays_adopted_while_the_publish_keeps_it():
    assert adopted_after(True, False, RunType.INCREMENTAL, "append") is True  # adopted now
    assert adopted_after(True, True, RunType.MERGE, "replace") is True  # marked: kept
    assert adopted_after(True, False, RunType.INCREMENTAL, "replace") is False  # dropped
    assert adopted_after(True, False, RunType.FULL_DROP, "replace") is False  # replaced
    assert adopted_after(False, True, RunType.INCREMENTAL, "append") is False  # hygge's own


def test_an_mssql_full_drop_with_append_into_the_users_table_sends_no_delete(tmp_path):
    database = RecordingDatabase(MssqlDialect())
    store = store_on(database, tmp_path, "orders", if_exists="append")
    database.target = store.target
    database.tables[store.target] = {"id": "BIGINT"}  # a table hygge did not create

    with pytest.raises(StoreOwnershipError, match="holds rows hygge did not write"):
        store.prepare("run-1", RunType.FULL_DROP)

    sent = [text for text, _ in database.sent]
    assert not any(t.lstrip().upper().startswith(("DELETE", "DROP", "TRUNCATE")) for t in sent)
    assert not any("stage_" in t for t in sent)  # refused before staging


def test_a_refusal_inside_a_transactional_publish_becomes_publish_refused() -> None:
    refused = pytest.raises(PublishRefusedError, match="holds rows")
    with refused as raised, refused_before_change():
        raise StoreOwnershipError("table t holds rows hygge did not write")
    assert isinstance(raised.value.__cause__, StoreOwnershipError)
    with pytest.raises(ValueError), refused_before_change():  # anything else passes as it was
        raise ValueError("not an ownership problem")
