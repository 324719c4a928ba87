"""A transactional store for tests: SQLite (stdlib sqlite3), staging table, one-transaction publish.

Each batch is staged as a row of `staged` (the batch as parquet bytes, so every polars type
round-trips). `publish` runs one transaction: replace (full_drop) or extend (incremental) the
entity's rows in `published`, record its owner, write the `CommitRecord` — watermark included —
as the entity's row in `commits`, and drop the staging. Readers (other connections) see the
entity before or after a publish, never in between: `transactional` and `atomic_visibility`
for both run types are true. It stands for the SQL stores to come (DESIGN.md §6).

    config = SqliteStoreConfig(path="lake.sqlite")   # relative to the workspace root
    task = task.model_copy(update={"store": config})  # not in StoreConfigUnion: tests only
"""

from __future__ import annotations

import contextlib
import io
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar, Literal

import polars as pl

from hygge.errors import ConfigError, StateError, StoreOwnershipError
from hygge.faults import fault_point
from hygge.stores.base import CommitRecord, Staging, StoreCapabilities, StoreConfig
from hygge.types import Place, RunType

_TABLES = (
    "CREATE TABLE IF NOT EXISTS stagings (location TEXT PRIMARY KEY)",
    "CREATE TABLE IF NOT EXISTS staged (location TEXT, name TEXT, data BLOB, "
    "PRIMARY KEY (location, name))",
    "CREATE TABLE IF NOT EXISTS published (entity TEXT, run_id TEXT, name TEXT, data BLOB)",
    "CREATE TABLE IF NOT EXISTS owners (entity TEXT PRIMARY KEY, workspace TEXT)",
    "CREATE TABLE IF NOT EXISTS commits (entity TEXT PRIMARY KEY, record TEXT)",
    "CREATE TABLE IF NOT EXISTS runs (entity TEXT, run_id TEXT, PRIMARY KEY (entity, run_id))",
)
_RUN_TYPES = frozenset({RunType.FULL_DROP, RunType.INCREMENTAL})


