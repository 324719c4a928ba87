"""Hostile-user findings on issue 9's work (blob storage and state, fewer fsyncs, the paused
collector at start-up).

Each test reproduces a defect the i10 attack found; all are fixed now. The last test guards a
check that held up (blob prefixes are not confused).
"""

from __future__ import annotations

import base64

import polars as pl
import pytest

from tests.support.azurite import KEY
from tests.support.cli import hygge
from tests.support.workspace import land, write_workspace

FLOW = """\
home: {{type: parquet, path: landing}}
store: {{type: parquet, path: {path}, connection: lake}}
run_type: full_drop
entities: [orders]
"""

BAD_KEY = base64.b64encode(b"not the account key of azurite!!").decode()


def _project(azurite, container: str, state: str = "") -> str:
    return f"""\
name: shop
connections:
  lake:
    type: azure_blob
    account_url: {azurite.account_url}
    container: {container}
    credential: key
    key: ${{HYGGE_I10_KEY}}
{state}"""


def _said(done) -> str:
    return " ".join((done.stdout + done.stderr).split())


def _blobs(azurite, container: str) -> list[str]:
    from azure.storage.blob import ContainerClient

    client = ContainerClient.from_connection_string(azurite.connection_string, container)
    return sorted(blob.name for blob in client.list_blobs())


@pytest.mark.azurite
@pytest.mark.parametrize(
    ("name", "why"),
    [("st", "has 2 characters, not 3 to 63"), ("Bad_Name", "may hold only lowercase letters")],
)
def test_a_state_container_with_an_invalid_name_is_named(tmp_path, azurite, name, why):
    """`state: {container: st}` failed with "could not read az://st/.../owner.json (HTTP 400
    OutOfRangeInput)" (exit 1): nothing said the container's name is what to fix."""
    state = f"state: {{type: azure_blob, connection: lake, container: {name}}}\n"
    ws = write_workspace(
        tmp_path / "ws", {"f": FLOW.format(path="lake")}, _project(azurite, "lake", state)
    )
    land(ws, "orders", "a", pl.DataFrame({"id": [1]}))

    done = hygge(ws, "go", env={"HYGGE_I10_KEY": KEY})

    said = _said(done)
    assert done.returncode == 2, said
    assert f"the container name '{name}' {why}" in said, said
    assert "3 to 63 lowercase letters" in said, said
    assert KEY not in said


@pytest.mark.azurite
def test_a_store_container_with_an_invalid_name_is_named(tmp_path, azurite):
    """The same for a store's connection: the entity failed with a bare HyggeError (HTTP 400
    InvalidResourceName)."""
    ws = write_workspace(
        tmp_path / "ws", {"f": FLOW.format(path="lake")}, _project(azurite, "Lake_1")
    )
    land(ws, "orders", "a", pl.DataFrame({"id": [1]}))

    done = hygge(ws, "go", env={"HYGGE_I10_KEY": KEY})

    said = _said(done)
    assert done.returncode == 1, said
    assert "ConfigError" in said and "the container name 'Lake_1' may hold only" in said, said


@pytest.mark.azurite
def test_a_wrong_account_key_names_the_variable_that_holds_it(tmp_path, azurite, blob_container):
    """A refused key said "the account key of 'devstoreaccount1' (connection 'lake')", not
    where the key came from: the variable to fix is named now, its value never."""
    ws = write_workspace(
        tmp_path / "ws", {"f": FLOW.format(path="lake")}, _project(azurite, blob_container)
    )
    land(ws, "orders", "a", pl.DataFrame({"id": [1]}))

    done = hygge(ws, "go", env={"HYGGE_I10_KEY": BAD_KEY})

    said = _said(done)
    assert done.returncode == 1, said
    assert "the account key in ${HYGGE_I10_KEY} of 'devstoreaccount1'" in said, said
    assert BAD_KEY not in said and KEY not in said
    assert _blobs(azurite, blob_container) == []


