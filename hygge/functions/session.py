"""What every activity starts from: the workspace read from `HYGGE_WORKSPACE`, its state, and
the task of one entity found again by planning.

Activities receive references (`EntityTaskRef`), never tasks: each one loads and plans the
workspace itself, exactly as `hygge go -w az://…` does, and checks the entity's task is still
the one the run planned (`task_digest`), so a workspace pushed during a run cannot change an
entity half-way through.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from hygge.config import Workspace, load_workspace
from hygge.engine.context import RunContext
from hygge.engine.models import EntityTask
from hygge.engine.plan import RunPlan, Selection, plan_run
from hygge.errors import ConfigError
from hygge.functions.contracts import EntityTaskRef, RunRequest
from hygge.functions.settings import FunctionSettings, read_settings
from hygge.state.base import StateBackend, StateOwner
from hygge.state.clock import utc_now
from hygge.state.config import open_state
from hygge.state.owner import check_state_owner, claim_state

__all__ = ["Session", "activity_context", "cached_task", "open_session", "task_digest"]


def activity_context() -> RunContext:
    """The clock and host an activity's steps stamp: this worker's."""
    return RunContext(clock=utc_now, host=socket.gethostname())


@dataclass(frozen=True)
class Session:
    """One activity's view of the app: settings, workspace, state, clock and host."""

    settings: FunctionSettings
    workspace: Workspace
    state: StateBackend
    context: RunContext

    def plan(self, request: RunRequest, coordinator_run_id: str) -> RunPlan:
        selection = Selection.from_cli(
            request.flows or [], request.entities or [], request.run_type
        )
        return plan_run(self.workspace, selection, coordinator_run_id=coordinator_run_id)

    def task_for(self, ref: EntityTaskRef) -> EntityTask:
        """The entity's task as the run planned it; ConfigError when the workspace no longer
        has it or changed it since the plan."""
        request = RunRequest(entities=[ref.qualified_name], run_type=ref.run_type)
        try:
            planned = self.plan(request, ref.coordinator_run_id).tasks
        except ConfigError as error:
            raise ConfigError(
                f"{ref.qualified_name}: the workspace at {self.settings.workspace} no longer "
                f"plans this entity ({error})",
                hint="push the workspace back (`hygge publish`) or start a new run",
            ) from error
        task = planned[0].model_copy(update={"flow_run_id": ref.flow_run_id})
        if ref.workspace_digest and task_digest(task) != ref.workspace_digest:
            raise ConfigError(
                f"{ref.qualified_name}: the workspace at {self.settings.workspace} changed "
                "while run "
                f"{ref.run_id} was moving this entity; it is not continued with other settings",
                hint="the next run picks up the new workspace and resumes the checkpoint",
            )
        return task

    def claim_state(self) -> None:
        """Before a run writes: record this workspace as the state's owner where it is not."""
        claim_state(self.state, self.owner)

    @property
    def owner(self) -> StateOwner:
        return StateOwner(name=self.workspace.name, root=self.workspace.location)


def task_digest(task: EntityTask) -> str:
    """A short hash of what the task does (its run ids left out)."""
    settings = task.model_dump_json(exclude={"coordinator_run_id", "flow_run_id", "origins"})
    return hashlib.sha256(settings.encode()).hexdigest()[:16]


_sessions: dict[tuple[str, str], Session] = {}
_sessions_lock = threading.Lock()


def open_session(env: Mapping[str, str] | None = None, *, fresh: bool = False) -> Session:
    """Settings, workspace and state. The plan activity reads them `fresh`; the others reuse
    this worker's last session of the same workspace, and read it again when the entity's
    task is not the one the run planned (`cached_task`)."""
    env = os.environ if env is None else env
    key = (env.get("HYGGE_WORKSPACE", ""), env.get("HYGGE_STORAGE_CONNECTION", ""))
    with _sessions_lock:
        cached = None if fresh else _sessions.get(key)
    if cached is not None:
        return cached
    session = _open(env)
    with _sessions_lock:
        _sessions[key] = session
    return session


def cached_task(session: Session, ref: EntityTaskRef) -> tuple[Session, EntityTask]:
    """The entity's task from `session`, or from a fresh one when the cached workspace is
    older than the run's plan (its digest differs); ConfigError as `Session.task_for`."""
    try:
        return session, session.task_for(ref)
    except ConfigError:
        if not ref.workspace_digest:
            raise
    fresh = open_session(fresh=True)
    return fresh, fresh.task_for(ref)


def _open(env: Mapping[str, str]) -> Session:
    settings = read_settings(env)
    workspace = load_workspace(source=settings.workspace, env=env)
    context = activity_context()
    state = open_state(
        workspace.project.state,
        workspace.root,
        clock=context.clock,
        host=context.host,
        journal_dir=workspace.journal_dir,
        workspace=workspace.name,
        connections=workspace.project.connections,
        env=env,
    )
    session = Session(settings=settings, workspace=workspace, state=state, context=context)
    check_state_owner(state, session.owner)
    return session
