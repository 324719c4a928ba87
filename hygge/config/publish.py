"""`hygge publish`: a local workspace's files copied to a storage prefix, showing what changed.

Only workspace files go: hygge.yml (or hygge.yaml) and the YAML files under the flows folder,
never a name starting with '.' (`.hygge`, `.env`) nor anything else (data, notes). The copy is
validated first as the blob workspace it will be; a broken one is refused before any blob
changes.

Order, so that a crash anywhere leaves nothing half-owned (`hygge.config.publish_manifest`):
plan (hash what is there) → write the intent into the manifest (If-Match the version read, so
of two publishers one is refused) → upload (If-None-Match for a new blob, If-Match the version
hashed for a changed one) → remove what the manifest owns and the workspace no longer has →
write the final manifest (If-Match the intent). Blobs under the prefix that hygge did not
publish are never replaced or removed: the publish is refused, naming them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from hygge.config.blob_workspace import BlobWorkspaceSource
from hygge.config.flows import YAML_SUFFIXES
from hygge.config.loader import load_workspace
from hygge.config.models import Workspace
from hygge.config.publish_manifest import (
    MANIFEST,
    Intent,
    Manifest,
    Publisher,
    read_manifest,
    sha256,
    write_manifest,
)
from hygge.connections import AzureBlobConnection
from hygge.errors import ConfigError, RetryableError, StoreOwnershipError
from hygge.storage import (
    Location,
    MemoryStorage,
    ObjectInfo,
    ObjectStorage,
    PreconditionFailedError,
    join_key,
)


@dataclass
class PublishPlan:
    """What a publish would do, by workspace-relative file name."""

    target: str  # where, for messages: az://container/prefix
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    taken_over: str | None = None  # why an unfinished publish of another process is finished
    seen: dict[str, ObjectInfo] = field(default_factory=dict)  # versions hashed at plan time
    manifest: Manifest = field(default_factory=Manifest)
    manifest_version: ObjectInfo | None = None

    @property
    def changes(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def workspace_files(root: Path, flows_dir: str) -> dict[str, bytes]:
    """hygge.yml and the flows folder's YAML files, by POSIX path relative to `root`; no
    name starting with '.' at any depth. A linked folder under the flows folder is read
    through its link (as `hygge go` reads it), each real folder once."""
    files: dict[str, bytes] = {}
    for suffix in YAML_SUFFIXES:
        project = root / f"hygge{suffix}"
        if project.is_file():
            files[project.name] = project.read_bytes()
    flows = root / flows_dir
    seen: set[Path] = set()
    for folder, subfolders, names in os.walk(flows, followlinks=True):
        here = Path(folder)
        real = here.resolve()
        if real in seen:  # a link back up the tree: each real folder once
            subfolders.clear()
            continue
        seen.add(real)
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in sorted(names):
            path = here / name
            if not name.startswith(".") and path.suffix in YAML_SUFFIXES and path.is_file():
                files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


def check_flows_inside(root: Path, flows_dir: str) -> None:
    """ConfigError naming hygge.yml's `flows_dir` line unless the flows folder lies inside
    `root`: a published workspace holds its flows under its own prefix."""
    flows = Path(os.path.normpath(root / flows_dir))
    if flows == root or root in flows.parents:
        return
    file, line = "hygge.yml", None
    for suffix in YAML_SUFFIXES:
        project = root / f"hygge{suffix}"
        if project.is_file():
            file = project.name
            lines = project.read_text(encoding="utf-8").splitlines()
            line = next((n for n, t in enumerate(lines, 1) if t.startswith("flows_dir:")), None)
            break
    raise ConfigError(
        f"flows_dir '{flows_dir}' lies outside the workspace folder {root}, so hygge publish "
        "cannot copy it under the workspace's prefix",
        file=file,
        line=line,
        hint="move the flows into the workspace folder (e.g. `flows_dir: flows`), then "
        "publish again",
    )


def check_copy(
    root: Path,
    files: dict[str, bytes],
    location: Location,
    connection: AzureBlobConnection,
    env: Mapping[str, str],
) -> Workspace:
    """Load `files` as the blob workspace at `location` will load (relative paths refused,
    state beside it); ConfigError naming the local file and line otherwise."""
    copy = MemoryStorage(location.container)
    for rel, data in files.items():
        copy.put(join_key(location.prefix, rel), data)
    source = BlobWorkspaceSource(copy, location, connection, label=str(root))
    return load_workspace(source=source, env=env)


def plan_publish(
    storage: ObjectStorage, prefix: str, files: dict[str, bytes], *, now: datetime, host: str
) -> PublishPlan:
    """Compare `files` with what is under `prefix`; StoreOwnershipError naming every blob
    hygge would have to replace or remove but did not publish (nothing is written)."""
    manifest, version = read_manifest(storage, prefix)
    plan = PublishPlan(storage.describe(prefix), manifest=manifest, manifest_version=version)
    if manifest.intent is not None:
        plan.taken_over = _check_unfinished(plan, manifest.intent, now, host)
    foreign: list[str] = []
    for rel in sorted(set(files) | manifest.owned_keys()):
        info = storage.stat(join_key(prefix, rel))
        digest = _digest(storage, join_key(prefix, rel)) if info is not None else None
        if info is not None:
            plan.seen[rel] = info
        wanted = files.get(rel)
        if wanted is not None and digest == sha256(wanted):
            plan.unchanged.append(rel)
        elif digest is not None and not manifest.owns(rel, digest):
            foreign.append(
                f"{storage.describe(join_key(prefix, rel))} ({_why_foreign(manifest, rel)})"
            )
        elif wanted is not None:
            (plan.changed if digest is not None else plan.added).append(rel)
        elif digest is not None:
            plan.removed.append(rel)
    if foreign:
        listed = "\n  ".join(foreign)
        raise StoreOwnershipError(
            f"hygge publish would replace or remove blobs under {plan.target} that it did not "
            f"publish; nothing was changed:\n  {listed}\n  hint: remove or rename them, or "
            "publish to a prefix of its own"
        )
    return plan


def apply_publish(
    storage: ObjectStorage,
    prefix: str,
    plan: PublishPlan,
    files: dict[str, bytes],
    *,
    now: datetime,
    source: str,
) -> Manifest:
    """Carry out `plan` (see the module docstring for the order); the manifest written."""
    final = Manifest(
        files={rel: sha256(data) for rel, data in files.items()}, published_at=now, source=source
    )
    if not plan.changes and plan.manifest.files == final.files and plan.manifest.intent is None:
        return plan.manifest
    intent = Intent(
        writes={rel: sha256(files[rel]) for rel in plan.added + plan.changed},
        removes=list(plan.removed),
        by=Publisher.here(now),
    )
    pending = plan.manifest.model_copy(update={"intent": intent})
    seen = _conditional(storage, prefix, pending, plan.manifest_version, plan.target)
    for rel in plan.added + plan.changed:
        key = join_key(prefix, rel)
        try:
            if rel in plan.changed:
                storage.put(key, files[rel], if_match=plan.seen[rel].version)
            else:
                storage.put(key, files[rel], if_absent=True)
        except PreconditionFailedError as error:
            raise RetryableError(
                f"{storage.describe(key)} changed while hygge publish was writing it; the "
                "manifest keeps the publish's intent: run hygge publish again"
            ) from error
    for rel in plan.removed:
        key = join_key(prefix, rel)
        now_there = storage.stat(key)
        if now_there is not None and now_there.version == plan.seen[rel].version:
            storage.delete(key)  # owned: the manifest names it with this content's hash
    _conditional(storage, prefix, final, seen, plan.target)
    return final


def _conditional(
    storage: ObjectStorage, prefix: str, manifest: Manifest, seen: ObjectInfo | None, target: str
) -> ObjectInfo:
    try:
        return write_manifest(storage, prefix, manifest, seen)
    except PreconditionFailedError as error:
        raise RetryableError(
            f"another hygge publish to {target} changed {MANIFEST} meanwhile, so this one "
            "stopped before changing anything more; look at what it published, then run "
            "hygge publish again"
        ) from error


def _check_unfinished(plan: PublishPlan, intent: Intent, now: datetime, host: str) -> str:
    by = intent.by
    reason = by.gone_reason(now, host)
    if reason is None:
        raise RetryableError(
            f"another hygge publish to {plan.target} is under way (process {by.pid} on "
            f"{by.host}, since {by.started_at:%Y-%m-%d %H:%M:%S} UTC); nothing was changed. "
            "An unfinished publish is finished by the next one once its process is gone (on "
            "another host: 10 minutes after it started)"
        )
    return f"finishing the publish of process {by.pid} on {by.host}: {reason}"


def _digest(storage: ObjectStorage, key: str) -> str:
    with storage.open_read(key) as handle:
        return sha256(handle.read())


def _why_foreign(manifest: Manifest, rel: str) -> str:
    if rel in manifest.owned_keys():
        return "changed since hygge published it"
    return "not published by hygge"
