"""Entity locks of the blob state as blob leases (`hygge.state.blob` says how)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from hygge.errors import EntityLockedError, StateError
from hygge.state.advice import first_problem
from hygge.state.base import LockInfo
from hygge.state.blob.objects import (
    LEASE_LOST,
    LEASE_NAMESPACE,
    BlobObjects,
    BlobRead,
    error_code,
    error_status,
)
from hygge.state.clock import as_utc
from hygge.state.lock import FRESH_SHARE, lock_gone_error, log_takeover, taken_over_error
from hygge.state.lock_rules import (
    describe_holder,
    pid_alive,
    refuse_unlock,
    stale_reason,
)
from hygge.storage.blob_errors import is_missing_blob

log = logging.getLogger(__name__)


def lease_id(owner: str) -> str:
    """The lease id of `owner`'s locks: the same in every process of one attempt."""
    return str(uuid.uuid5(LEASE_NAMESPACE, owner))


class BlobLeases(BlobObjects):
    """Acquire, renew, release and take over entity locks."""

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
            if error_code(error) in LEASE_LOST or is_missing_blob(error):
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
            if error_code(error) in LEASE_LOST or is_missing_blob(error):
                return None
            self._fail(error, "write", key)
        return info

    def _lock_info(
        self, key: str, found: BlobRead | None, flow: str, entity: str
    ) -> LockInfo | None:
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

    def _takeover_reason(self, held: LockInfo, found: BlobRead, now: Any) -> str | None:
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
            if is_missing_blob(error):
                return held
            if error_code(error) == "ConditionNotMet" or error_status(error) == 412:
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


def _as_lease(owner: str) -> Any:
    """`owner`'s lease id where the SDK's types ask for a lease client (it takes either)."""
    return lease_id(owner)
