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

from hygge.state.blob.backend import BlobStateBackend
from hygge.state.blob.leases import lease_id
from hygge.state.blob.objects import LEASE_SECONDS, MIN_LEASE_SECONDS

__all__ = ["LEASE_SECONDS", "MIN_LEASE_SECONDS", "BlobStateBackend", "lease_id"]