@contextlib.contextmanager
def transaction(path: Path) -> Iterator[sqlite3.Connection]:
    """One transaction on the database at `path`: committed on success, rolled back on error."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        connection.execute("BEGIN IMMEDIATE")
        for statement in _TABLES:
            connection.execute(statement)
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
    finally:
        connection.close()


def read_entity(path: Path, entity: str) -> pl.DataFrame | None:
    """Everything published for `entity`, in publish order; None if nothing is."""
    if not path.exists():
        return None
    with transaction(path) as db:
        rows = db.execute(
            "SELECT data FROM published WHERE entity = ? ORDER BY rowid", (entity,)
        ).fetchall()
    frames = [pl.read_parquet(io.BytesIO(data)) for (data,) in rows]
    return pl.concat(frames) if frames else None


class SqliteStore:
    """One entity's rows in a SQLite database, published in one transaction."""

    def __init__(self, path: Path, place: Place) -> None:
        self.path = path
        self.entity = f"{place.flow}.{place.entity}"
        self.workspace = place.workspace

    def prepare(self, run_id: str, run_type: RunType) -> Staging:
        if run_type not in _RUN_TYPES:
            raise ConfigError(f"{self.describe()} cannot {run_type.value}")
        location = f"{self.entity}/{run_id}"
        with transaction(self.path) as db:
            self._refuse_foreign(db)
            db.execute("DELETE FROM staged WHERE location = ?", (location,))  # an old try's
            db.execute("INSERT OR REPLACE INTO stagings VALUES (?)", (location,))
        return Staging(run_id=run_id, run_type=run_type, location=location)

    def write(self, staging: Staging, batch: pl.DataFrame) -> Staging:
        buffer = io.BytesIO()
        batch.write_parquet(buffer)
        name = f"{staging.next_sequence:06d}"
        with transaction(self.path) as db:
            self._require_staging(db, staging)
            db.execute(
                "INSERT OR REPLACE INTO staged VALUES (?, ?, ?)",
                (staging.location, name, buffer.getvalue()),
            )
        return staging.model_copy(
            update={
                "artefacts": [*staging.artefacts, name],
                "next_sequence": staging.next_sequence + 1,
            }
        )

    def sync(self, staging: Staging) -> None:
        with transaction(self.path) as db:  # committed rows are durable already
            self._require_staging(db, staging)

    def discard_unlisted(self, staging: Staging) -> None:
        with transaction(self.path) as db:
            names = db.execute(
                "SELECT name FROM staged WHERE location = ?", (staging.location,)
            ).fetchall()
            for (name,) in names:
                if name not in staging.artefacts:
                    db.execute(
                        "DELETE FROM staged WHERE location = ? AND name = ?",
                        (staging.location, name),
                    )

    def missing_staged(self, staging: Staging) -> list[str]:
        with transaction(self.path) as db:
            rows = db.execute(
                "SELECT name FROM staged WHERE location = ?", (staging.location,)
            ).fetchall()
        present = {name for (name,) in rows}
        return [name for name in staging.artefacts if name not in present]

    def publish(self, staging: Staging, record: CommitRecord | None = None) -> None:
        """Data, owner, completion marker and watermark in one transaction."""
        record = record or CommitRecord.of(staging)
        with transaction(self.path) as db:
            if self._committed(db, staging.run_id):
                self._drop_staging(db, staging)
                return
            self._refuse_foreign(db)
            self._require_staging(db, staging)
            self._require_artefacts(db, staging)
            if staging.run_type is RunType.FULL_DROP:
                db.execute("DELETE FROM published WHERE entity = ?", (self.entity,))
            fault_point("during_publish")  # rolled back: readers never see this
            for name in staging.artefacts:
                db.execute(
                    "INSERT INTO published SELECT ?, ?, name, data FROM staged "
                    "WHERE location = ? AND name = ?",
                    (self.entity, staging.run_id, staging.location, name),
                )
            db.execute("INSERT OR IGNORE INTO owners VALUES (?, ?)", (self.entity, self.workspace))
            db.execute(
                "INSERT OR REPLACE INTO commits VALUES (?, ?)",
                (self.entity, record.model_dump_json()),
            )
            db.execute("INSERT INTO runs VALUES (?, ?)", (self.entity, staging.run_id))
            self._drop_staging(db, staging)

    def last_commit(self) -> CommitRecord | None:
        if not self.path.exists():
            return None
        with transaction(self.path) as db:
            row = db.execute(
                "SELECT record FROM commits WHERE entity = ?", (self.entity,)
            ).fetchone()
        return None if row is None else CommitRecord.model_validate_json(row[0])

    def abort(self, staging: Staging) -> None:
        with transaction(self.path) as db:
            self._drop_staging(db, staging)

    def check(self) -> list[str]:
        problem = self.ownership_problem()
        return [problem] if problem else []

    def full_drop_refusal(self) -> str | None:
        return None  # adopts no table

    def ownership_problem(self) -> str | None:
        if not self.path.exists():
            return None
        with transaction(self.path) as db:
            return self._foreign(db)

    def describe(self) -> str:
        return f"sqlite {self.path.name} {self.entity}"

    def identity(self) -> str:
        return f"sqlite {os.path.realpath(self.path)} {self.entity}"

    def _foreign(self, db: sqlite3.Connection) -> str | None:
        owned = db.execute("SELECT 1 FROM owners WHERE entity = ?", (self.entity,)).fetchone()
        rows = db.execute("SELECT 1 FROM published WHERE entity = ?", (self.entity,)).fetchone()
        if owned is None and rows is not None:
            return f"{self.path} holds rows of {self.entity} that hygge did not write"
        return None

    def _refuse_foreign(self, db: sqlite3.Connection) -> None:
        problem = self._foreign(db)
        if problem:
            raise StoreOwnershipError(problem)

    def _committed(self, db: sqlite3.Connection, run_id: str) -> bool:
        found = db.execute(
            "SELECT 1 FROM runs WHERE entity = ? AND run_id = ?", (self.entity, run_id)
        ).fetchone()
        return found is not None

    @staticmethod
    def _require_staging(db: sqlite3.Connection, staging: Staging) -> None:
        found = db.execute(
            "SELECT 1 FROM stagings WHERE location = ?", (staging.location,)
        ).fetchone()
        if found is None:
            raise StateError(f"staging {staging.location} is gone (aborted or published)")

    @staticmethod
    def _require_artefacts(db: sqlite3.Connection, staging: Staging) -> None:
        names = {
            name
            for (name,) in db.execute(
                "SELECT name FROM staged WHERE location = ?", (staging.location,)
            )
        }
        missing = [name for name in staging.artefacts if name not in names]
        if missing:
            raise StateError(f"staged batches {missing} of run {staging.run_id} are lost")

    @staticmethod
    def _drop_staging(db: sqlite3.Connection, staging: Staging) -> None:
        db.execute("DELETE FROM staged WHERE location = ?", (staging.location,))
        db.execute("DELETE FROM stagings WHERE location = ?", (staging.location,))


class SqliteStoreConfig(StoreConfig):
    """`SqliteStore` at `path` (relative to the workspace root); tests only."""

    type: Literal["sqlite_test"] = "sqlite_test"
    path: str = "lake.sqlite"

    capabilities: ClassVar[StoreCapabilities] = StoreCapabilities(
        run_types=_RUN_TYPES,
        transactional=True,
        atomic_visibility=_RUN_TYPES,
        preferred_batch_size=4,
    )

    def open(self, place: Place) -> SqliteStore:
        return SqliteStore(place.resolve(self.path), place)
