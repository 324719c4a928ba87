"""The engine's small, JSON-serialisable models: what to move, how far it got, how it ended.

They cross process boundaries unchanged: the local runner keeps them in memory and persists
checkpoints in `.hygge/`; the Azure driver passes them between activities.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from hygge.config.watermark import WatermarkConfig
from hygge.connections import ConnectionConfigUnion
from hygge.errors import StateError
from hygge.homes import DEFAULT_PARTITION, FilePosition, HomeConfigUnion, Position, Window
from hygge.polish.config import PolishConfig
from hygge.state.base import FileRecord
from hygge.stores import Staging, StoreConfigUnion
from hygge.types import JsonScalar, Place, RunStatus, RunType


class EntityTask(BaseModel):
    """One entity of one run, fully resolved: everything a step needs besides state.

    Its validator (every home, store and connection kind) is built when a task is first
    validated or serialised (a Functions payload), not at import: `plan_run` makes tasks from
    an already validated workspace without validating them again.
    """

    model_config = ConfigDict(defer_build=True)

    coordinator: str
    coordinator_run_id: str
    flow_run_id: str
    flow: str
    entity: str
    run_type: RunType
    merge_strategy: str | None = None  # a merge run's strategy, checked at workspace load
    home: HomeConfigUnion
    store: StoreConfigUnion
    watermark: WatermarkConfig | None = None
    key_columns: list[str] = Field(default_factory=list)  # row identity (merge, lookback)
    # The connections the home and store name; secrets stay `${VAR}` references, resolved
    # from the environment when the home/store opens (`hygge.connections.resolve_secret`).
    connections: dict[str, ConnectionConfigUnion] = Field(default_factory=dict)
    polish: PolishConfig | None = None
    queue_size: int = 4
    parallel: int = 1  # partitions of the window, moved at once where home and store can
    root: str
    on_interrupted: Literal["resume", "restart"] = "resume"
    origins: dict[str, tuple[str, int | None]] = Field(default_factory=dict)  # key -> file, line

    @property
    def qualified_name(self) -> str:
        return f"{self.flow}.{self.entity}"

    @property
    def place(self) -> Place:
        return Place(
            root=Path(self.root),
            flow=self.flow,
            entity=self.entity,
            workspace=self.coordinator,
            connections=self.connections,
        )


class PartitionProgress(BaseModel):
    """How far one partition of a run's window got; partitions move on their own."""

    id: str = DEFAULT_PARTITION
    position: Position = Field(default_factory=FilePosition)
    rows: int = 0  # rows staged from this partition
    chunks: int = 0
    done: bool = False
    # Its own artefacts when partitions stage in parallel (`partitioned_staging`); None: the
    # partitions move one after another into the run's `Checkpoint.staging`.
    staging: Staging | None = None