@pytest.mark.azurite
def test_a_blob_full_drop_leaves_neighbouring_prefixes_alone(tmp_path, azurite, blob_container):
    """Held up: `lake/orders` is a folder, not a name prefix: `lake/orders.parquet`,
    `lake/orders_backup/…` and `lake/ordersX` survive full_drops of entity orders."""
    from azure.storage.blob import ContainerClient

    client = ContainerClient.from_connection_string(azurite.connection_string, blob_container)
    foreign = ["lake/orders.parquet", "lake/orders_backup/keep.parquet", "lake/ordersX"]
    for name in foreign:
        client.upload_blob(name, b"not hygge's", overwrite=True)
    ws = write_workspace(
        tmp_path / "ws", {"f": FLOW.format(path="lake")}, _project(azurite, blob_container)
    )
    land(ws, "orders", "a", pl.DataFrame({"id": [1, 2]}))
    for _ in range(2):
        done = hygge(ws, "go", env={"HYGGE_I10_KEY": KEY})
        assert done.returncode == 0, _said(done)

    names = _blobs(azurite, blob_container)
    assert set(foreign) <= set(names), names
    assert len([n for n in names if n.startswith("lake/orders/set-")]) == 1, names


LOCAL_FLOW = """\
home: {type: parquet, path: landing}
store: lake
run_type: full_drop
entities: [orders]
"""


def test_reset_leaves_a_staging_shaped_folder_it_did_not_write(tmp_path):
    """`hygge reset` "forgot 1 staging folder no checkpoint owns" and deleted
    lake/_hygge_staging/orders/<32 hex digits>/keep.parquet, which a person put there before
    hygge's first run: a folder is taken as hygge's by its name alone, not by anything hygge
    wrote into it (its staging-open marker, its staged file names)."""
    ws = write_workspace(tmp_path / "ws", {"f": LOCAL_FLOW}, "name: t\n")
    land(ws, "orders", "a", pl.DataFrame({"id": [1, 2]}))
    stranger = ws / "lake" / "_hygge_staging" / "orders" / ("deadbeef" * 4)
    stranger.mkdir(parents=True)
    (stranger / "keep.parquet").write_bytes(b"not hygge's")
    done = hygge(ws, "go")
    assert done.returncode == 0, _said(done)
    assert (stranger / "keep.parquet").exists()  # a run leaves it alone

    done = hygge(ws, "reset", "-f", "f", "--yes")

    assert done.returncode == 0, _said(done)
    assert (stranger / "keep.parquet").read_bytes() == b"not hygge's"


@pytest.mark.parametrize(
    ("name", "files"),
    [
        ("deadbeef" * 4 + ".old", {"keep.parquet": b"a stranger's aside"}),
        ("deadbeef" * 4, {"_hygge_staging_open": b"0123456789abcdef" * 2, "k.parquet": b"x"}),
        ("deadbeef" * 4, {"_hygge_staging_open": b"\xff" * 10_000, "k.parquet": b"x"}),
    ],
    ids=["old-aside-without-markers", "open-marker-of-another-run", "oversized-open-marker"],
)
def test_reset_leaves_staging_shaped_folders_whose_markers_are_not_hygges(tmp_path, name, files):
    ws = write_workspace(tmp_path / "ws", {"f": LOCAL_FLOW}, "name: t\n")
    land(ws, "orders", "a", pl.DataFrame({"id": [1, 2]}))
    stranger = ws / "lake" / "_hygge_staging" / "orders" / name
    stranger.mkdir(parents=True)
    for file, data in files.items():
        (stranger / file).write_bytes(data)
    assert hygge(ws, "go").returncode == 0

    done = hygge(ws, "reset", "-f", "f", "--yes")

    assert done.returncode == 0, _said(done)
    assert {p.name: p.read_bytes() for p in stranger.iterdir()} == files


def test_reset_removes_an_empty_run_folder_and_one_whose_open_marker_names_it(tmp_path):
    """What a crash right after `prepare` leaves: hygge's own, so reset still clears it."""
    ws = write_workspace(tmp_path / "ws", {"f": LOCAL_FLOW}, "name: t\n")
    land(ws, "orders", "a", pl.DataFrame({"id": [1, 2]}))
    assert hygge(ws, "go").returncode == 0
    staging = ws / "lake" / "_hygge_staging" / "orders"
    (staging / ("0" * 32)).mkdir(parents=True)
    ours = staging / ("1" * 32)
    ours.mkdir()
    (ours / "_hygge_staging_open").write_text("1" * 32)
    (ours / "part-00001.parquet").write_bytes(b"half written")

    done = hygge(ws, "reset", "-f", "f", "--yes")

    assert done.returncode == 0, _said(done)
    assert not staging.exists()


