"""Session 24's attack on the Delta store from the CLI, as a user runs it: a source emptied
after a non-empty run, a killed run followed by a run of another type, two `hygge go` of
different run types on one table, a store path that is a symbolic link."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
import pytest

from hygge.faults import CRASH_EXIT_CODE
from tests.integration.test_delta_files import run_files
from tests.support.cli import hygge
from tests.support.data import content_hash, orders
from tests.support.workspace import crash, land, write_workspace

deltalake = pytest.importorskip("deltalake", reason="the delta extra")

FLOW = """\
home: {type: parquet, path: landing, batch_size: 4}
store: {type: delta, path: lake}
run_type: %s
key_columns: [id]
entities: [orders]
"""


def _go(root: Path) -> str:
    done = hygge(root, "go")
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _table(root: Path) -> Path:
    return root / "lake" / "orders"


def _landing(root: Path) -> Path:
    return root / "landing" / "orders"


@pytest.mark.parametrize("how", ["zero_row_file", "empty_folder"])
def test_a_full_drop_of_a_source_emptied_after_a_run_empties_the_table(tmp_path, how):
    write_workspace(tmp_path, {"d": FLOW % "full_drop"})
    land(tmp_path, "orders", "a", orders(6))
    _go(tmp_path)
    assert pl.read_delta(str(_table(tmp_path))).height == 6

    shutil.rmtree(_landing(tmp_path))
    if how == "zero_row_file":
        land(tmp_path, "orders", "b", orders(3).clear())
    else:
        _landing(tmp_path).mkdir(parents=True)
    _go(tmp_path)

    back = pl.read_delta(str(_table(tmp_path)))
    assert back.height == 0 and back.columns == orders(1).columns  # the schema stays
    land(tmp_path, "orders", "c", orders(2))
    _go(tmp_path)
    assert pl.read_delta(str(_table(tmp_path))).height == 2


def test_a_missing_home_folder_after_a_run_fails_and_keeps_the_table(tmp_path):
    write_workspace(tmp_path, {"d": FLOW % "full_drop"})
    land(tmp_path, "orders", "a", orders(6))
    _go(tmp_path)
    shutil.rmtree(_landing(tmp_path))

    done = hygge(tmp_path, "go")

    assert done.returncode != 0
    assert pl.read_delta(str(_table(tmp_path))).height == 6


@pytest.mark.parametrize(("first", "then"), [("incremental", "full_drop"),
                                             ("full_drop", "merge"),
                                             ("merge", "incremental")])  # fmt: skip
@pytest.mark.parametrize("point", ["after_checkpoint", "before_publish", "during_publish"])
def test_a_killed_run_then_a_run_of_another_type_lands_every_row_once(tmp_path, first, then, point):
    write_workspace(tmp_path, {"d": FLOW % first})
    land(tmp_path, "orders", "a", orders(6))
    _go(tmp_path)
    land(tmp_path, "orders", "b", orders(9, start=6))
    assert crash(tmp_path, point) == CRASH_EXIT_CODE

    write_workspace(tmp_path, {"d": FLOW % then})
    _go(tmp_path)
    _go(tmp_path)  # and once more: nothing new to land

    back = pl.read_delta(str(_table(tmp_path))).select(orders(1).columns).sort("id")
    assert content_hash(back) == content_hash(orders(15)), back
    read = set(deltalake.DeltaTable(str(_table(tmp_path))).get_add_actions(flatten=True)
               .column("path").to_pylist())  # fmt: skip
    assert read <= run_files(_table(tmp_path)) | {p for p in read if not p.startswith("hygge-")}
    assert not (_table(tmp_path) / "_hygge_staging").exists()


def test_a_merge_and_a_full_drop_at_once_on_one_table_leave_the_source_once(tmp_path):
    root_a, root_b = tmp_path / "a", tmp_path / "b"
    lake = tmp_path / "lake"
    for root, run_type in ((root_a, "merge"), (root_b, "full_drop")):
        flow = (FLOW % run_type).replace("path: lake}", f"path: {lake}}}")
        write_workspace(root, {"d": flow})
        for part in range(3):
            land(root, "orders", f"p{part}", orders(5, start=part * 5))

    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(lambda root: hygge(root, "go"), (root_a, root_b)))

    outcomes = [d.returncode for d in done]
    assert 0 in outcomes, [d.stdout + d.stderr for d in done]
    for failed in (d for d in done if d.returncode != 0):  # refused: not hygge's own entity
        assert "orders" in failed.stdout + failed.stderr
    back = pl.read_delta(str(lake / "orders")).select(orders(1).columns).sort("id")
    assert content_hash(back) == content_hash(orders(15))


def test_a_store_path_through_a_symlink_writes_where_it_points_and_reruns(tmp_path):
    real = tmp_path / "elsewhere"
    real.mkdir()
    (tmp_path / "lake").symlink_to(real, target_is_directory=True)
    write_workspace(tmp_path, {"d": FLOW % "incremental"})
    land(tmp_path, "orders", "a", orders(6))
    _go(tmp_path)
    land(tmp_path, "orders", "b", orders(3, start=6))
    _go(tmp_path)

    back = pl.read_delta(str(real / "orders")).select(orders(1).columns).sort("id")
    assert content_hash(back) == content_hash(orders(9))
    assert (real / "orders" / "_hygge_store.json").is_file()


def _not_null_table(root: Path) -> None:
    import pyarrow as pa

    schema = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("v", pa.string())])
    deltalake.write_deltalake(str(_table(root)), pa.table({"id": [1, 2], "v": ["x", "y"]}, schema))


@pytest.mark.parametrize("refused", ["null_in_not_null_column", "marker_3", "unfit_type"])
def test_a_publish_its_data_refuses_can_be_reset_then_a_fixed_source_lands(tmp_path, refused):
    # The publish fails before it commits anything, every time: `hygge go` alone never gets
    # past it, so `hygge reset` must not refuse it as "half published".
    flow = (FLOW % "merge").replace("path: lake}", "path: lake, adopt_existing: true}")
    write_workspace(tmp_path, {"d": flow})
    _not_null_table(tmp_path)
    good = pl.DataFrame({"id": [3], "v": ["z"]})
    if refused == "null_in_not_null_column":
        bad = pl.DataFrame(
            {"id": [None, 3], "v": ["n", "z"]}, schema={"id": pl.Int64, "v": pl.String}
        )
    elif refused == "marker_3":
        bad = good.with_columns(__rowMarker__=pl.lit(3))
    else:
        bad = pl.DataFrame({"id": [3], "v": [1.5]})  # a double into a string column
    land(tmp_path, "orders", "a", bad)
    for _ in range(2):
        failed = hygge(tmp_path, "go")
        assert failed.returncode != 0 or "1 failed" in failed.stdout, failed.stdout
    assert sorted(pl.read_delta(str(_table(tmp_path))).rows()) == [(1, "x"), (2, "y")]

    reset = hygge(tmp_path, "reset", "--flow", "d", "--entity", "orders", "--yes")
    assert reset.returncode == 0, reset.stdout + reset.stderr
    (_landing(tmp_path) / "a.parquet").unlink()
    land(tmp_path, "orders", "b", good)
    _go(tmp_path)

    assert sorted(pl.read_delta(str(_table(tmp_path))).rows()) == [(1, "x"), (2, "y"), (3, "z")]
    read = deltalake.DeltaTable(str(_table(tmp_path))).get_add_actions(flatten=True)
    assert run_files(_table(tmp_path)) <= set(read.column("path").to_pylist())
    assert not (_table(tmp_path) / "_hygge_staging").exists()


def test_a_first_full_drop_of_a_header_only_csv_makes_no_table_and_says_why(tmp_path):
    # Session 26 made an empty table of String columns here; later files' integers were then
    # stored as text. A header carries no types: no table until rows decide them (fixes8).
    flow = "home: {type: local, format: csv, path: landing}\nstore: {type: delta, path: lake}\n"
    write_workspace(tmp_path, {"d": flow + "entities: [orders]\n"})
    _landing(tmp_path).mkdir(parents=True)
    (_landing(tmp_path) / "a.csv").write_text("id,name\n")

    said = _go(tmp_path)

    assert not (_table(tmp_path) / "_delta_log").exists()
    assert "none is made until rows give them" in said
    (_landing(tmp_path) / "b.csv").write_text("id,name\n1,a\n")
    _go(tmp_path)
    back = pl.read_delta(str(_table(tmp_path)))
    assert back.height == 1 and back.schema["id"] == pl.Int64


@pytest.mark.parametrize(
    "address",
    [
        "https://acct.dfs.core.windows.net/c/folder/{entity}?sv=2020&sig=SECRETSIG",
        "abfss://c@acct.dfs.core.windows.net/folder/{entity}#SECRETSIG",
    ],
)
def test_an_address_carrying_a_sas_query_is_refused_without_showing_it(tmp_path, address):
    # The query was dropped silently (the table read with another credential), and `hygge
    # list` showed the SAS.
    flow = f'home: {{type: parquet, path: landing}}\nstore: {{type: delta, path: "{address}"}}\n'
    write_workspace(tmp_path, {"d": flow + "entities: [orders]\n"})

    for command in ("list", "go"):
        done = hygge(tmp_path, command)
        said = done.stdout + done.stderr
        assert done.returncode == 2, said
        assert "carries a query or fragment" in said and "store: path" in said
        assert "SECRETSIG" not in said


@pytest.mark.parametrize("point", ["before_publish", "during_publish"])
def test_a_reset_of_a_run_killed_while_publishing_then_a_full_drop_mirrors_the_source(
    tmp_path, point
):
    # Reset no longer refuses a Delta run interrupted while publishing: before the commit
    # nothing of it is in the table, after it all; the reset forgets it either way.
    write_workspace(tmp_path, {"d": FLOW % "incremental"})
    land(tmp_path, "orders", "a", orders(6))
    _go(tmp_path)
    land(tmp_path, "orders", "b", orders(9, start=6))
    assert crash(tmp_path, point) == CRASH_EXIT_CODE

    reset = hygge(tmp_path, "reset", "--flow", "d", "--entity", "orders", "--yes")
    assert reset.returncode == 0, reset.stdout + reset.stderr
    done = hygge(tmp_path, "go", "--full-drop", "-e", "d.orders")
    assert done.returncode == 0, done.stdout + done.stderr

    back = pl.read_delta(str(_table(tmp_path))).select(orders(1).columns).sort("id")
    assert content_hash(back) == content_hash(orders(15))
    assert not (_table(tmp_path) / "_hygge_staging").exists()
