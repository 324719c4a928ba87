"""Build small workspaces on disk and run them through the real engine and local state."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl

from hygge.config import Workspace, load_workspace
from hygge.engine.plan import Selection, plan_run
from hygge.engine.runner import RunReport, run_plan
from hygge.state.local import LocalStateBackend
from hygge.types import RunType

EXTENSIONS = {"parquet": "parquet", "csv": "csv", "ndjson": "ndjson"}
# One incremental entity `orders` from landing/ into the local lake, by the watermark `id`.
ORDERS_BY_ID_FLOW = """\
home: {type: parquet, path: landing}
store: lake
run_type: incremental
watermark: {column: id}
entities: [orders]
"""


def blob_state_project(
    account_url: str,
    container: str,
    secret: str,
    *,
    name: str = "shop",
    state: str = "type: azure_blob, connection: lake",
) -> str:
    """A hygge.yml whose state lives in `container` through the azure_blob connection `lake`,
    its connection string read from the environment variable `secret`."""
    return f"""\
name: {name}
connections:
  lake:
    type: azure_blob
    account_url: {account_url}
    container: {container}
    credential: connection_string
    connection_string: ${{{secret}}}
state: {{{state}}}
"""


def write_workspace(root: Path, flows: dict[str, str], project: str = "name: test\n") -> Path:
    """hygge.yml plus `flows/<name>/flow.yml` for each entry; returns the root."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "hygge.yml").write_text(textwrap.dedent(project))
    for name, text in flows.items():
        folder = root / "flows" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "flow.yml").write_text(textwrap.dedent(text))
    return root


def land(root: Path, entity: str, name: str, frame: pl.DataFrame, fmt: str = "parquet") -> Path:
    """Write one landing file `landing/<entity>/<name>.<ext>`."""
    path = root / "landing" / entity / f"{name}.{EXTENSIONS[fmt]}"
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        frame.write_parquet(path)
    elif fmt == "csv":
        frame.write_csv(path)
    else:
        frame.write_ndjson(path)
    return path


def read_lake(root: Path, entity: str, fmt: str = "parquet", lake: str = "lake") -> pl.DataFrame:
    """Everything published for an entity (empty frame when nothing is)."""
    folder = root / lake / entity
    files = sorted(folder.glob(f"*.{EXTENSIONS[fmt]}")) if folder.exists() else []
    if not files:
        return pl.DataFrame()
    if fmt == "parquet":
        return pl.concat([pl.read_parquet(f) for f in files])
    if fmt == "csv":
        return pl.concat([pl.read_csv(f, try_parse_dates=True) for f in files])
    return pl.concat([pl.read_ndjson(f) for f in files])


def read_landing(root: Path, entity: str) -> pl.DataFrame:
    files = sorted((root / "landing" / entity).glob("*.parquet"))
    return pl.concat([pl.read_parquet(f) for f in files])


def state_of(workspace: Workspace) -> LocalStateBackend:
    return LocalStateBackend(workspace.state_dir, workspace.journal_dir)


def run(
    root: Path,
    *,
    run_type: RunType | None = None,
    concurrency: int = 2,
    continue_on_error: bool = False,
    entities: tuple[str, ...] = (),
) -> RunReport:
    """`hygge go` through the engine API: load, plan, run with local state."""
    workspace = load_workspace(root)
    plan = plan_run(workspace, Selection(entities=list(entities), run_type=run_type))
    return run_plan(
        plan, state_of(workspace), concurrency=concurrency, continue_on_error=continue_on_error
    )


REPO = Path(__file__).resolve().parents[2]


def crash(root: Path, point: str) -> int:
    """Run the workspace in a child process that dies (os._exit) at fault `point`; its exit code."""
    code = "from pathlib import Path; from tests.support.workspace import run; run(Path(%r))"
    env = {**os.environ, "HYGGE_FAULT": f"{point}:exit"}
    done = subprocess.run(
        [sys.executable, "-c", code % str(root)],
        cwd=REPO,
        env=env,
        capture_output=True,
        check=False,
    )
    return done.returncode


def assert_state_is_settled(root: Path, source: pl.DataFrame) -> None:
    """After the rerun of a fault matrix over `shop.orders`: no run left open, no lock, and the
    watermark at the source's newest `updated_at`."""
    state = state_of(load_workspace(root))
    assert state.load_checkpoint("shop", "orders") is None
    assert state.list_locks() == {}
    watermark = state.get_watermark("shop", "orders")
    assert watermark is not None
    assert watermark.value == source["updated_at"].max().isoformat()  # type: ignore[union-attr]
