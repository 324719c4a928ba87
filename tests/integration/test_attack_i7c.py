"""Hostile-user findings on i7c features (parallel, state:, connections:, reset --orphaned, csv).

Each test reproduces a defect that attack found; every one is fixed and passes.
"""

from __future__ import annotations

import polars as pl

from hygge.faults import CRASH_EXIT_CODE
from tests.support.cli import hygge
from tests.support.workspace import crash, land, write_workspace

FLOW_ON = """\
home: {type: parquet, path: landing}
store: {type: parquet, path: %s, connection: st}
run_type: full_drop
entities: [orders]
"""


def _frame(n: int = 5) -> pl.DataFrame:
    return pl.DataFrame({"id": list(range(n)), "v": [f"x{i}" for i in range(n)]})


def test_a_local_connection_root_of_home_is_refused_like_a_plain_store_path(tmp_path):
    """README: a store's flow path may not resolve to your home folder ($HOME) or `/`.

    `store: {path: "${HOME}"}` is refused at load (exit 2); the same folder reached through
    `connections: {st: {type: local, root: "${HOME}"}}` with `path: "."` was stored into
    (`$HOME/orders/`). The root is known only when the store opens (`${VAR}`), so it is
    refused there, before anything is written.
    """
    home = tmp_path / "home"
    home.mkdir()
    ws = write_workspace(
        tmp_path / "ws",
        {"f": FLOW_ON % '"."'},
        project='name: t\nconnections:\n  st: {type: local, root: "${HOME}"}\n',
    )
    land(ws, "orders", "a", _frame())
    done = hygge(ws, "go", env={"HOME": str(home)})
    assert not (home / "orders").exists(), "hygge stored into $HOME/orders through a connection"
    assert done.returncode != 0, done.stdout + done.stderr
    said = " ".join((done.stdout + done.stderr).split())
    assert "which is your home folder" in said, said


def test_a_tilde_connection_root_is_a_configuration_error_at_load(tmp_path):
    """README: a path that starts with `~` is a configuration error (exit 2, file and line).

    A `local` connection's `root: "~"` loads, and every entity on it fails at run time (exit 1).
    """
    ws = write_workspace(
        tmp_path / "ws",
        {"f": FLOW_ON % "lake"},
        project='name: t\nconnections:\n  st: {type: local, root: "~"}\n',
    )
    land(ws, "orders", "a", _frame())
    done = hygge(ws, "go")
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, said
    assert "hygge.yml" in said and "root '~' starts with '~'" in said, said


def test_a_state_path_that_is_a_file_is_named_as_such(tmp_path):
    """`state: {path: afile}` where afile is a regular file: `hygge debug` says it is not a
    folder, but `hygge go` runs the entity and fails with "File exists. Check that the state
    folder is writable" (misleading: nothing exists at the lock path, and it is writable)."""
    ws = write_workspace(
        tmp_path / "ws",
        {"f": "home: {type: parquet, path: landing}\nstore: lake\nentities: [orders]\n"},
        project="name: t\nstate: {type: local, path: afile}\n",
    )
    (ws / "afile").write_text("")
    land(ws, "orders", "a", _frame())
    done = hygge(ws, "go")
    out = done.stdout + done.stderr
    said = " ".join(out.split())
    assert "File exists" not in out, out
    assert done.returncode == 2, said
    assert f"hygge.yml line 2: state.path 'afile': the state folder {ws / 'afile'}" in said
    assert "is a file, not a folder" in said, said


def test_parallel_true_is_refused(tmp_path):
    """`parallel: true` is not a number of partitions; it loads as 1 without a word."""
    ws = write_workspace(
        tmp_path / "ws",
        {
            "f": "home: {type: parquet, path: landing}\nstore: lake\n"
            "entities:\n  - name: orders\n    parallel: true\n"
        },
    )
    land(ws, "orders", "a", _frame())
    done = hygge(ws, "go")
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, said
    assert "flow.yml" in said and "parallel" in said and "a whole number from 1 to 64" in said, said