class Checkpoint(BaseModel):
    """How far an entity run got; persisted after every chunk so a new process can go on."""

    entity_run_id: str
    flow: str
    entity: str
    run_type: RunType
    started_at: datetime
    window: Window
    # One entry per partition of the window (one for most homes); the run commits once, when
    # every partition is done. Older checkpoints' `position` loads as the one partition.
    partitions: list[PartitionProgress] = Field(default_factory=lambda: [PartitionProgress()])
    staging: Staging
    rows: int = 0
    chunks: int = 0
    arrow_schema: str | None = None  # base64 Arrow IPC schema of the first staged batch
    candidate_watermark: JsonScalar = None
    watermark_type: str | None = None
    watermark_column: str | None = None  # the column this run filters and tracks
    done: bool = False
    phase: Literal["moving", "publishing", "published", "journaled"] = "moving"
    resumed: int = 0
    # The lock owner of this attempt (changes on resume); older checkpoints call it lock_owner.
    attempt_id: str = Field(validation_alias=AliasChoices("attempt_id", "lock_owner"))
    generation: int = 0  # incremented by every save: a stale copy has a lower one
    loaded_files: list[str] | None = None  # an older hygge's list of every file: ignored
    # File homes: the records of the window's files (and touched ones), with the rows read so
    # far; the commit writes them to the state's file ledger. None: not a file window.
    file_records: list[FileRecord] | None = None
    finished_at: datetime | None = None  # set with the journal row, for a repeated commit
    saved_at: datetime | None = None  # when this checkpoint was last persisted
    paused_seconds: float = 0.0  # downtime between an attempt's last checkpoint and a resume
    notes: list[str] = Field(default_factory=list)  # said in the journal row of a success
    # The first run after `hygge reset`: it publishes as a full_drop (`Staging.run_type`) and
    # its publish clears the reset's `full_drop_next` (`engine.after_reset`).
    after_reset: bool = False
    # What the run reads and stages into (`Home.identity()`, `Store.identity()`): a resume
    # goes on only in the same ones. None: a checkpoint of an older hygge.
    home_identity: str | None = None
    store_identity: str | None = None
    rows_read: int = 0  # rows the home gave, before the watermark filtered them
    late_rows: int = 0  # rows of new files at or below the watermark, dropped (late_rows: drop)
    late_files: list[str] = Field(default_factory=list)  # the files they came from

    @model_validator(mode="before")
    @classmethod
    def _one_partition_of_old(cls, data: object) -> object:
        """An older checkpoint's `position` (with its rows, chunks, done) is partition 0."""
        if not isinstance(data, dict) or "position" not in data or "partitions" in data:
            return data
        old = {key: data[key] for key in ("rows", "chunks", "done") if key in data}
        rest = {key: value for key, value in data.items() if key != "position"}
        return {**rest, "partitions": [{"position": data["position"], **old}]}

    @property
    def partition(self) -> PartitionProgress:
        """The partition a chunk moves next: the first not done (the last when all are)."""
        return next((p for p in self.partitions if not p.done), self.partitions[-1])

    @property
    def position(self) -> Position:
        """Where the next chunk reads on, in `partition`."""
        return self.partition.position

    @property
    def movable(self) -> list[str]:
        """The partitions whose next chunks may move now, at once: every one not done when
        they stage apart (after the run's first chunk fixed its schema), else the first."""
        waiting = [p.id for p in self.partitions if not p.done]
        parallel = self.chunks > 0 and all(p.staging is not None for p in self.partitions)
        return waiting if parallel else waiting[:1]

    def progress_of(self, partition: str | None) -> PartitionProgress:
        """The named partition (None: `partition`); StateError naming the ones there are."""
        if partition is None:
            return self.partition
        found = next((p for p in self.partitions if p.id == partition), None)
        if found is None:
            ids = ", ".join(p.id for p in self.partitions)
            raise StateError(
                f"{self.flow}.{self.entity}: run {self.entity_run_id[:8]} has no partition "
                f"{partition!r} (it has: {ids})"
            )
        return found

    def advanced(
        self, position: Position, rows: int, *, done: bool, partition: str | None = None
    ) -> list[PartitionProgress]:
        """The partitions after a chunk of `partition` staged `rows` and got to `position`."""
        moved = self.progress_of(partition)
        return [
            p.model_copy(
                update={
                    "position": position,
                    "rows": p.rows + rows,
                    "chunks": p.chunks + 1,
                    "done": done,
                }
            )
            if p is moved
            else p
            for p in self.partitions
        ]


class EntityResult(BaseModel):
    """How an entity run ended; the runner's and the CLI's unit of reporting."""

    flow: str
    entity: str
    entity_run_id: str | None = None
    status: RunStatus
    run_type: RunType
    rows: int = 0  # rows published into the store (0 for a failed or cancelled run)
    rows_kept: int = 0  # staged rows a cancelled or interrupted run kept for the next run
    seconds: float = 0.0
    message: str | None = None
    error_type: str | None = None
    window_from: str | None = None
    window_to: str | None = None
    watermark: str | None = None
    files: int | None = None
    resumed: int = 0

    @property
    def qualified_name(self) -> str:
        return f"{self.flow}.{self.entity}"

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0