def test_reset_removes_a_link_in_hygges_orphan_but_not_what_it_points_to(tmp_path):
    """Inside a staging folder that is hygge's, a link is unlinked, never followed."""
    ws = write_workspace(tmp_path / "ws", {"f": LOCAL_FLOW}, "name: t\n")
    land(ws, "orders", "a", pl.DataFrame({"id": [1, 2]}))
    assert hygge(ws, "go").returncode == 0
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "data.parquet").write_bytes(b"someone else's")
    ours = ws / "lake" / "_hygge_staging" / "orders" / ("2" * 32)
    ours.mkdir(parents=True)
    (ours / "_hygge_staging_open").write_text("2" * 32)
    (ours / "elsewhere").symlink_to(precious, target_is_directory=True)

    done = hygge(ws, "reset", "-f", "f", "--yes")

    assert done.returncode == 0, _said(done)
    assert not ours.exists()
    assert (precious / "data.parquet").read_bytes() == b"someone else's"


def _bomb(levels: int) -> str:
    lines = ["name: t", "x1: &x1 [a, a, a, a, a, a, a, a, a]"]
    for level in range(2, levels + 1):
        lines.append(f"x{level}: &x{level} [{', '.join([f'*x{level - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("project", "said_in"),
    [
        (b"name: t\n\xff\xfe\n", "hygge.yml line 2: the file is not UTF-8 text: byte 0xff"),
        (b"name: t\noptions: &a [*a]\n", "hygge.yml line 2: an alias here refers to a mapping"),
        (b"name: t\noptions: &a {x: *a}\n", "hygge.yml line 2: an alias here refers to a"),
        (_bomb(7).encode(), "the file expands to more than 100,000 values"),
    ],
    ids=["not-utf8", "list-in-itself", "mapping-in-itself", "alias-bomb"],
)
def test_an_unreadable_hygge_yml_is_a_configuration_error(tmp_path, project, said_in):
    """A hygge.yml that is not UTF-8 or whose aliases never end was "error: unexpected
    UnicodeDecodeError / RecursionError" (exit 1, a traceback with -v); nine aliases of nine
    aliases, seven deep (4.8 million values), took 35 s and 2.3 GB before "unknown key"."""
    ws = write_workspace(tmp_path / "ws", {"f": LOCAL_FLOW})
    (ws / "hygge.yml").write_bytes(project)

    done = hygge(ws, "go")

    said = _said(done)
    assert done.returncode == 2, said
    assert "Configuration error" in said and said_in in said, said
    assert "unexpected" not in said, said


def test_a_flow_file_that_is_not_utf8_names_the_file(tmp_path):
    ws = write_workspace(tmp_path / "ws", {"f": LOCAL_FLOW})
    (ws / "flows" / "f" / "flow.yml").write_bytes(LOCAL_FLOW.encode() + b"# caf\xe9\n")

    done = hygge(ws, "go")

    said = _said(done)
    assert done.returncode == 2, said
    assert "flows/f/flow.yml line 5: the file is not UTF-8 text: byte 0xe9" in said, said


@pytest.mark.parametrize(
    ("journal", "problem"),
    [
        ('"${HOME}"', "is your home folder"),
        ("home_link", "is your home folder"),
        ('"/"', "is the filesystem root"),
        ('"."', "is the workspace root itself"),
    ],
)
def test_a_journal_folder_is_refused_where_a_state_folder_is(tmp_path, journal, problem):
    """`state: {path: ${HOME}}` was refused, `journal: {path: ${HOME}}` (or a link to the home)
    was not: the journal wrote <flow>/<entity>/*.parquet straight into the home folder."""
    ws = write_workspace(
        tmp_path / "ws",
        {"f": LOCAL_FLOW.replace("store: lake", f"store: {tmp_path / 'lake'}")},
        f"name: t\njournal: {{path: {journal}}}\n",
    )
    home = tmp_path / "home"
    home.mkdir()
    (ws / "home_link").symlink_to(home)
    land(ws, "orders", "a", pl.DataFrame({"id": [1]}))

    done = hygge(ws, "go", env={"HOME": str(home)})

    said = _said(done)
    assert done.returncode == 2, said
    assert "journal.path" in said and "the journal folder" in said and problem in said, said
    assert list(home.iterdir()) == []