def test_an_empty_state_path_is_named_in_the_error(tmp_path):
    """`state: {path: ""}` puts state in the workspace root; the error blames the store
    ("lake/orders ... inside the workspace's own folder") and never mentions state.path."""
    ws = write_workspace(
        tmp_path / "ws",
        {"f": "home: {type: parquet, path: landing}\nstore: lake\nentities: [orders]\n"},
        project='name: t\nstate: {path: ""}\n',
    )
    land(ws, "orders", "a", _frame())
    done = hygge(ws, "go")
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert "hygge.yml" in out and "state" in out.split("hint")[0].replace("keeps its state", ""), (
        out
    )
    said = " ".join(out.split())
    assert f"state.path '' is empty: it names no folder but the workspace root {ws}" in said, out
    assert ".hygge is" not in said, out  # it once named the default folder, not what '' means


def test_a_state_path_of_the_filesystem_root_is_named_in_the_error(tmp_path):
    ws = write_workspace(
        tmp_path / "ws",
        {"f": "home: {type: parquet, path: landing}\nstore: lake\nentities: [orders]\n"},
        project='name: t\nstate: {path: "/"}\n',
    )
    done = hygge(ws, "go")
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, said
    assert "hygge.yml line 2: state.path '/': the state folder / is the filesystem root" in said


TWO = """\
home: {type: parquet, path: landing}
store: lake
run_type: incremental
entities: [%s]
"""


def _two_entities(tmp_path):
    ws = write_workspace(tmp_path / "ws", {"f": TWO % "orders, items"})
    land(ws, "orders", "a", _frame())
    land(ws, "items", "a", _frame())
    return ws


def _remove_items(ws):
    (ws / "flows" / "f" / "flow.yml").write_text(TWO % "orders")


def test_debug_lists_the_watermark_of_a_removed_entity_naming_reset_orphaned(tmp_path):
    """docs/cli.md: state of an entity removed from the workspace -- `hygge debug` lists it,
    naming `hygge reset --orphaned`. A removed entity's (healthy) watermark is not mentioned:
    debug says "All checks passed." and nothing else."""
    ws = _two_entities(tmp_path)
    assert hygge(ws, "go").returncode == 0
    _remove_items(ws)
    done = hygge(ws, "debug")
    out = done.stdout + done.stderr
    said = " ".join(out.split())
    assert "f.items has a watermark; f.items is no entity of this workspace any more: " in said
    assert "`hygge reset --orphaned -f f -e items` forgets its state" in said, said


def test_debug_does_not_promise_to_resume_a_removed_entitys_run(tmp_path):
    """A removed entity's interrupted run: debug says "the next `hygge go` will resume" it,
    but no run ever will (the entity is gone); it should point at `reset --orphaned`."""
    ws = _two_entities(tmp_path)
    assert crash(ws, "after_checkpoint") == CRASH_EXIT_CODE
    _remove_items(ws)
    done = hygge(ws, "debug")
    lines = [line for line in done.stdout.replace("\n", " ").split("!") if "f.items" in line]
    assert lines, done.stdout
    assert not any("will resume" in line for line in lines), done.stdout
    assert not any("taken over by the next run" in line for line in lines), done.stdout
    assert any("--orphaned" in line for line in lines), done.stdout


