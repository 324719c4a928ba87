"""The small models that cross Durable Functions boundaries: orchestration inputs, outputs and
activity payloads.

Everything here is JSON-friendly and small (Durable offloads payloads over ~45 KB to blobs and
replays the whole history every episode): references and counts, never data. A checkpoint
itself stays in the state backend; only its reference (`CheckpointRef`) travels.

This module imports neither polars nor pyarrow (the starters import it).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hygge.types import RunStatus, RunType

__all__ = [
    "CUSTOM_STATUS_LIMIT",
    "ActivityInput",
    "CheckpointRef",
    "EntityInput",
    "EntityOutcome",
    "EntityTaskRef",
    "FailureRef",
    "PlanInput",
    "PlanResult",
    "Progress",
    "RunInput",
    "RunRequest",
    "RunSummary",
    "StepOutcome",
    "SummaryInput",
    "Trigger",
]

CUSTOM_STATUS_LIMIT = 16 * 1024  # bytes of JSON a custom status may hold

Trigger = Literal["http", "timer", "blob"]


class _Contract(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunRequest(_Contract):
    """What to run: the body of `POST /api/runs`, and what the timer and blob starters ask.

    None for `flows` / `entities`: all of them. `entities` are `flow.entity` names (or bare
    entity names, as `hygge go -e` takes them). `run_type` overrides each entity's own.
    """

    flows: list[str] | None = None
    entities: list[str] | None = None
    run_type: RunType | None = None
    dry_run: bool = False


class RunInput(_Contract):
    """The input of `run_workspace`, built by a starter."""

    request: RunRequest = Field(default_factory=RunRequest)
    trigger: Trigger = "http"
    requested_at: str  # ISO 8601 UTC, from the starter (orchestrators read no clock)
    landing_paths: list[str] = Field(default_factory=list)  # blob arrivals that started it


class EntityTaskRef(_Contract):
    """One planned entity: enough to find its `EntityTask` again by planning the workspace.

    Activities re-plan the workspace (from `HYGGE_WORKSPACE`) and pick the entity by name;
    `workspace_digest` lets them refuse a workspace that changed under a running run.
    """

    run_id: str  # the orchestration instance id of run_workspace
    coordinator_run_id: str
    flow_run_id: str
    flow: str
    entity: str
    run_type: RunType
    partitions: int = 1  # the entity's `parallel` partitions (chains fanned out by run_entity)
    workspace_digest: str = ""
    dry_run: bool = False
    requested_at: str = ""  # the run's: a cancel marker older than this is another execution's

    @property
    def qualified_name(self) -> str:
        return f"{self.flow}.{self.entity}"


class CheckpointRef(_Contract):
    """Where an entity run stands, as a reference to the checkpoint saved in the state."""

    entity_run_id: str
    attempt_id: str
    generation: int = 0
    rows: int = 0
    chunks: int = 0
    done: bool = False
    partitions: list[str] = Field(default_factory=list)  # ids whose chunks may move now
    partition_chunks: dict[str, int] = Field(default_factory=dict)  # chunks moved, per id


class EntityInput(_Contract):
    """The input of `run_entity` (again after each `continue_as_new`)."""

    task: EntityTaskRef
    checkpoint: CheckpointRef | None = None  # None: not begun yet
    episode: int = 0  # how many times this entity continued as new
    chunk_calls: int = 0  # move_chunk calls made by the whole entity run so far
    retries: int = 0  # transient failures retried inside activities, summed


class FailureRef(_Contract):
    """A step's failure as data (the engine's `RunError`, and the phase of the checkpoint
    saved then): what `abort` needs to end the run by the engine's own policy."""

    kind: Literal["terminal", "transient"]
    type: str
    message: str
    where: str | None = None
    category: Literal["locked", "config", "other"] = "other"
    ours: bool = False
    saved_phase: str | None = None


