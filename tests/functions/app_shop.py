"""A Function App's world in Azurite: a workspace at az://<config>/shop (as `hygge publish`
leaves it), a landing container of parquet files per entity, a lake container the parquet
store writes, and the app settings pointing at them; plus the real activity runner for the
replay driver (`tests/support/durable.py`)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from hygge.functions import orchestration
from tests.support.durable import ReplayDriver, blueprint_handles

REPO = Path(__file__).resolve().parents[2]

PROJECT = """\
name: shop
options:
  checkpoint_rows: {checkpoint_rows}
connections:
  landing:
    type: azure_blob
    container: {landing}
    credential: connection_string
    connection_string: ${{HYGGE_STORAGE_CONNECTION}}
  lake:
    type: azure_blob
    container: {lake}
    credential: connection_string
    connection_string: ${{HYGGE_STORAGE_CONNECTION}}
"""
FLOW = """\
home: {{type: parquet, path: sales, connection: landing}}
store: {{type: parquet, path: sales, connection: lake}}
run_type: incremental
watermark: {{column: id}}
entities: [{entities}]
"""


def service(connection_string: str) -> Any:
    from azure.storage.blob import BlobServiceClient

    return BlobServiceClient.from_connection_string(connection_string)


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


@dataclass
class Shop:
    connection_string: str
    config: str
    landing: str
    lake: str

    @property
    def workspace(self) -> str:
        return f"az://{self.config}/shop"

    def env(self, **more: str) -> dict[str, str]:
        return {
            "HYGGE_WORKSPACE": self.workspace,
            "HYGGE_STORAGE_CONNECTION": self.connection_string,
            "HYGGE_CHUNK_SECONDS": "30",
            "HYGGE_MAX_PARALLEL_ENTITIES": "4",
            **more,
        }

    def put(self, container: str, name: str, data: bytes) -> None:
        client = service(self.connection_string).get_blob_client(container, name)
        client.upload_blob(data, overwrite=True)

    def write_workspace(
        self, entities: list[str], *, checkpoint_rows: int = 1_000_000, extra: str = ""
    ) -> None:
        project = PROJECT.format(
            checkpoint_rows=checkpoint_rows, landing=self.landing, lake=self.lake
        )
        self.put(self.config, "shop/hygge.yml", project.encode())
        flow = FLOW.format(entities=", ".join(entities)) + extra
        self.put(self.config, "shop/flows/sales/flow.yml", flow.encode())

    def land(self, entity: str, ids: range, *, files: int = 1) -> None:
        """`ids` as `files` parquet files under sales/<entity>/ (a name and an amount each)."""
        self.land_named(entity, ids, "", files=files)

    def land_named(self, entity: str, ids: range, tag: str, *, files: int = 1) -> None:
        """As `land`, the files' names starting with `tag` (a later batch of files)."""
        values = list(ids)
        size = max(1, -(-len(values) // files))
        for number, start in enumerate(range(0, len(values), size)):
            part = values[start : start + size]
            frame = pl.DataFrame(
                {"id": part, "amount": [v * 1.5 for v in part], "name": [f"n{v}" for v in part]}
            )
            name = f"sales/{entity}/{tag}{number:04d}.parquet"
            self.put(self.landing, name, parquet_bytes(frame))

    def names(self, container: str) -> list[str]:
        client = service(self.connection_string).get_container_client(container)
        return sorted(blob.name for blob in client.list_blobs())

    def _frame(self, container: str, prefix: str, *, published_only: bool) -> pl.DataFrame:
        client = service(self.connection_string).get_container_client(container)
        frames = []
        for name in self.names(container):
            if not name.startswith(prefix) or not name.endswith(".parquet"):
                continue
            if published_only and "/_" in name[len(prefix) - 1 :]:
                continue
            frames.append(pl.read_parquet(io.BytesIO(client.download_blob(name).readall())))
        if not frames:
            return pl.DataFrame()
        return pl.concat(frames).sort("id")

    def lake_frame(self, entity: str) -> pl.DataFrame:
        return self._frame(self.lake, f"sales/{entity}/", published_only=True)

    def source_frame(self, entity: str) -> pl.DataFrame:
        return self._frame(self.landing, f"sales/{entity}/", published_only=False)

    def state_names(self) -> list[str]:
        return [n for n in self.names(self.config) if n.startswith("shop/.hygge/")]

    def journal_rows(self) -> list[dict[str, Any]]:
        from hygge.config import load_workspace
        from hygge.state.clock import utc_now
        from hygge.state.config import open_state

        workspace = load_workspace(source=self.workspace, env=self.env())
        state = open_state(
            workspace.project.state,
            workspace.root,
            clock=utc_now,
            host="test",
            journal_dir=workspace.journal_dir,
            workspace=workspace.name,
            connections=workspace.project.connections,
            env=self.env(),
        )
        return [row.model_dump(mode="json") for row in state.read_journal()]


def content_hash(frame: pl.DataFrame) -> tuple[int, str]:
    """(rows, sha256 of the rows sorted by id): what "store == source" compares."""
    if frame.is_empty():
        return 0, ""
    ordered = frame.select(sorted(frame.columns)).sort("id")
    digest = hashlib.sha256(ordered.write_csv().encode()).hexdigest()
    return ordered.height, digest


def make_shop(connection_string: str) -> Shop:
    names = [f"t-{uuid.uuid4().hex[:20]}" for _ in range(3)]
    for name in names:
        service(connection_string).create_container(name)
    return Shop(connection_string, *names)


ACTIVITY_FUNCTIONS = blueprint_handles(orchestration, orchestration.ACTIVITIES)


def in_process(name: str, payload: Any) -> Any:
    """An activity run as the Functions worker runs it: the registered function, here."""
    return json.loads(json.dumps(ACTIVITY_FUNCTIONS[name](payload)))


def driver(run_activity: Any = in_process, **options: Any) -> ReplayDriver:
    handles = blueprint_handles(orchestration, orchestration.ORCHESTRATORS)
    return ReplayDriver(handles, run_activity, **options)


def activity_process(
    name: str, payload: Any, env: Mapping[str, str], *, fault: str | None = None
) -> subprocess.Popen[str]:
    """The activity in a process of its own (`python -m tests.functions.app_shop`)."""
    child_env = {**os.environ, **env}
    child_env.pop("HYGGE_FAULT", None)
    if fault:
        child_env["HYGGE_FAULT"] = fault
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.functions.app_shop", name],
        cwd=REPO,
        env=child_env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None
    process.stdin.write(json.dumps(payload))
    process.stdin.close()
    process.stdin = None  # communicate() must not flush it again
    return process


def _serve() -> None:
    name = sys.argv[1]
    payload = json.load(sys.stdin)
    print(json.dumps(in_process(name, payload)))


if __name__ == "__main__":
    _serve()


def wait_stopped(process: subprocess.Popen[str], timeout: float = 120.0) -> None:
    """Until `process` stopped itself (an injected `point:stop` fault); AssertionError if it
    ended or took longer."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"the activity process ended ({process.returncode}) unstopped: "
                f"{process.stderr.read() if process.stderr else ''}"
            )
        stat = Path(f"/proc/{process.pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "T":
            return
        time.sleep(0.05)
    raise AssertionError("the activity process never reached its fault point")


def answer(process: subprocess.Popen[str], timeout: float = 300.0) -> Any:
    """The JSON an activity process printed; AssertionError naming its stderr if none."""
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"activity process failed ({process.returncode}): {err}"
    return json.loads(out.strip().splitlines()[-1])
