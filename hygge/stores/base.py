"""The store seam: where data goes, staged first and published atomically.

A store config (pydantic, `type` tag) builds a `Store` for one entity with `open(place)`.
A run's store work is described by a `Staging` record that lives in the checkpoint, so every
step can run in a fresh process (the local driver after a crash, or an Azure activity):

    prepare  -> Staging        make the staging area for this run
    write    -> Staging        stage one batch (an artefact: a file, a staging-table slice)
    sync                       make staged artefacts durable before a checkpoint lists them
    discard_unlisted           resume: drop artefacts of a chunk that never checkpointed
    missing_staged             before publish: listed artefacts that are gone (removed by hand)
    publish                    make staged data visible with its CommitRecord; a repeated
                               publish of a committed run is a no-op (`last_commit`)
    abort                      drop the staging area; the published data is untouched

A store replaces or appends only where it owns the place (`hygge.stores.ownership`): `prepare`
refuses a foreign place before anything is staged, and `ownership_problem` says why.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from hygge.records import Watermark
from hygge.types import JsonScalar, JsonValue, Place, RunType, Strict

if TYPE_CHECKING:
    from pathlib import Path

    import polars as pl

DEFAULT_BATCH_ROWS = 100_000  # rows per batch for a store that prefers no size


class StoreCapabilities(BaseModel):
    """What is true of a store, declared on its config class and checked at workspace load."""

    run_types: frozenset[RunType] = frozenset({RunType.FULL_DROP, RunType.INCREMENTAL})
    merge_strategies: frozenset[str] = frozenset()  # e.g. {"upsert"}; empty without merge
    # Data, completion marker and watermark commit in one transaction (SQL stores).
    transactional: bool = False
    # Per run type: readers never see part of a publish (a run type missing here: they may).
    atomic_visibility: frozenset[RunType] = frozenset({RunType.FULL_DROP})
    # Partitions of one run may stage in parallel: `write` advances `next_sequence` by
    # `sequence_step`, and `discard_unlisted` of a partition's staging keeps the others'.
    partitioned_staging: bool = False
    preferred_batch_size: int | None = None  # rows per batch the store writes best
    # Sinks a polars lazy frame into staging itself (`LazySink`): the engine's native path.
    lazy_sink: bool = False
    # Creates its table from the run's columns (`Staging.arrow_schema`) when a run staged no
    # row: the engine publishes a 0-row incremental/merge run too while the store has no
    # commit yet, so a first run of an empty source leaves the table, empty.
    empty_tables: bool = False

    def supports(self, run_type: RunType) -> bool:
        """True if the store can publish runs of `run_type`."""
        return run_type in self.run_types


class Staging(BaseModel):
    """A run's staging state, persisted in the checkpoint (JSON-ready, small)."""

    run_id: str
    run_type: RunType
    location: str  # staging folder / table
    artefacts: list[str] = Field(default_factory=list)  # staged files, in write order
    # The attempt that stages now (the engine sets it): staged names carry it.
    attempt_id: str | None = None
    next_sequence: int = 0  # next `{sequence}` for a file name
    # Partitions staging in parallel (`partitioned_staging`) each get a copy of the run's
    # staging with their own `partition`: partition i of n numbers its artefacts i, i+n, i+2n…
    # after the first, so names never collide; `discard_unlisted` of a copy touches only the
    # artefacts of its own partition (of its sequences) and leaves the others' in-flight ones.
    partition: str | None = None
    sequence_step: int = Field(1, ge=1)
    extra: dict[str, JsonValue] = Field(default_factory=dict)  # store-specific (e.g. inode)
    # The run's columns as the engine knows them (base64 Arrow IPC), set before the publish:
    # a store whose table takes its columns from the data creates it from these when a run
    # staged no row (a 0-row first full_drop).
    arrow_schema: str | None = None


class CommitRecord(BaseModel):
    """What a publish commits: the store keeps the last one as its completion marker."""

    run_id: str
    attempt_id: str | None = None
    run_type: RunType
    window_lower: JsonScalar = None
    window_upper: JsonScalar = None
    rows: int = 0
    watermark: Watermark | None = None  # the watermark this publish advances
    committed_at: datetime | None = None

    @classmethod
    def of(cls, staging: Staging) -> CommitRecord:
        """The least record of a staging (callers that know no window or watermark)."""
        return cls(run_id=staging.run_id, run_type=staging.run_type)


