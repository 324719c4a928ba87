"""The manifest `hygge publish` keeps under a prefix: which blobs it published there.

`<prefix>/.hygge-published.json` holds the content hash of every file hygge published, and,
while a publish runs, its intent: the files it is about to write or remove and who writes
them. The intent is written (conditionally) before any blob changes, so a publish killed
midway leaves a manifest that still owns every blob it touched, and the next publish finishes
the job. Only blobs the manifest names are ever replaced or removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from datetime import datetime, timedelta

from pydantic import BaseModel, Field, ValidationError

from hygge.errors import StateError
from hygge.state.lock_rules import pid_alive
from hygge.storage import ObjectInfo, ObjectStorage, join_key

MANIFEST = ".hygge-published.json"
STALE_AFTER = timedelta(minutes=10)  # another host's unfinished publish counts as gone


class Publisher(BaseModel):
    """Who is publishing: host, process and when it started."""

    host: str
    pid: int
    started_at: datetime

    @classmethod
    def here(cls, now: datetime) -> Publisher:
        return cls(host=socket.gethostname(), pid=os.getpid(), started_at=now)

    def gone_reason(self, now: datetime, host: str) -> str | None:
        """Why this publisher's unfinished publish may be taken over, None while it may run."""
        if self.host == host:
            alive = pid_alive(self.pid)
            if alive is not None:
                return None if alive else f"process {self.pid} no longer exists on this host"
        if now - self.started_at > STALE_AFTER:
            return f"it started more than {int(STALE_AFTER.total_seconds() // 60)} minutes ago"
        return None


class Intent(BaseModel):
    """A publish under way: the hashes it writes, the files it removes, and who it is."""

    writes: dict[str, str] = Field(default_factory=dict)
    removes: list[str] = Field(default_factory=list)
    by: Publisher


class Manifest(BaseModel):
    """What hygge published under a prefix (file -> sha256), and a publish under way."""

    format: int = 1
    files: dict[str, str] = Field(default_factory=dict)
    published_at: datetime | None = None
    source: str | None = None  # the local folder it was published from
    intent: Intent | None = None

    def owns(self, key: str, digest: str) -> bool:
        """True when `digest` is content hygge published (or was publishing) at `key`."""
        if self.files.get(key) == digest:
            return True
        return self.intent is not None and self.intent.writes.get(key) == digest

    def owned_keys(self) -> set[str]:
        keys = set(self.files)
        if self.intent is not None:
            keys |= set(self.intent.writes) | set(self.intent.removes)
        return keys


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_manifest(storage: ObjectStorage, prefix: str) -> tuple[Manifest, ObjectInfo | None]:
    """The manifest under `prefix` and its version (an empty one and None when absent)."""
    key = join_key(prefix, MANIFEST)
    info = storage.stat(key)
    if info is None:
        return Manifest(), None
    with storage.open_read(key) as handle:
        data = handle.read()
    try:
        manifest = Manifest.model_validate(json.loads(data))
    except (ValueError, ValidationError) as error:
        raise StateError(
            f"{storage.describe(key)} is not a manifest hygge publish can read ({error}); "
            "hygge publish will not guess which blobs it owns"
        ) from error
    strange = sorted(name for name in manifest.owned_keys() if not is_workspace_file(name))
    if strange:
        raise StateError(
            f"{storage.describe(key)} names blobs no hygge publish writes ({', '.join(strange)}):"
            " only hygge.yml and YAML files under a folder; it was edited by hand, so hygge "
            "publish will not replace or remove anything by it. Remove it to start over"
        )
    return manifest, info


def is_workspace_file(name: str) -> bool:
    """True for a name `hygge publish` may write: a clean relative key to a .yml/.yaml file,
    no segment starting with '.'."""
    parts = name.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return False
    return name.endswith((".yml", ".yaml"))


def write_manifest(
    storage: ObjectStorage, prefix: str, manifest: Manifest, seen: ObjectInfo | None
) -> ObjectInfo:
    """Write the manifest if it is still the version `seen` (absent when None)."""
    data = manifest.model_dump_json(indent=1).encode()
    key = join_key(prefix, MANIFEST)
    if seen is None:
        return storage.put(key, data, if_absent=True)
    return storage.put(key, data, if_match=seen.version)
