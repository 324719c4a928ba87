"""A delta store's commits: the app transaction that makes a publish idempotent, and the
CommitRecord (watermark included) that travels in the same Delta commit.

Each entity has an app id (`hygge:<workspace>/<flow>/<entity>`). A run takes the next
version of it when it is prepared; its publish commits data, the app transaction
`(app id, version)` and the CommitRecord (in the commit's `commitInfo`) at once. A publish
repeated after a crash finds the table's version of the app id at (or past) its own and
commits nothing. Delta's commit protocol orders concurrent writers: a commit that loses a
conflict is retried here a few times, then reported as a RetryableError.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from hygge.errors import (
    ConfigError,
    DataError,
    HyggeError,
    MissingDependencyError,
    RetryableError,
    StateError,
)
from hygge.stores.base import CommitRecord
from hygge.stores.ownership import StoreOwner
from hygge.types import RunType

if TYPE_CHECKING:
    from deltalake import CommitProperties, DeltaTable

    from hygge.stores.delta.location import DeltaLocation

RECORD_KEY = "hygge.commit"  # the commitInfo key holding the CommitRecord
CONFLICT_ATTEMPTS = 4
_HISTORY_STEP = 64  # commits read back at a time when looking for the last record
log = logging.getLogger(__name__)


def deltalake() -> Any:
    """The deltalake module; MissingDependencyError naming the extra when absent."""
    try:
        import deltalake as module
    except ImportError as error:
        raise MissingDependencyError("deltalake", "delta") from error
    return module


def app_id(owner: StoreOwner) -> str:
    return f"hygge:{owner.workspace}/{owner.flow}/{owner.entity}"


def open_table(location: DeltaLocation) -> DeltaTable | None:
    """The table at `location`, or None when there is none yet."""
    module = deltalake()
    try:
        return module.DeltaTable(location.uri, storage_options=location.storage_options)  # type: ignore[no-any-return]
    except module.exceptions.TableNotFoundError:
        return None
    except OSError as error:
        raise RetryableError(f"Delta table {location.label} cannot be read: {error}") from error


def refuse_unwritable(table: DeltaTable | None, run_type: RunType, label: str) -> None:
    """ConfigError, before any data moves, for a table this run cannot write: one with column
    mapping (delta-rs 1.6.6 writes none), or an append-only one (`delta.appendOnly`) that a
    full_drop would have to remove files from."""
    if table is None:
        return
    settings = table.metadata().configuration
    mapping = settings.get("delta.columnMapping.mode", "none")
    if mapping != "none":
        raise ConfigError(
            f"Delta table {label} uses column mapping (delta.columnMapping.mode = {mapping}), "
            "which delta-rs, hygge's Delta writer, cannot write; hygge wrote nothing",
            hint="point the store at another table, or have the tool that made this one "
            "rewrite it without column mapping",
        )
    if run_type is RunType.FULL_DROP and settings.get("delta.appendOnly", "").lower() == "true":
        raise ConfigError(
            f"Delta table {label} is append-only (delta.appendOnly = true): a full_drop would "
            "remove its rows, which the table refuses; hygge wrote nothing",
            hint="use run_type incremental for this entity, or unset delta.appendOnly",
        )


def committed_version(table: DeltaTable | None, app: str) -> int:
    """The last version of `app` the table holds (0: none)."""
    if table is None:
        return 0
    return int(table.transaction_version(app) or 0)


def properties(app: str, version: int, record: CommitRecord) -> CommitProperties:
    """Commit properties carrying the app transaction and the record."""
    module = deltalake()
    return module.CommitProperties(  # type: ignore[no-any-return]
        custom_metadata={RECORD_KEY: record.model_dump_json()},
        app_transactions=[module.Transaction(app_id=app, version=version)],
        max_commit_retries=CONFLICT_ATTEMPTS,
    )


def last_record(table: DeltaTable | None, label: str) -> CommitRecord | None:
    """The CommitRecord of the table's newest hygge commit; None if it has none."""
    if table is None:
        return None
    limit = _HISTORY_STEP
    while True:
        history = table.history(limit)
        for entry in history:  # newest first
            text = entry.get(RECORD_KEY)
            if isinstance(text, str):
                return _parse(text, label, entry.get("version"))
        if len(history) < limit:
            return None
        limit *= 4


def _parse(text: str, label: str, version: object) -> CommitRecord:
    try:
        return CommitRecord.model_validate(json.loads(text))
    except (ValueError, ValidationError) as error:
        raise StateError(
            f"Delta table {label}: commit {version} carries a `{RECORD_KEY}` hygge cannot "
            f"read ({error}); was the table written by another tool under hygge's name?"
        ) from error


def commit_with_retries(label: str, commit: Callable[[], None], done: Callable[[], bool]) -> None:
    """Run `commit` until it lands; after a conflict, `done()` says whether it landed anyway
    (the app transaction is in the table). RetryableError after CONFLICT_ATTEMPTS."""
    module = deltalake()
    last: Exception | None = None
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        try:
            commit()
            return
        except module.exceptions.CommitFailedError as error:
            if "append-only" in str(error):  # a refusal no retry changes (a merge's update)
                raise DataError(
                    f"Delta table {label} is append-only (delta.appendOnly = true) and this "
                    f"run would change or remove rows ({error}); nothing of this run was "
                    "committed. Use run_type incremental, or unset delta.appendOnly"
                ) from error
            last = error
            log.warning("Delta table %s: commit conflict (attempt %d): %s", label, attempt, error)
            if done():
                return
        except module.exceptions.SchemaMismatchError as error:
            raise DataError(f"Delta table {label}: the run's data does not fit: {error}") from error
        except OSError as error:  # storage unreachable, throttled, timed out
            raise RetryableError(
                f"Delta table {label}: storage failed during the commit ({error}); nothing of "
                "this run was committed unless the next attempt finds it committed"
            ) from error
        except module.exceptions.DeltaError as error:
            raise HyggeError(
                f"Delta table {label}: delta-rs refused the commit ({error}); nothing of this "
                "run was committed"
            ) from error
    raise RetryableError(
        f"Delta table {label}: another writer committed to the table {CONFLICT_ATTEMPTS} times "
        f"while this publish tried to ({last}); nothing of this run was committed. Run again "
        "(the step is safe to retry), or stop the other writer"
    ) from last
