"""The requests under the blob state: one blob per value, read with its ETag and lease
state, put whole or only over a version (`hygge.state.blob` says why)."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from pydantic import ValidationError

from hygge.errors import StateError
from hygge.state.advice import first_problem
from hygge.state.clock import Clock, utc_now
from hygge.state.layout import check_name
from hygge.state.lock_rules import (
    DEFAULT_STALE_AFTER,
    PidAlive,
)
from hygge.storage.blob import BlobStorage
from hygge.storage.blob_errors import is_missing_blob

if TYPE_CHECKING:
    from azure.storage.blob import BlobClient, ContainerClient


LEASE_NAMESPACE = uuid.UUID("5d1f0c39-3b0e-4c4b-9a55-6b1f0d2a8e11")  # lease ids of hygge locks
LEASE_SECONDS = 60  # the longest finite lease Azure grants
MIN_LEASE_SECONDS = 15  # the shortest
_SUFFIX: dict[str, str] = {
    "watermarks": ".json",
    "checkpoints": ".json",
    "locks": ".lock",
    "margins": ".parquet",
    "resets": ".json",
}
# Service codes that say a lease operation found another lease, or none (409 / 412).
LEASE_LOST = frozenset(
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


@dataclass(frozen=True)
class BlobRead:
    """A blob's bytes with the ETag and lease state read with them in one request."""

    data: bytes
    etag: str
    leased: bool  # an active lease (held or breaking) right now


class BlobObjects:
    """The state's blobs under `prefix` in the container of `client`, and its errors."""

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

    def _read(self, key: str) -> BlobRead | None:
        """The blob's bytes, ETag and lease state; None when there is no such blob."""
        try:
            download = self._blob(key).download_blob(max_concurrency=1)
            data = download.readall()
        except Exception as error:
            if is_missing_blob(error):
                return None
            self._fail(error, "read", key)
        properties = download.properties
        leased = str(getattr(properties.lease, "state", "")) in ("leased", "breaking")
        return BlobRead(bytes(data), str(properties.etag), leased)

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
        another writer got there first.

        A refused put whose blob now holds exactly `data` is this write: the SDK retries a
        request whose response was lost, and the retry is refused by the write it repeats.
        (Another writer's identical bytes leave the state as this write wanted it, too.)
        """
        from azure.core import MatchConditions

        conditions: dict[str, Any] = (
            {"match_condition": MatchConditions.IfMissing}
            if etag is None
            else {"etag": etag, "match_condition": MatchConditions.IfNotModified}
        )
        try:
            self._blob(key).upload_blob(data, overwrite=True, **conditions)
        except Exception as error:
            if error_code(error) in ("ConditionNotMet", "BlobAlreadyExists"):
                return self._bytes(key) == data
            self._fail(error, "write", key)
        return True

    def _delete(self, key: str, **options: Any) -> bool:
        try:
            self._blob(key).delete_blob(**options)
        except Exception as error:
            if is_missing_blob(error):
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

    # -- errors ------------------------------------------------------------------------------

    def _corrupt(self, key: str, error: ValidationError, fix: str) -> StateError:
        return StateError(
            f"state blob {self.storage.describe(key)} is corrupt ({first_problem(error)}); it "
            f"was edited by hand or damaged. {fix}."
        )


def error_code(error: Exception) -> str | None:
    code = getattr(error, "error_code", None)
    if code is None:
        response = getattr(error, "response", None)
        headers = getattr(response, "headers", None) or {}
        code = headers.get("x-ms-error-code")
    if code is None:
        return None
    return str(getattr(code, "value", code))


def error_status(error: Exception) -> int | None:
    status = getattr(error, "status_code", None)
    return int(status) if status is not None else None