def test_reset_orphaned_forgets_the_record_of_loaded_files_too(tmp_path):
    """`hygge reset -f f -e orders` "forgot the record of N loaded files" (state/files/f/orders
    goes); `hygge reset --orphaned` of a removed entity reports "forgot its watermark" and
    leaves state/files/f/items/ behind, a record no command removes any more."""
    ws = _two_entities(tmp_path)
    assert hygge(ws, "go").returncode == 0
    assert (ws / ".hygge" / "files" / "f" / "items").exists()
    _remove_items(ws)
    done = hygge(ws, "reset", "--orphaned", "-f", "f", "-e", "items", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the record of 1 loaded file" in done.stdout, done.stdout
    assert not (ws / ".hygge" / "files" / "f" / "items").exists()


def test_reset_of_a_path_like_entity_does_not_blame_an_empty_flow(tmp_path):
    """`hygge reset --orphaned -f f -e ../f/items` answers "--flow '' is not a valid flow name"
    although --flow is `f`: the entity name is split at its first '.' into flow '' ."""
    ws = _two_entities(tmp_path)
    done = hygge(ws, "reset", "--orphaned", "-f", "f", "-e", "../f/items", "--yes")
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert "--flow ''" not in out, out
    said = " ".join(out.split())
    assert "--entity '../f/items' is not a valid entity name" in said, said
    assert "the workspace has: f.orders, f.items" in said, said


def test_a_local_connection_root_that_is_a_file_is_a_named_error_not_an_oserror(tmp_path):
    """`connections: {st: {type: local, root: <a regular file>}}`: the entity fails with a raw
    "NotADirectoryError: [Errno 20] Not a directory: '.../afile/lake/orders'", naming neither the
    connection nor its root."""
    afile = tmp_path / "afile"
    afile.write_text("")
    ws = write_workspace(
        tmp_path / "ws",
        {"f": FLOW_ON % "lake"},
        project=f"name: t\nconnections:\n  st: {{type: local, root: {afile}}}\n",
    )
    land(ws, "orders", "a", _frame())
    done = hygge(ws, "go")
    out = done.stdout + done.stderr
    assert "NotADirectoryError" not in out and "Errno" not in out, out
    said = " ".join(out.split())
    assert f"connection 'st' has root {afile}, which is a file, not a folder" in said, said


def test_two_workspaces_sharing_a_state_folder_do_not_skip_each_others_files(tmp_path):
    """`state: {path: /abs/shared}` is allowed outside the workspace. Two copies of a project
    (same name, flow and entity, each storing into its own `lake/`) that point at one shared
    state folder: after A loads, B's run is a "skip, no rows" with exit 0 and B's store stays
    empty although B's home holds 5 rows -- B's data is silently never loaded."""
    shared = tmp_path / "shared"
    flow = TWO % "orders"
    roots = []
    for name in ("A", "B"):
        ws = write_workspace(
            tmp_path / name,
            {"f": flow},
            project=f"name: s\nstate: {{type: local, path: {shared}}}\n",
        )
        land(ws, "orders", "a", _frame())
        roots.append(ws)
    assert hygge(roots[0], "go").returncode == 0
    done = hygge(roots[1], "go")
    stored = sorted((roots[1] / "lake" / "orders").glob("*.parquet"))
    rows = sum(pl.read_parquet(f).height for f in stored)
    assert done.returncode != 0 or rows == 5, (rows, done.stdout + done.stderr)
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, said
    assert f"state folder {shared} belongs to workspace 's' at {roots[0].resolve()}" in said
    assert "state: {path: ...}" in said and "hygge adopt-state" in said, said


def test_a_local_connection_root_of_tmp_is_checked_like_store_tmp(tmp_path):
    """`store: /tmp` is refused ("system folder"); `root: /tmp` + `path: "."` on a connection
    passes `hygge debug` with a ✓ (root: /var, /usr, /opt, /home, and root: / + path: var too).
    Only `hygge debug` runs here: nothing is written outside tmp_path."""
    ws = write_workspace(
        tmp_path / "ws",
        {"f": FLOW_ON % '"."'},
        project="name: t\nconnections:\n  st: {type: local, root: /tmp}\n",
    )
    land(ws, "orders", "a", _frame())
    done = hygge(ws, "debug")
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    assert "system folder" in out, out


def test_a_csv_file_empty_at_one_run_and_written_later_keeps_its_header_out_of_the_data(tmp_path):
    """A writer creates `b.csv` (0 bytes), a run loads it (nothing), then the writer writes its
    header and rows. The next run sees b.csv "grew" and loads from the old end (offset 0) as if
    the header had been read already: the header line becomes a data row ('name', 'city'); with
    a typed column the entity fails instead ("column 'id' holds 'id'")."""
    flow = "home: {type: local, path: landing, format: csv}\n" + TWO.split("\n", 1)[1] % "people"
    ws = write_workspace(tmp_path / "ws", {"f": flow})
    folder = ws / "landing" / "people"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_bytes(b"name,city\r\nann,oslo\r\n")
    (folder / "b.csv").write_bytes(b"")
    first = hygge(ws, "go")
    assert first.returncode == 0, first.stdout + first.stderr
    with (folder / "b.csv").open("ab") as f:
        f.write(b"name,city\r\nbob,rome\r\n")
    second = hygge(ws, "go")
    assert second.returncode == 0, second.stdout + second.stderr
    stored = pl.concat(
        [pl.read_parquet(f) for f in sorted((ws / "lake" / "people").glob("*.parquet"))]
    )
    assert sorted(stored["name"].to_list()) == ["ann", "bob"], stored