class Store(Protocol):
    """A store opened for one entity."""

    def prepare(self, run_id: str, run_type: RunType) -> Staging:
        """Create the staging area for a new run."""
        ...

    def write(self, staging: Staging, batch: pl.DataFrame) -> Staging:
        """Stage one batch; returns the staging record with the new artefact(s)."""
        ...

    def sync(self, staging: Staging) -> None:
        """Make the staged artefacts durable, before a checkpoint lists them."""
        ...

    def discard_unlisted(self, staging: Staging) -> None:
        """Remove staged artefacts not listed in `staging` (written after the last checkpoint);
        with `staging.partition` set, only artefacts of that partition's sequences."""
        ...

    def missing_staged(self, staging: Staging) -> list[str]:
        """The artefacts `staging` lists that the store no longer holds (removed by hand after
        a crash); [] when all are there. Asked before a publish begins."""
        ...

    def publish(self, staging: Staging, record: CommitRecord | None = None) -> None:
        """Make the staged data visible and leave `record` (default `CommitRecord.of(staging)`)
        as the store's completion marker, atomically with the data where the store can; a
        publish of the run `last_commit` names changes nothing."""
        ...

    def last_commit(self) -> CommitRecord | None:
        """The completion marker of the last published run; None if none (or never)."""
        ...

    def abort(self, staging: Staging) -> None:
        """Drop staged data; leave the published data exactly as it was."""
        ...

    def check(self) -> list[str]:
        """Problems a user must fix before a run (ownership_problem among them); [] if none."""
        ...

    def ownership_problem(self) -> str | None:
        """None if the store's place is missing, empty or this entity's (`stores.ownership`).

        Otherwise why a run (or a reset) must not touch it; `prepare` refuses the same.
        """
        ...

    def full_drop_refusal(self) -> str | None:
        """Why a full_drop would be refused now though the place is this entity's: a table it
        adopted (`if_exists: append`) holds rows hygge did not write (`stores.adopted_tables`).
        None when a full_drop may replace it (the stores that adopt no tables: always)."""
        ...

    def describe(self) -> str:
        """A short human label, e.g. `parquet lake/orders`."""
        ...

    def identity(self) -> str:
        """What this store writes to, the same however the config spells it, e.g.
        `local parquet ./lake/orders` (a SQL store: server, database, table). State records it
        with every watermark and checkpoint; a different identity means a different store.
        """
        ...


@runtime_checkable
class LazySink(Protocol):
    """What a store that declares `lazy_sink` offers: staging a whole chunk given as a polars
    lazy frame, written by polars' streaming engine."""

    def sinks(self) -> bool:
        """Whether this store, as configured, can sink (else the engine writes batches)."""
        ...

    def sink(
        self,
        staging: Staging,
        frame: pl.LazyFrame,
        on_file: Callable[[int], None],
        *,
        chunk_rows: int | None = None,
    ) -> Staging:
        """Stage `frame` (a chunk of at most about `chunk_rows` rows; None: not bounded) as
        artefacts, calling `on_file(rows)` after each is staged; returns the staging with
        them listed. A store may write a bounded chunk as one artefact when the user set no
        rows per artefact (`batch_size`); else each holds at most `rows_per_batch` rows."""
        ...


class StoreConfig(Strict):
    """Base of every store config; subclasses set `type` to their YAML tag."""

    capabilities: ClassVar[StoreCapabilities] = StoreCapabilities()
    # File homes/stores set this: each entity is a sub-folder of the flow's `path`.
    entity_subfolder: ClassVar[bool] = False
    # Fields where `{entity}` is replaced by the entity's name when the workspace loads (SQL
    # configs: `table`, `query`); `{entity}` in any other field is a ConfigError.
    entity_fields: ClassVar[tuple[str, ...]] = ()
    # Fields that are patterns of their own, filled when data is written (`file_pattern`).
    pattern_fields: ClassVar[tuple[str, ...]] = ()
    # Its files are in object storage named by the config itself (an account, not a local
    # folder or a `connection:`): the workspace's local folder checks do not apply.
    on_object_storage: ClassVar[bool] = False

    connection: str | None = Field(
        None, description="A name from hygge.yml `connections:` (default: the local machine)."
    )
    batch_size: int | None = Field(
        None, ge=1, description="Rows per batch written (default: what the store writes best)."
    )

    @classmethod
    def default_path(cls, settings: Mapping[str, Any]) -> str | None:
        """The path (with `{entity}`) of a store block that gives none; None: it needs one."""
        return None

    def table_key(self, root: Path, entity: str) -> str | None:
        """The table an entity's store writes, as the database names it (case folded where
        its names ignore case), so two entities writing one table are refused at load;
        None when the store writes no table or cannot tell before it opens."""
        return None

    def local_table_folder(self, root: Path, entity: str) -> Path | None:
        """The local folder an entity's table is, for a store that is not an entity
        sub-folder of its `path` but still writes a folder on this machine (so it meets the
        workspace's folder checks); None for the others."""
        return None

    def rows_per_batch(self) -> int:
        """`batch_size` if set; else the store's `preferred_batch_size`; else 100,000."""
        return self.batch_size or self.capabilities.preferred_batch_size or DEFAULT_BATCH_ROWS

    @abstractmethod
    def open(self, place: Place) -> Store:
        """Build the store for one entity."""


def lost_staging_advice(place: Place) -> str:
    """The way out of a publish whose staged batches are gone (it can never succeed)."""
    flow, entity = place.flow, place.entity
    return (
        f"nothing of the run can be published: `hygge reset -f {flow} -e {entity}` drops it, "
        f"then `hygge go --full-drop -e {flow}.{entity}` reloads the entity in full"
    )
