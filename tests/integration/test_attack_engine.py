"""Hostile-new-user findings on the integration of issues 8 and 11 and the lead's fixes: the
hand-written parquet footer reader, the SQL home query check, two entities on one DuckDB
table, a store writing into blob state.

A test marked xfail(strict) reproduces a defect left open, its reason the exact symptom; the
others guard a fix made here or a check that held up.
"""

from __future__ import annotations

import contextlib
import struct
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hygge.errors import DataError
from hygge.homes.sql.query_check import query_problem
from hygge.io.parquet_footer import _NUM_ROWS, _Reader, footer_row_count
from hygge.io.readers import parquet_row_count
from tests.support.cli import hygge
from tests.support.workspace import write_workspace

FLOW = """\
home: {type: parquet, path: landing}
store: {type: parquet, path: lake}
entities: [orders]
"""


def _zigzag(value: int) -> bytes:
    value = (value << 1) ^ (value >> 63)
    out = b""
    while True:
        low, value = value & 0x7F, value >> 7
        if not value:
            return out + bytes([low])
        out += bytes([low | 0x80])


def _lying_file(path: Path, rows: int, claimed: int) -> None:
    """A parquet file of `rows` rows (10 row groups) whose footer total says `claimed`."""
    pq.write_table(pa.table({"id": list(range(rows))}), path, row_group_size=rows // 10)
    data = bytearray(path.read_bytes())
    length = struct.unpack_from("<I", data, len(data) - 8)[0]
    start = len(data) - 8 - length
    reader = _Reader(bytes(data[start : len(data) - 8]))
    field = 0
    while True:
        header = reader.byte()
        field = field + (header >> 4) if header >> 4 else reader.zigzag()
        if field == _NUM_ROWS:
            at = reader.at
            reader.zigzag()
            break
        reader.skip(header & 0x0F)
    encoded = _zigzag(claimed)
    assert len(encoded) == reader.at - at  # same width: the footer keeps its length
    data[start + at : start + reader.at] = encoded
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("claimed", [500, 1500])
def test_a_footer_whose_total_is_not_its_row_groups_sum_is_refused(
    tmp_path: Path, claimed: int
) -> None:
    # Found: footer_row_count returned the footer's total (500) while a read gives 1,000 rows;
    # polars trusts the total too, so `hygge go` moved 500 rows and marked the file done.
    path = tmp_path / "part.parquet"
    _lying_file(path, 1_000, claimed)

    with pytest.raises(DataError, match=f"footer says {claimed} rows but its row groups hold 1000"):
        footer_row_count(path)
    with pytest.raises(DataError, match="damaged"):
        parquet_row_count(path)


def test_hygge_go_on_a_lying_footer_fails_and_publishes_nothing(tmp_path: Path) -> None:
    ws = write_workspace(tmp_path / "ws", {"f": FLOW}, "name: shop\n")
    (ws / "landing" / "orders").mkdir(parents=True)
    _lying_file(ws / "landing" / "orders" / "a.parquet", 1_000, 500)

    done = hygge(ws, "go")

    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode != 0, said
    assert "footer says 500 rows" in said
    lake = ws / "lake" / "orders"
    published = list(lake.glob("*.parquet")) if lake.exists() else []
    assert published == []


@pytest.mark.parametrize("writer", ["pyarrow", "polars"])
def test_honest_files_of_many_row_groups_still_count_from_the_footer(
    tmp_path: Path, writer: str
) -> None:
    path = tmp_path / "part.parquet"
    frame = pl.DataFrame({"id": range(777), "l": [[1, 2]] * 777, "b": [True] * 777})
    if writer == "polars":
        frame.write_parquet(path, row_group_size=50)
    else:
        pq.write_table(frame.to_arrow(), path, row_group_size=50, write_page_index=True)

    assert footer_row_count(path) == 777 == pl.read_parquet(path).height


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param(b"", id="zero-bytes"),
        pytest.param(b"id,name\n1,a\n" * 20, id="csv-named-parquet"),
        pytest.param(b"x" * 100 + struct.pack("<I", 20) + b"PAR1", id="magic-without-footer"),
    ],
)
def test_files_that_are_not_parquet_go_to_polars_which_names_them(
    tmp_path: Path, tail: bytes
) -> None:
    path = tmp_path / "part.parquet"
    path.write_bytes(tail)

    assert footer_row_count(path) is None
    with pytest.raises(DataError):
        parquet_row_count(path)


def test_a_parquet_file_still_being_written_is_not_counted(tmp_path: Path) -> None:
    path = tmp_path / "part.parquet"
    table = pa.table({"id": list(range(100))})
    with pq.ParquetWriter(path, table.schema) as writer:
        writer.write_table(table)
        assert footer_row_count(path) is None  # no footer yet: polars is asked (and refuses)
    assert footer_row_count(path) == 100


