"""The local journal: one parquet file per entity run, append-only, queryable with globs."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest

from hygge.errors import StateError
from hygge.state.journal import JournalRow
from hygge.state.journal_frame import JOURNAL_SCHEMA
from hygge.state.local import LocalStateBackend

ORIGINAL_COLUMNS = [
    "entity_run_id",
    "coordinator_run_id",
    "flow_run_id",
    "coordinator",
    "flow",
    "entity",
    "start_time",
    "finish_time",
    "status",
    "run_type",
    "row_count",
    "duration",
    "primary_key",
    "watermark_column",
    "watermark_type",
    "watermark",
    "message",
    "schema_version",
]


def _journal_files(backend: LocalStateBackend) -> list[Path]:
    return sorted(backend.layout.journal_dir.rglob("*.parquet"))


def _ids(rows: list[JournalRow]) -> list[str]:
    return [f"{row.flow}.{row.entity}:{row.entity_run_id}:{row.status}" for row in rows]


@pytest.fixture
def three_runs(backend, make_row, clock):
    """orders.customers twice and billing.invoices once, one hour apart."""
    t0 = clock.now
    rows = [
        make_row(entity_run_id="c1", start_time=t0),
        make_row(
            flow="billing",
            entity="invoices",
            entity_run_id="i1",
            start_time=t0 + timedelta(hours=1),
        ),
        make_row(entity_run_id="c2", start_time=t0 + timedelta(hours=2), status="fail"),
    ]
    for row in rows:
        backend.append_journal(row)
    return rows


def test_journal_file_holds_exactly_the_journal_schema_with_original_columns_first(
    backend, make_row
):
    backend.append_journal(make_row())

    [path] = _journal_files(backend)
    frame = pl.read_parquet(path)

    assert frame.schema == pl.Schema(JOURNAL_SCHEMA)
    assert frame.columns[:18] == ORIGINAL_COLUMNS
    assert len(frame.columns) == 27


def test_empty_optional_columns_are_stored_with_their_types_not_as_null_type(backend, make_row):
    backend.append_journal(make_row(finish_time=None, row_count=None, duration=None))

    [path] = _journal_files(backend)
    arrow = pq.read_schema(path)

    assert "null" not in {str(field.type) for field in arrow}
    assert str(arrow.field("finish_time").type) == "timestamp[us, tz=UTC]"
    assert str(arrow.field("row_count").type) == "int64"


def test_journal_row_fields_follow_the_schema_order():
    assert list(JournalRow.model_fields) == list(JOURNAL_SCHEMA)


def test_each_event_is_one_file_named_by_start_time_run_id_status_and_event_digest(
    backend, make_row, clock
):
    backend.append_journal(make_row(start_time=clock.now.replace(microsecond=123456)))

    [path] = _journal_files(backend)

    relative = path.relative_to(backend.layout.journal_dir).as_posix()
    assert re.fullmatch(
        r"orders/customers/20250301T120000123456Z_run1_success_[0-9a-f]{8}\.parquet", relative
    )


def test_writing_the_same_event_again_keeps_the_first_row(backend, make_row, clock):
    # A commit repeated after a crash right after its journal write must not double the row,
    # though the retry finishes later.
    backend.append_journal(make_row(status="fail", error_type="Cancelled", message="kept"))
    [first] = _journal_files(backend)
    first_bytes = first.read_bytes()

    later = clock.now + timedelta(minutes=5)
    backend.append_journal(
        make_row(status="fail", error_type="Cancelled", message="kept", finish_time=later)
    )

    assert _journal_files(backend) == [first]
    assert first.read_bytes() == first_bytes


def test_distinct_events_of_one_run_are_each_kept(backend, make_row):
    # Cancelled, then found interrupted by the next run, then resumed and cancelled again,
    # then finished: four events of one entity run, four rows.
    backend.append_journal(make_row(status="fail", error_type="Cancelled", message="10 rows"))
    backend.append_journal(make_row(status="fail", error_type="Interrupted", message="stopped"))
    backend.append_journal(
        make_row(status="fail", error_type="Cancelled", message="20 rows", resumed=1)
    )
    backend.append_journal(make_row(status="success", resumed=1))

    events = sorted((row.error_type or "", row.message or "") for row in backend.read_journal())
    assert events == [
        ("", ""),
        ("Cancelled", "10 rows"),
        ("Cancelled", "20 rows"),
        ("Interrupted", "stopped"),
    ]
    assert len(_journal_files(backend)) == 4


def test_rows_read_back_equal_the_rows_written(backend, make_row):
    row = make_row(
        primary_key="id",
        watermark_column="updated_at",
        watermark_type="datetime",
        watermark="2025-03-01T11:59:00+00:00",
        window_from="2025-02-28T00:00:00+00:00",
        window_to="2025-03-01T11:59:00+00:00",
        files=3,
        chunks=2,
        resumed=1,
        home="parquet data/in",
        store="parquet data/out",
        host="here",
    )
    backend.append_journal(row)

    assert backend.read_journal() == [row]


def test_polars_reads_the_whole_journal_through_the_glob(backend, three_runs):
    frame = pl.scan_parquet(backend.journal_paths_glob()).collect()

    assert frame.height == 3
    assert frame.schema == pl.Schema(JOURNAL_SCHEMA)


def test_duckdb_reads_the_whole_journal_through_the_glob(backend, three_runs):
    # Timestamps stay in DuckDB: fetching TIMESTAMPTZ values into Python would need pytz.
    query = "select flow, entity, status from read_parquet(?) order by start_time"
    with duckdb.connect() as connection:
        rows = connection.execute(query, [backend.journal_paths_glob()]).fetchall()
        types = connection.execute(
            "describe select * from read_parquet(?)", [backend.journal_paths_glob()]
        ).fetchall()

    assert rows == [
        ("orders", "customers", "success"),
        ("billing", "invoices", "success"),
        ("orders", "customers", "fail"),
    ]
    assert [name for name, *_ in types] == list(JOURNAL_SCHEMA)
    kinds = {name: kind for name, kind, *_ in types}
    assert kinds["start_time"] == "TIMESTAMP WITH TIME ZONE"


def test_read_journal_is_newest_first(backend, three_runs):
    assert _ids(backend.read_journal()) == [
        "orders.customers:c2:fail",
        "billing.invoices:i1:success",
        "orders.customers:c1:success",
    ]


def test_rows_starting_together_are_ordered_by_finish_time_newest_first(backend, make_row, clock):
    backend.append_journal(make_row(entity_run_id="early", finish_time=clock.now))
    backend.append_journal(
        make_row(entity_run_id="late", finish_time=clock.now + timedelta(minutes=1))
    )

    assert [row.entity_run_id for row in backend.read_journal()] == ["late", "early"]


@pytest.mark.parametrize(
    ("flows", "entities", "expected"),
    [
        pytest.param(
            ["orders"], [], ["orders.customers:c2:fail", "orders.customers:c1:success"], id="flow"
        ),
        pytest.param([], ["billing.invoices"], ["billing.invoices:i1:success"], id="dotted-entity"),
        pytest.param([], ["invoices"], ["billing.invoices:i1:success"], id="bare-entity"),
        pytest.param(["orders"], ["invoices"], [], id="filters-narrow-each-other"),
        pytest.param(["nope"], [], [], id="unknown-flow"),
    ],
)
def test_read_journal_filters(backend, three_runs, flows, entities, expected):
    assert _ids(backend.read_journal(flows=flows, entities=entities)) == expected


def test_bare_entity_name_matches_it_in_every_flow(backend, make_row):
    backend.append_journal(make_row(flow="orders", entity="customers"))
    backend.append_journal(make_row(flow="crm", entity="customers"))

    assert sorted(row.flow for row in backend.read_journal(entities=["customers"])) == [
        "crm",
        "orders",
    ]


@pytest.mark.parametrize(
    ("limit", "count"),
    [pytest.param(None, 3, id="none"), pytest.param(2, 2, id="two"), pytest.param(0, 0, id="zero")],
)
def test_read_journal_limit_keeps_the_newest(backend, three_runs, limit, count):
    rows = backend.read_journal(limit=limit)

    assert _ids(rows) == _ids(backend.read_journal())[:count]


def test_missing_or_empty_journal_reads_as_no_rows(backend):
    assert backend.read_journal() == []
    backend.layout.journal_dir.mkdir(parents=True)
    assert backend.read_journal() == []


@pytest.mark.parametrize(
    "write_bad_file",
    [
        pytest.param(lambda path: path.write_bytes(b"PAR1 torn"), id="torn-file"),
        pytest.param(
            lambda path: pl.DataFrame({"start_time": ["yesterday"]}).write_parquet(path),
            id="wrong-types",
        ),
    ],
)
def test_unreadable_journal_file_raises_state_error_naming_it(backend, three_runs, write_bad_file):
    bad = (
        backend.layout.journal_dir
        / "orders"
        / "customers"
        / "20990101T000000000000Z_x_fail.parquet"
    )
    write_bad_file(bad)

    with pytest.raises(StateError) as caught:
        backend.read_journal()

    assert str(bad) in str(caught.value)


def test_files_from_an_older_hygge_read_missing_columns_as_null(backend, make_row):
    older = make_row().model_dump(include=set(ORIGINAL_COLUMNS))
    folder = backend.layout.journal_dir / "orders" / "customers"
    folder.mkdir(parents=True)
    pl.DataFrame([older], schema={c: JOURNAL_SCHEMA[c] for c in ORIGINAL_COLUMNS}).write_parquet(
        folder / "20250301T120000000000Z_old_success.parquet"
    )

    [row] = backend.read_journal()

    assert (row.entity_run_id, row.window_from, row.resumed) == ("run1", None, 0)


def test_journal_can_live_outside_the_state_folder(tmp_path, make_row):
    backend = LocalStateBackend(tmp_path / ".hygge", journal_dir=tmp_path / "history")
    backend.append_journal(make_row())

    assert backend.journal_paths_glob() == str(tmp_path / "history" / "**" / "*.parquet")
    assert len(list((tmp_path / "history").rglob("*.parquet"))) == 1
    assert len(backend.read_journal()) == 1
