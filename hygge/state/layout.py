"""Where each piece of local state lives inside the state folder.

    <state_dir>/watermarks/<flow>/<entity>.json    the current watermark
    <state_dir>/checkpoints/<flow>/<entity>.json   the live checkpoint of an unfinished run
    <state_dir>/locks/<flow>/<entity>.lock         who is moving the entity (LockInfo)
    <state_dir>/margins/<flow>/<entity>.parquet    keys loaded inside the lookback margin
    <state_dir>/margins/<flow>/<entity>.<run>-<chunk>.parquet  the same, for a run in progress
    <state_dir>/files/<flow>/<entity>/<shard>.json  the file ledger (hygge.state.ledger)
    <state_dir>/resets/<flow>/<entity>.json        what the last `hygge reset` forgot
    <state_dir>/owner.json                         the workspace it belongs to (owner_file)
    <journal_dir>/<flow>/<entity>/*.parquet        one journal file per entity run

Flow and entity names become path segments, so names that could escape their folder or hide
among temp files are refused, and so are names longer than MAX_NAME_BYTES.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hygge.errors import StateError

Kind = Literal["watermarks", "checkpoints", "locks", "margins", "resets"]

_SUFFIX: dict[Kind, str] = {
    "watermarks": ".json",
    "checkpoints": ".json",
    "locks": ".lock",
    "margins": ".parquet",
    "resets": ".json",
}


# The longest file name hygge derives from a name is a pending margin's temp file,
# `.<entity>.<run 12>-<chunk 6>.parquet.<12 hex>.tmp`: the name plus 46 bytes. Filesystems
# allow 255 bytes (Linux, macOS, Windows); 100 leaves room for that and for store suffixes.
FILE_NAME_MAX_BYTES = 255
MAX_NAME_BYTES = 100


def check_name(name: str, what: str) -> str:
    """`name` if it is safe as one path segment, else StateError."""
    if not name or name.startswith(".") or any(c in name for c in "/\\\0:"):
        raise StateError(
            f"{what} name {name!r} cannot be used in the state folder: it must be non-empty, "
            "must not start with '.', and must not contain '/', '\\', ':' or NUL. "
            f"Rename the {what} in the workspace."
        )
    if len(name.encode()) > MAX_NAME_BYTES:
        raise StateError(
            f"{what} name {name[:20]!r}… is {len(name.encode())} bytes long; state file names "
            f"allow at most {MAX_NAME_BYTES}. Rename the {what} in the workspace."
        )
    return name


@functools.lru_cache(maxsize=4096)  # asked several times per step: build each path once
def _state_path(state_dir: Path, kind: Kind, flow: str, entity: str) -> Path:
    folder = state_dir / kind / check_name(flow, "flow")
    return folder / f"{check_name(entity, 'entity')}{_SUFFIX[kind]}"


@dataclass(frozen=True)
class StateLayout:
    """The paths of one local state folder."""

    state_dir: Path
    journal_dir: Path

    def path(self, kind: Kind, flow: str, entity: str) -> Path:
        """The file holding `kind` state of `flow.entity`."""
        return _state_path(self.state_dir, kind, flow, entity)

    def ledger_folder(self, flow: str, entity: str) -> Path:
        """The folder holding the file ledger's shards of `flow.entity`."""
        return self.state_dir / "files" / check_name(flow, "flow") / check_name(entity, "entity")

    def owned_folder(self, folder: Path) -> Path:
        """`folder`, refused (StateError) when it resolves through a symbolic link to a place
        outside the state folder: hygge deletes there only what it wrote."""
        real, root = Path(os.path.realpath(folder)), Path(os.path.realpath(self.state_dir))
        if real != root and root not in real.parents:
            raise StateError(
                f"state folder {folder} leads to {real} (through a symbolic link), outside the "
                f"state folder {root}: hygge removes nothing there. Remove the link, then run "
                "the command again"
            )
        return folder

    def journal_folder(self, flow: str, entity: str) -> Path:
        """The folder holding the journal files of `flow.entity`."""
        return self.journal_dir / check_name(flow, "flow") / check_name(entity, "entity")

    def entries(self, kind: Kind) -> list[tuple[str, str, Path]]:
        """Every `(flow, entity, path)` holding `kind` state, sorted; temp files skipped."""
        suffix = _SUFFIX[kind]
        found: list[tuple[str, str, Path]] = []
        for flow_dir in _visible(self.state_dir / kind):
            if not flow_dir.is_dir():
                continue
            for path in _visible(flow_dir):
                # not only regular files: a FIFO, socket or folder there is listed, so that
                # reading it refuses it by name (`hygge debug` passed over it: all was well)
                if path.name.endswith(suffix):
                    found.append((flow_dir.name, path.name.removesuffix(suffix), path))
        return found


def _visible(folder: Path) -> list[Path]:
    """The folder's entries not starting with '.', sorted by name; [] when it is missing."""
    try:
        return sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    except FileNotFoundError:
        return []
    except OSError as error:
        raise StateError(
            f"cannot list state folder {folder}: {error.strerror or error}. "
            "Check that the state folder is readable."
        ) from error