class EntityOutcome(_Contract):
    """How one entity ended in the app: success / skip / fail / not_run. Never raised: a
    failed entity is an outcome, so one bad entity never fails the run."""

    flow: str
    entity: str
    status: RunStatus
    run_type: RunType
    entity_run_id: str | None = None
    rows: int = 0
    rows_kept: int = 0  # staged rows a cancelled run kept for the next run
    chunks: int = 0
    seconds: float = 0.0
    retries: int = 0
    episodes: int = 0
    message: str | None = None
    error_type: str | None = None
    cancelled: bool = False

    @property
    def qualified_name(self) -> str:
        return f"{self.flow}.{self.entity}"


class ActivityInput(_Contract):
    """The input of the begin / move_chunk / commit / abort activities.

    `attempt` is the entity run's attempt (the entity lock's owner), derived from the
    orchestration instance id: the same for every step and after every continue_as_new.
    `step_id` names this one call: instance id + step + entity run + partition + chunk number
    (`orchestrators.step_id_of`), so a redelivered activity carries the same one and repeats
    nothing, and two different chunks never share one.
    """

    task: EntityTaskRef
    instance_id: str  # the run_entity instance calling
    attempt: str
    step_id: str = ""
    checkpoint: CheckpointRef | None = None
    partition: str | None = None  # move_chunk of one partition; None: the next not done
    failure: FailureRef | None = None  # abort: the failure that ends the run
    cancelled: bool = False  # abort because of a cancel: keep the checkpoint


class StepOutcome(_Contract):
    """What begin and move_chunk return: the new checkpoint reference, or the failure left
    after the activity's own retries (then the orchestrator calls `abort`)."""

    checkpoint: CheckpointRef | None = None
    failure: FailureRef | None = None
    retries: int = 0  # transient failures retried inside the activity
    redelivered: bool = False  # the step had been done already: nothing was repeated
    outcome: EntityOutcome | None = None  # commit: how the entity ended
    cancelled: bool = False  # the run's cancel marker was found: the step did nothing
    wait_seconds: float = 0.0  # commit: a full_drop cleared its table; call again after this


class PlanInput(_Contract):
    """The input of the plan activity: the run and its instance id."""

    run_id: str
    run: RunInput


class PlanResult(_Contract):
    """What the plan activity returns: the entities to run, in plan order."""

    coordinator: str
    coordinator_run_id: str
    tasks: list[EntityTaskRef] = Field(default_factory=list)
    max_parallel: int = 8  # HYGGE_MAX_PARALLEL_ENTITIES when it was planned
    previews: list[EntityOutcome] = Field(default_factory=list)  # a dry run's, per entity


class Progress(_Contract):
    """`run_workspace`'s custom status: counts and the entities in flight (≤ 16 KB)."""

    phase: Literal["planning", "running", "summarising", "done"] = "planning"
    entities: int = 0
    running: list[str] = Field(default_factory=list)
    finished: int = 0
    failed: int = 0
    rows: int = 0
    cancelled: bool = False
    truncated: bool = False  # `running` was cut to keep the status under the limit


class RunSummary(_Contract):
    """The output of `run_workspace`."""

    run_id: str
    coordinator: str = ""
    coordinator_run_id: str = ""
    trigger: Trigger = "http"
    requested_at: str = ""
    dry_run: bool = False
    cancelled: bool = False
    entities: int = 0
    succeeded: int = 0
    skipped: int = 0
    failed: int = 0
    not_run: int = 0
    rows: int = 0
    outcomes: list[EntityOutcome] = Field(default_factory=list)
    message: str | None = None


class SummaryInput(_Contract):
    """The input of the summary activity: the plan and every entity's outcome."""

    run_id: str
    run: RunInput
    plan: PlanResult
    outcomes: list[EntityOutcome] = Field(default_factory=list)
    not_started: list[EntityTaskRef] = Field(default_factory=list)  # cancelled before start
    cancelled: bool = False