@pytest.mark.parametrize("home_type", ["duckdb", "sqlite"])
@pytest.mark.parametrize(
    "query",
    [
        r"SELECT 'a\' ; CREATE TABLE pwn AS SELECT 1; --'",
        r"SELECT E'\' ; CREATE TABLE pwn AS SELECT 1; --'",
        "SELECT $a$ ; CREATE TABLE pwn AS SELECT 1; $a$",
        "SELECT 1 /* /* */ ; CREATE TABLE pwn AS SELECT 1; -- */",
        'SELECT "a"" ; CREATE TABLE pwn AS SELECT 1; --" ',
        "SELECT [a ; CREATE TABLE pwn AS SELECT 1; --]",
        "SELECT 1 -- c\n; CREATE TABLE pwn AS SELECT 1",
        "SELECT 1) AS x; CREATE TABLE pwn AS SELECT 1; SELECT * FROM (SELECT 1",
    ],
)
def test_no_query_the_check_passes_runs_a_second_statement(home_type: str, query: str) -> None:
    if query_problem(query, home_type) is not None:
        return  # refused at load: nothing runs
    wrapped = f"SELECT * FROM ({query}) AS hygge_source"
    if home_type == "duckdb":
        duckdb = pytest.importorskip("duckdb")
        connection = duckdb.connect()
        with contextlib.suppress(duckdb.Error):
            connection.execute(wrapped)
        found = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'pwn'"
        ).fetchone()
    else:
        import sqlite3

        lite = sqlite3.connect(":memory:")
        with contextlib.suppress(sqlite3.Error):
            lite.execute(wrapped)
        found = lite.execute("SELECT count(*) FROM sqlite_master WHERE name = 'pwn'").fetchone()
    assert found == (0,), f"{query!r} ran a second statement on {home_type}"


DUCK_PROJECT = """\
name: shop
connections:
  wh: {type: duckdb, path: wh.duckdb}
"""


def _duck_flows(tmp_path: Path, a_store: str, b_store: str) -> Path:
    flows = {
        "a": f"home: {{type: parquet, path: landing}}\nstore: {a_store}\nentities: [x]\n",
        "b": f"home: {{type: parquet, path: landing}}\nstore: {b_store}\nentities: [y]\n",
    }
    root = write_workspace(tmp_path / "ws", flows, DUCK_PROJECT)
    (root / "landing").mkdir(exist_ok=True)
    return root


@pytest.mark.parametrize(
    ("a_store", "b_store"),
    [
        pytest.param(
            "{type: duckdb, path: wh.duckdb, table: orders}",
            "{type: duckdb, connection: wh, table: orders}",
            id="path-and-connection",  # found: loaded, both wrote main.orders
        ),
        pytest.param(
            "{type: duckdb, connection: wh, table: orders}",
            "{type: duckdb, connection: wh, table: 'main.\"ORDERS\"'}",
            id="both-connection-quoted",  # found: loaded (a connection's file had no key)
        ),
        pytest.param(
            "{type: duckdb, path: wh.duckdb, table: orders}",
            "{type: duckdb, path: link/wh.duckdb, table: main.Orders}",
            id="through-a-symlinked-folder",
        ),
    ],
)
def test_two_entities_on_one_duckdb_table_by_another_spelling_are_refused(
    tmp_path: Path, a_store: str, b_store: str
) -> None:
    from hygge.config import load_workspace
    from hygge.errors import ConfigError

    root = _duck_flows(tmp_path, a_store, b_store)
    (root / "link").symlink_to(root)

    with pytest.raises(ConfigError, match=r"entities a\.x and b\.y write the same table"):
        load_workspace(source=str(root), env={})


def test_two_entities_on_one_duckdb_connection_with_their_own_tables_load(tmp_path: Path) -> None:
    from hygge.config import load_workspace

    root = _duck_flows(
        tmp_path,
        "{type: duckdb, connection: wh, table: orders}",
        "{type: duckdb, path: wh.duckdb, table: customers}",
    )

    assert [e.qualified_name for e in load_workspace(source=str(root), env={}).entities] == [
        "a.x",
        "b.y",
    ]


BLOB_STATE_PROJECT = """\
name: shop
connections:
  lake:
    type: azure_blob
    container: lake
    credential: connection_string
    connection_string: ${{CS}}
state: {{type: azure_blob, connection: lake, prefix: '{prefix}'}}
"""


def _blob_state_ws(tmp_path: Path, prefix: str, store_path: str) -> Path:
    flow = (
        "home: {type: parquet, path: landing}\n"
        f"store: {{type: adls, path: '{store_path}', connection: lake}}\n"
        "entities: [x]\n"
    )
    root = write_workspace(tmp_path / "ws", {"a": flow}, BLOB_STATE_PROJECT.format(prefix=prefix))
    (root / "landing").mkdir(exist_ok=True)
    return root


@pytest.mark.parametrize(
    ("prefix", "store_path", "said"),
    [
        # found: both loaded; the state is the whole container, so the store wrote among
        # its watermarks, locks and journal (a store at `journal` into the journal itself)
        pytest.param("", "journal", "overlaps this workspace's state", id="state-at-root"),
        pytest.param("/", "data", "overlaps this workspace's state", id="state-at-slash"),
        # found: loaded; './st' was compared as text with the store's 'st/x'
        pytest.param("./st", "st", "is no plain folder", id="dot-prefix"),
        pytest.param("st//x", "st", "is no plain folder", id="double-slash-prefix"),
        pytest.param("st/", "st", "overlaps this workspace's state", id="slash-ended-prefix"),
    ],
)
def test_a_store_cannot_write_into_blob_state_by_another_spelling(
    tmp_path: Path, prefix: str, store_path: str, said: str
) -> None:
    from hygge.config import load_workspace
    from hygge.errors import ConfigError

    root = _blob_state_ws(tmp_path, prefix, store_path)

    with pytest.raises(ConfigError, match=said):
        load_workspace(source=str(root), env={"CS": "UseDevelopmentStorage=true"})


def test_a_store_beside_a_blob_state_prefix_loads(tmp_path: Path) -> None:
    from hygge.config import load_workspace

    root = _blob_state_ws(tmp_path, "hygge-state/shop", "hygge-state-copy")

    assert load_workspace(source=str(root), env={"CS": "UseDevelopmentStorage=true"}).entities
