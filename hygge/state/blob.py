"""StateBackend in an Azure blob container (Blob, ADLS Gen2, OneLake through the blob API).

Under the state's prefix, one blob per value, so reading a watermark costs one request
whatever the number of past runs:

    <prefix>/owner.json                              the workspace it belongs to
    <prefix>/watermarks/<flow>/<entity>.json         the current watermark
    <prefix>/checkpoints/<flow>/<entity>.json        the live checkpoint of an unfinished run
    <prefix>/locks/<flow>/<entity>.lock              the entity's lock: a leased blob (LockInfo)
    <prefix>/margins/<flow>/<entity>.parquet         keys loaded inside the lookback margin
    <prefix>/margins-pending/<flow>/<entity>/<pending>.parquet   the same, for a run's chunk
    <prefix>/files/<flow>/<entity>/<shard>.json      the file ledger (hygge.state.ledger)
    <prefix>/journal/<flow>/<entity>/<start>_<run>_<status>_<event>.parquet   one per event

A Put Blob is atomic: readers see the old value or the new one. Read-modify-writes are
compare-and-swaps on the ETag read with the value (`If-Match`, `If-None-Match: *` for a value
not there yet): `replace_checkpoint`, the ledger shards (retried until they apply, so two
writers adding files to one shard lose neither) and the owner claim.

Entity locks are blob leases. The lease id is derived from the lock's owner (its attempt id),
so every process of one attempt (a resumed run, a redelivered activity) holds the same lease,
and no other owner can. A lease lasts `lease_seconds` (15-60 s) and `refresh_lock` renews it:
the engine's heartbeat calls it every `renew_every` while a step works, and at every fencing
point, where a lost lease (broken, expired and taken by another, or the blob removed) raises
EntityLockedError as the local backend's fencing does. The lock blob's content is the holder's
LockInfo, written with the lease id (a writer without the lease is refused by the service).

Takeover: a lease that expired (its holder stopped renewing) may be taken by the next run,
except from a process this host sees alive (the local rule); a lease still active is taken
(broken, then acquired) only where `hygge.state.lock_rules` says the holder is gone, as for
the local folder: a dead pid on this host, or another host's heartbeat older than the stale
timeout. Of several runs taking one lock at once the service lets exactly one acquire it.
"""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NoReturn

import polars as pl
from pydantic import TypeAdapter, ValidationError

from hygge.errors import EntityLockedError, HyggeError, StateError
from hygge.state.advice import first_problem, reload_advice
from hygge.state.base import FileRecord, LockInfo, StateKind, StateOwner, Watermark
from hygge.state.clock import Clock, as_utc, utc_now
from hygge.state.journal import JournalRead, JournalRow
from hygge.state.journal_folder import (
    FILE_COLUMN,
    journal_file_name,
    journal_parquet,
    select_rows,
)
from hygge.state.journal_frame import JOURNAL_SCHEMA
from hygge.state.layout import check_name
from hygge.state.ledger import (
    LedgerShard,
    by_shard,
    decode_shard,
    encode_shard,
    is_shard_file,
    records_by_shard,
    updated,
)
from hygge.state.lock import FRESH_SHARE, lock_gone_error, log_takeover, taken_over_error
from hygge.state.lock_rules import (
    DEFAULT_STALE_AFTER,
    PidAlive,
    describe_holder,
    pid_alive,
    refuse_unlock,
    stale_reason,
)
from hygge.storage.blob import BlobStorage
from hygge.types import JsonValue

if TYPE_CHECKING:
    from azure.storage.blob import BlobClient, ContainerClient

log = logging.getLogger(__name__)

_CHECKPOINT = TypeAdapter(dict[str, JsonValue])
_LEASE_NAMESPACE = uuid.UUID("5d1f0c39-3b0e-4c4b-9a55-6b1f0d2a8e11")  # lease ids of hygge locks
LEASE_SECONDS = 60  # the longest finite lease Azure grants
MIN_LEASE_SECONDS = 15  # the shortest
CAS_TRIES = 50  # a ledger shard's compare-and-swap, against writers of the same shard
READ_THREADS = 8  # journal files downloaded at once
_SUFFIX: dict[str, str] = {
    "watermarks": ".json",
    "checkpoints": ".json",
    "locks": ".lock",
    "margins": ".parquet",
}
# Service codes that say a lease operation found another lease, or none (409 / 412).
_LEASE_LOST = frozenset(
    {
        "LeaseAlreadyPresent",
        "LeaseIdMismatchWithLeaseOperation",
        "LeaseIdMismatchWithBlobOperation",
        "LeaseIsBrokenAndCannotBeRenewed",
        "LeaseIsBreakingAndCannotBeAcquired",
        "LeaseIsBreakingAndCannotBeChanged",
        "LeaseNotPresentWithLeaseOperation",
        "LeaseNotPresentWithBlobOperation",
        "LeaseIdMissing",
        "LeaseLost",
        "ConditionNotMet",
    }
)


def lease_id(owner: str) -> str:
    """The lease id of `owner`'s locks: the same in every process of one attempt."""
    return str(uuid.uuid5(_LEASE_NAMESPACE, owner))


@dataclass(frozen=True)
class _Read:
    """A blob's bytes with the ETag and lease state read with them in one request."""

    data: bytes
    etag: str
    leased: bool  # an active lease (held or breaking) right now


class BlobStateBackend:
    """Durable state for one workspace under `prefix` in the container of `client`."""

    def __init__(
        self,
        client: ContainerClient,
        prefix: str,
        *,
        clock: Clock = utc_now,
        host: str | None = None,
        pid: int | None = None,
        stale_after: timedelta = DEFAULT_STALE_AFTER,
        alive: PidAlive | None = None,
        lease_seconds: int = LEASE_SECONDS,
        identity: str = "the configured credential",
    ) -> None:
        if not MIN_LEASE_SECONDS <= lease_seconds <= LEASE_SECONDS:
            raise ValueError(f"a blob lease lasts 15-60 s, not {lease_seconds}")
        self.client = client
        self.storage = BlobStorage(client, prefix, identity=identity)  # listing, errors
        self.prefix = self.storage.prefix
        self.clock = clock
        self.host = socket.gethostname() if host is None else host
        self._pid = pid
        self.stale_after = stale_after
        self._alive = alive
        self.lease_seconds = lease_seconds
        # This process's last heartbeat write per (flow, entity, owner): a refresh within
        # `stale_after / FRESH_SHARE` of it renews the lease and writes nothing else.
        self._beats: dict[tuple[str, str, str], Any] = {}

    @property
    def renew_every(self) -> timedelta:
        """How often a live run must refresh its locks: a third of the lease."""
        return timedelta(seconds=self.lease_seconds / 3)

    @property
    def pid(self) -> int:
        return os.getpid() if self._pid is None else self._pid

    # -- names and requests ------------------------------------------------------------------

    def _key(self, kind: str, flow: str, entity: str) -> str:
        return f"{kind}/{check_name(flow, 'flow')}/{check_name(entity, 'entity')}{_SUFFIX[kind]}"

    def _blob(self, key: str) -> BlobClient:
        return self.client.get_blob_client(self.storage._name(key))

    def _fail(self, error: Exception, action: str, key: str | None = None) -> NoReturn:
        self.storage._fail(error, action, key)

    def _read(self, key: str) -> _Read | None:
        """The blob's bytes, ETag and lease state; None when there is no such blob."""
        try:
            download = self._blob(key).download_blob(max_concurrency=1)
            data = download.readall()
        except Exception as error:
            if self.storage._is_missing_blob(error):
                return None
            self._fail(error, "read", key)
        properties = download.properties
        leased = str(getattr(properties.lease, "state", "")) in ("leased", "breaking")
        return _Read(bytes(data), str(properties.etag), leased)

    def _bytes(self, key: str) -> bytes | None:
        found = self._read(key)
        return None if found is None else found.data

    def _put(self, key: str, data: bytes, **options: Any) -> str:
        """Put the whole blob (one atomic request); its new ETag."""
        try:
            result = self._blob(key).upload_blob(data, overwrite=True, **options)
        except Exception as error:
            self._fail(error, "write", key)
        return str(result["etag"])

    def _put_if(self, key: str, data: bytes, etag: str | None) -> bool:
        """Put only over the version `etag` (None: only where there is no blob); False when
        another writer got there first."""
        from azure.core import MatchConditions

        conditions: dict[str, Any] = (
            {"match_condition": MatchConditions.IfMissing}
            if etag is None
            else {"etag": etag, "match_condition": MatchConditions.IfNotModified}
        )
        try:
            self._blob(key).upload_blob(data, overwrite=True, **conditions)
        except Exception as error:
            if _code(error) in ("ConditionNotMet", "BlobAlreadyExists"):
                return False
            self._fail(error, "write", key)
        return True

    def _delete(self, key: str, **options: Any) -> bool:
        try:
            self._blob(key).delete_blob(**options)
        except Exception as error:
            if self.storage._is_missing_blob(error):
                return False
            self._fail(error, "delete", key)
        return True

    def _keys(self, under: str) -> list[tuple[str, int]]:
        """(key, size) of every blob under the folder `under`, sorted."""
        return [(info.key, info.size) for info in self.storage.list(under)]

    def _entries(self, kind: str) -> list[tuple[str, str]]:
        """Every `(flow, entity)` with a non-empty `kind` blob, sorted."""
        suffix = _SUFFIX[kind]
        found: list[tuple[str, str]] = []
        for key, size in self._keys(kind):
            parts = key.split("/")
            if len(parts) == 3 and parts[2].endswith(suffix) and size > 0:
                found.append((parts[1], parts[2].removesuffix(suffix)))
        return sorted(found)

    # -- watermarks --------------------------------------------------------------------------

    def get_watermark(self, flow: str, entity: str) -> Watermark | None:
        key = self._key("watermarks", flow, entity)
        return self._watermark(key, self._bytes(key), flow, entity)

    def set_watermark(self, flow: str, entity: str, watermark: Watermark) -> None:
        key = self._key("watermarks", flow, entity)
        self._put(key, watermark.model_dump_json(indent=2).encode())

    def clear_watermark(self, flow: str, entity: str) -> bool:
        return self._delete(self._key("watermarks", flow, entity))

    def list_watermarks(self) -> dict[str, Watermark]:
        found: dict[str, Watermark] = {}
        for flow, entity in self._entries("watermarks"):
            watermark = self.get_watermark(flow, entity)
            if watermark is not None:  # removed between listing and reading
                found[f"{flow}.{entity}"] = watermark
        return found

    def _watermark(self, key: str, raw: bytes | None, flow: str, entity: str) -> Watermark | None:
        if raw is None:
            return None
        try:
            return Watermark.model_validate_json(raw)
        except ValidationError as error:
            raise self._corrupt(key, error, reload_advice(flow, entity)) from error

    # -- the file ledger ---------------------------------------------------------------------

    def _shard_key(self, flow: str, entity: str, shard: str) -> str:
        return f"{self._ledger_folder(flow, entity)}/{shard}.json"

    def _ledger_folder(self, flow: str, entity: str) -> str:
        return f"files/{check_name(flow, 'flow')}/{check_name(entity, 'entity')}"

    def _shard(self, key: str, found: _Read | None, flow: str, entity: str) -> LedgerShard | None:
        if found is None:
            return None
        try:
            return decode_shard(found.data)
        except ValidationError as error:
            raise self._corrupt(key, error, reload_advice(flow, entity)) from error

    def read_file_ledger(
        self, flow: str, entity: str, paths: Collection[str]
    ) -> dict[str, FileRecord]:
        found: dict[str, FileRecord] = {}
        for shard, wanted in by_shard(paths).items():
            key = self._shard_key(flow, entity, shard)
            stored = self._shard(key, self._read(key), flow, entity)
            if stored is not None:
                found |= {p: stored.records[p] for p in wanted if p in stored.records}
        return found

    def write_file_ledger(self, flow: str, entity: str, records: Sequence[FileRecord]) -> None:
        """Each changing shard by compare-and-swap on its ETag, retried until it applies."""
        for shard, changes in records_by_shard(records).items():
            key = self._shard_key(flow, entity, shard)
            for _ in range(CAS_TRIES):
                found = self._read(key)
                new = updated(self._shard(key, found, flow, entity), changes)
                if new is None or self._put_if(
                    key, encode_shard(new), None if found is None else found.etag
                ):
                    break
            else:
                raise StateError(
                    f"could not record loaded files in {self.storage.describe(key)}: other "
                    f"writers changed it {CAS_TRIES} times in a row; run the entity again"
                )

    def clear_file_ledger(self, flow: str, entity: str) -> bool:
        keys = [k for k, _ in self._keys(self._ledger_folder(flow, entity))]
        shards = [k for k in keys if k.count("/") == 3 and is_shard_file(k.rsplit("/", 1)[1])]
        removed = [self._delete(key) for key in shards]  # every one, not up to the first
        return any(removed)

    def count_file_ledger(self, flow: str, entity: str) -> int:
        total = 0
        for key, _ in self._keys(self._ledger_folder(flow, entity)):
            if key.count("/") == 3 and is_shard_file(key.rsplit("/", 1)[1]):
                shard = self._shard(key, self._read(key), flow, entity)
                total += 0 if shard is None else len(shard.records)
        return total

    # -- lookback margins --------------------------------------------------------------------

    def _margin_key(self, flow: str, entity: str, pending: str | None) -> str:
        if pending is None:
            return self._key("margins", flow, entity)
        return f"{self._pending_folder(flow, entity)}/{check_name(pending, 'margin')}.parquet"

    def _pending_folder(self, flow: str, entity: str) -> str:
        return f"margins-pending/{check_name(flow, 'flow')}/{check_name(entity, 'entity')}"

    def load_margin(self, flow: str, entity: str, pending: str | None = None) -> bytes | None:
        return self._bytes(self._margin_key(flow, entity, pending))

    def save_margin(self, flow: str, entity: str, data: bytes, pending: str) -> None:
        self._put(self._margin_key(flow, entity, pending), bytes(data))

    def promote_margin(self, flow: str, entity: str, pending: str) -> None:
        data = self._bytes(self._margin_key(flow, entity, pending))
        if data is not None:
            self._put(self._margin_key(flow, entity, None), data)
        self._drop_pending_margins(flow, entity)

    def clear_margin(self, flow: str, entity: str) -> None:
        self._delete(self._margin_key(flow, entity, None))
        self._drop_pending_margins(flow, entity)

    def _drop_pending_margins(self, flow: str, entity: str) -> None:
        for key, _ in self._keys(self._pending_folder(flow, entity)):
            if key.endswith(".parquet"):
                self._delete(key)

    # -- checkpoints -------------------------------------------------------------------------

    def load_checkpoint(self, flow: str, entity: str) -> dict[str, JsonValue] | None:
        key = self._key("checkpoints", flow, entity)
        found = self._read(key)
        return None if found is None else self._checkpoint(key, found.data, flow, entity)

    def save_checkpoint(
        self, flow: str, entity: str, checkpoint: dict[str, JsonValue], *, synced: bool = True
    ) -> None:
        # `synced` is for disks: a finished blob write is durable either way.
        data = _checkpoint_bytes(flow, entity, checkpoint)
        self._put(self._key("checkpoints", flow, entity), data)

    def replace_checkpoint(
        self, flow: str, entity: str, checkpoint: dict[str, JsonValue], expected_generation: int
    ) -> bool:
        """Compare-and-swap: `If-Match` on the ETag read with the stored checkpoint."""
        data = _checkpoint_bytes(flow, entity, checkpoint)
        key = self._key("checkpoints", flow, entity)
        found = self._read(key)
        if found is None:
            return False
        stored = self._checkpoint(key, found.data, flow, entity)
        if stored.get("generation", 0) != expected_generation:
            return False
        return self._put_if(key, data, found.etag)

    def clear_checkpoint(self, flow: str, entity: str, *, synced: bool = True) -> None:
        # `synced` is for disks: a finished blob delete is durable either way.
        self._delete(self._key("checkpoints", flow, entity))

    def list_checkpoints(self) -> dict[str, dict[str, JsonValue]]:
        found: dict[str, dict[str, JsonValue]] = {}
        for flow, entity in self._entries("checkpoints"):
            checkpoint = self.load_checkpoint(flow, entity)
            if checkpoint is not None:
                found[f"{flow}.{entity}"] = checkpoint
        return found

    def _checkpoint(self, key: str, raw: bytes, flow: str, entity: str) -> dict[str, JsonValue]:
        try:
            return _CHECKPOINT.validate_json(raw)
        except ValidationError as error:
            raise self._corrupt(key, error, reload_advice(flow, entity)) from error

    # -- locks: blob leases ------------------------------------------------------------------

    def lock_key(self, flow: str, entity: str) -> str:
        return self._key("locks", flow, entity)

    def _lease(self, key: str, owner: str | None) -> Any:
        from azure.storage.blob import BlobLeaseClient

        return BlobLeaseClient(self._blob(key), lease_id=None if owner is None else lease_id(owner))

    def _try_lease(self, key: str, action: str, call: Callable[[], object]) -> bool:
        """Run a lease operation; False when the service says another lease (or none) is
        there, or the blob is gone; other failures raise."""
        try:
            call()
        except Exception as error:
            if _code(error) in _LEASE_LOST or self.storage._is_missing_blob(error):
                return False
            self._fail(error, action, key)
        return True

    def _acquire(self, key: str, owner: str) -> bool:
        lease = self._lease(key, owner)
        return self._try_lease(
            key, "lease", lambda: lease.acquire(lease_duration=self.lease_seconds)
        )

    def _break(self, key: str, etag: str | None) -> bool:
        """Break the lease now; with `etag`, only if the blob is still that version."""
        from azure.core import MatchConditions

        lease = self._lease(key, None)
        conditions: dict[str, Any] = (
            {} if etag is None else {"etag": etag, "match_condition": MatchConditions.IfNotModified}
        )
        return self._try_lease(
            key, "break the lease of", lambda: lease.break_lease(lease_break_period=0, **conditions)
        )

    def _write_lock(self, key: str, owner: str, acquired_at: Any) -> LockInfo | None:
        """Record `owner` as the holder, under its lease; None when the lease was lost."""
        now = as_utc(self.clock())
        info = LockInfo(
            owner=owner, host=self.host, pid=self.pid, acquired_at=acquired_at, heartbeat_at=now
        )
        try:
            self._blob(key).upload_blob(
                info.model_dump_json(indent=2).encode(), overwrite=True, lease=_as_lease(owner)
            )
        except Exception as error:
            if _code(error) in _LEASE_LOST or self.storage._is_missing_blob(error):
                return None
            self._fail(error, "write", key)
        return info

    def _lock_info(self, key: str, found: _Read | None, flow: str, entity: str) -> LockInfo | None:
        if found is None or not found.data:
            return None  # no lock, or one being taken right now (created, not yet written)
        try:
            return LockInfo.model_validate_json(found.data)
        except ValidationError as error:
            raise StateError(
                f"lock blob {self.storage.describe(key)} of {flow}.{entity} is corrupt "
                f"({first_problem(error)}). If no run of {flow}.{entity} is active, remove it "
                f"with `hygge unlock --flow {flow} --entity {entity} --force`."
            ) from error

    def acquire_lock(self, flow: str, entity: str, owner: str) -> LockInfo:
        """Take the entity's lease, re-take it (the same owner), or take over a gone holder's."""
        key = self.lock_key(flow, entity)
        for attempt in range(20):
            now = as_utc(self.clock())
            found = self._read(key)
            held = self._lock_info(key, found, flow, entity)
            if found is None:
                self._put_if(key, b"", None)  # the blob a lease needs; another may create it
                continue
            if held is None or held.owner == owner:
                if not self._acquire(key, owner):
                    if held is None:  # being taken right now: let the winner write, look again
                        time.sleep(0.05 * (attempt + 1))
                    continue
                acquired_at = now if held is None else as_utc(held.acquired_at)
            else:
                reason = self._takeover_reason(held, found, now)
                if reason is None:
                    raise EntityLockedError(describe_holder(flow, entity, held, now))
                if found.leased:
                    self._break(key, found.etag)  # a holder that wrote since keeps its lease
                if not self._acquire(key, owner):
                    continue
                log_takeover(flow, entity, held, now, reason)
                acquired_at = now
            info = self._write_lock(key, owner, acquired_at)
            if info is not None:
                self._beats[(flow, entity, owner)] = info.heartbeat_at
                return info
        found = self._read(key)
        held = self._lock_info(key, found, flow, entity)
        if held is not None:
            raise EntityLockedError(describe_holder(flow, entity, held, as_utc(self.clock())))
        raise EntityLockedError(
            f"{flow}.{entity} is being locked by another run right now. Try again in a minute, "
            f"or see `hygge unlock --flow {flow} --entity {entity}`"
        )

    def _takeover_reason(self, held: LockInfo, found: _Read, now: Any) -> str | None:
        """Why `held` may be taken over, or None while its holder may be alive."""
        if found.leased:
            return stale_reason(
                held, now, host=self.host, stale_after=self.stale_after, alive=self._alive
            )
        if held.host == self.host and (self._alive or pid_alive)(held.pid):
            return None  # never a live process of this host, lease or not
        return f"its lease expired (not renewed for {self.lease_seconds}s)"

    def refresh_lock(self, flow: str, entity: str, owner: str) -> None:
        """Renew the lease (the fence: the service refuses a lost one) and move the heartbeat."""
        key = self.lock_key(flow, entity)
        lease = self._lease(key, owner)
        if not self._try_lease(key, "renew the lease of", lease.renew):
            found = self._read(key)
            held = self._lock_info(key, found, flow, entity)
            if held is None:
                raise lock_gone_error(flow, entity, owner)
            if held.owner != owner:
                raise taken_over_error(flow, entity, owner, held)
            # Still recorded as ours, the lease broken or lapsed and not taken: take it again.
            if not self._acquire(key, owner):
                raise taken_over_error(flow, entity, owner, held)
        last = self._beats.get((flow, entity, owner))
        now = as_utc(self.clock())
        if last is not None and timedelta(0) <= now - last < self.stale_after / FRESH_SHARE:
            return  # fenced by the renewal; this process moved the heartbeat moments ago
        held = self._lock_info(key, self._read(key), flow, entity)
        if held is None:
            raise lock_gone_error(flow, entity, owner)
        if held.owner != owner:
            raise taken_over_error(flow, entity, owner, held)
        info = self._write_lock(key, owner, as_utc(held.acquired_at))
        if info is None:
            raise lock_gone_error(flow, entity, owner)
        self._beats[(flow, entity, owner)] = info.heartbeat_at

    def release_lock(self, flow: str, entity: str, owner: str) -> None:
        """Delete the lock blob under `owner`'s lease; another holder's lock stays."""
        key = self.lock_key(flow, entity)
        self._beats.pop((flow, entity, owner), None)
        held = self._lock_info(key, self._read(key), flow, entity)
        if held is None:
            return
        if held.owner != owner:
            log.warning(
                "not releasing the lock of %s.%s: it is held by run %s, not by run %s",
                flow,
                entity,
                held.owner,
                owner,
            )
            return
        mine = lease_id(owner)
        blob = self._blob(key)
        deleted = self._try_lease(key, "release", lambda: blob.delete_blob(lease=mine))
        # A lapsed lease: take it back (only if nobody else did) to delete under it.
        if not deleted and self._acquire(key, owner):
            self._delete(key, lease=mine)

    def get_lock(self, flow: str, entity: str) -> LockInfo | None:
        key = self.lock_key(flow, entity)
        return self._lock_info(key, self._read(key), flow, entity)

    def remove_lock(
        self, flow: str, entity: str, *, force: bool = False, holder: str | None = None
    ) -> LockInfo | None:
        """`hygge unlock`: break the lease and delete the lock blob once its holder is gone."""
        key = self.lock_key(flow, entity)
        found = self._read(key)
        try:
            held = self._lock_info(key, found, flow, entity)
        except StateError:
            if not force:
                raise
            held = None
        if found is None or (held is None and not force):
            return None
        if held is not None:
            refuse_unlock(
                held,
                as_utc(self.clock()),
                holder=holder,
                flow=flow,
                entity=entity,
                host=self.host,
                stale_after=self.stale_after,
                force=force,
                alive=self._alive,
            )
        from azure.core import MatchConditions

        self._break(key, None)
        try:
            self._blob(key).delete_blob(
                etag=found.etag, match_condition=MatchConditions.IfNotModified
            )
        except Exception as error:
            if self.storage._is_missing_blob(error):
                return held
            if _code(error) == "ConditionNotMet" or _status(error) == 412:
                raise EntityLockedError(
                    f"the lock of {flow}.{entity} changed hands meanwhile. Nothing was "
                    f"removed; look again with `hygge unlock --flow {flow} --entity {entity}`."
                ) from None
            self._fail(error, "delete", key)
        return held

    def list_locks(self) -> dict[str, LockInfo]:
        found: dict[str, LockInfo] = {}
        for flow, entity in self._entries("locks"):
            info = self.get_lock(flow, entity)
            if info is not None:
                found[f"{flow}.{entity}"] = info
        return found

    # -- the journal: one parquet blob per event ---------------------------------------------

    def append_journal(self, row: JournalRow) -> None:
        folder = f"journal/{check_name(row.flow, 'flow')}/{check_name(row.entity, 'entity')}"
        self._put_if(f"{folder}/{journal_file_name(row)}", journal_parquet(row), None)

    def _journal_keys(self, flows: Sequence[str], entities: Sequence[str]) -> list[str]:
        selected: list[str] = []
        for key, _ in self._keys("journal"):
            parts = key.split("/")
            if len(parts) != 4 or not parts[3].endswith(".parquet"):
                continue
            flow, entity = parts[1], parts[2]
            if flows and flow not in flows:
                continue
            if entities and f"{flow}.{entity}" not in entities and entity not in entities:
                continue
            selected.append(key)
        return selected

    def _journal_frames(self, keys: Sequence[str]) -> Iterator[tuple[str, pl.DataFrame | str]]:
        """(key, frame) per journal blob, or (key, why it cannot be read)."""

        def one(key: str) -> tuple[str, pl.DataFrame | str]:
            data = self._bytes(key)
            if data is None:
                return key, "removed while it was read"
            try:
                frame = pl.scan_parquet(
                    io.BytesIO(data),
                    schema=JOURNAL_SCHEMA,
                    missing_columns="insert",
                    extra_columns="ignore",
                ).collect()
            except (pl.exceptions.PolarsError, OSError) as error:
                text = " ".join(str(error).split())
                return key, text[:200] or type(error).__name__
            return key, frame.with_columns(pl.lit(key).alias(FILE_COLUMN))

        if not keys:
            return iter(())
        with ThreadPoolExecutor(max_workers=min(READ_THREADS, len(keys))) as pool:
            return iter(list(pool.map(one, keys)))

    def read_journal(
        self, flows: Sequence[str] = (), entities: Sequence[str] = (), limit: int | None = None
    ) -> list[JournalRow]:
        frames: list[pl.DataFrame] = []
        for key, frame in self._journal_frames(self._journal_keys(flows, entities)):
            if isinstance(frame, str):
                raise StateError(
                    f"journal blob {self.storage.describe(key)} cannot be read as a journal "
                    f"row ({frame}). Move it out of {self.journal_location()} (rows in other "
                    "blobs are unaffected)."
                )
            frames.append(frame)
        return select_rows(pl.concat(frames), flows, entities, limit) if frames else []

    def read_readable_journal(
        self, flows: Sequence[str] = (), entities: Sequence[str] = (), limit: int | None = None
    ) -> JournalRead:
        frames: list[pl.DataFrame] = []
        skipped: list[tuple[str, str]] = []
        for key, frame in self._journal_frames(self._journal_keys(flows, entities)):
            if isinstance(frame, str):
                skipped.append((self.storage.describe(key), frame))
            else:
                frames.append(frame)
        rows = select_rows(pl.concat(frames), flows, entities, limit) if frames else []
        return JournalRead(rows, skipped)

    def journal_names(self) -> list[str]:
        names = {
            f"{parts[1]}.{parts[2]}"
            for key, _ in self._keys("journal")
            if len(parts := key.split("/")) == 4
        }
        return sorted(names)

    def journal_glob(self) -> str:
        """Every journal blob, as `pl.scan_parquet` or DuckDB's `read_parquet` name them."""
        return f"az://{self.storage.container}/{self._full('journal')}/**/*.parquet"

    # -- describing --------------------------------------------------------------------------

    def _full(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def stored_entities(self, kind: StateKind) -> list[tuple[str, str]]:
        return self._entries(kind)

    def location(self) -> str:
        return self.storage.label

    def location_of(self, kind: StateKind, flow: str, entity: str) -> str:
        return self.storage.describe(self._key(kind, flow, entity))

    def journal_location(self) -> str:
        return self.storage.describe("journal")

    def writable_problem(self) -> str | None:
        """None when a blob can be written (and deleted) under the prefix."""
        key = f".hygge-probe-{uuid.uuid4().hex[:12]}"
        try:
            self._put(key, b"")
            self._delete(key)
        except HyggeError as error:
            return f"state {self.location()} is not writable: {error}"
        return None

    # -- the owner record --------------------------------------------------------------------

    def state_owner(self) -> StateOwner | None:
        raw = self._bytes("owner.json")
        if raw is None:
            return None
        try:
            return StateOwner.model_validate_json(raw)
        except ValidationError as error:
            raise StateError(
                f"state blob {self.storage.describe('owner.json')} is corrupt "
                f"({first_problem(error)}); it records which workspace the state belongs to. "
                "Run `hygge adopt-state` in the workspace that owns this state to record it "
                "again."
            ) from error

    def set_state_owner(self, owner: StateOwner) -> None:
        self._put("owner.json", owner.model_dump_json(indent=2).encode())

    def claim_state_owner(self, owner: StateOwner) -> StateOwner:
        self._put_if("owner.json", owner.model_dump_json(indent=2).encode(), None)
        stored = self.state_owner()
        return owner if stored is None else stored

    # -- errors ------------------------------------------------------------------------------

    def _corrupt(self, key: str, error: ValidationError, fix: str) -> StateError:
        return StateError(
            f"state blob {self.storage.describe(key)} is corrupt ({first_problem(error)}); it "
            f"was edited by hand or damaged. {fix}."
        )


def _checkpoint_bytes(flow: str, entity: str, checkpoint: dict[str, JsonValue]) -> bytes:
    try:
        return json.dumps(checkpoint, separators=(",", ":"), allow_nan=False).encode()
    except (TypeError, ValueError) as error:
        raise StateError(
            f"the checkpoint of {flow}.{entity} is not plain JSON ({error}); "
            "this is a bug in hygge, please report it."
        ) from error


def _as_lease(owner: str) -> Any:
    """`owner`'s lease id where the SDK's types ask for a lease client (it takes either)."""
    return lease_id(owner)


def _code(error: Exception) -> str | None:
    code = getattr(error, "error_code", None)
    if code is None:
        response = getattr(error, "response", None)
        headers = getattr(response, "headers", None) or {}
        code = headers.get("x-ms-error-code")
    if code is None:
        return None
    return str(getattr(code, "value", code))


def _status(error: Exception) -> int | None:
    status = getattr(error, "status_code", None)
    return int(status) if status is not None else None
