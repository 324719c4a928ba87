"""Planning is pure: a workspace and a selection become the run's entity tasks."""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from hygge.config import ResolvedEntity, Workspace
from hygge.connections import ConnectionConfigUnion
from hygge.engine.models import EntityTask
from hygge.errors import ConfigError
from hygge.types import RunType
from hygge.wording import with_article


class Selection(BaseModel):
    """What the user asked to run: flows, `flow.entity` names, and a run type override."""

    flows: list[str] = Field(default_factory=list)
    entities: list[str] = Field(default_factory=list)
    run_type: RunType | None = None

    @classmethod
    def from_cli(
        cls, flows: Sequence[str], entities: Sequence[str], run_type: RunType | None
    ) -> Selection:
        """Accept repeated options and comma lists alike (`-f a,b -f c`); an empty name
        (`-e ''`, `-e ,`, `-e ' '`) is a ConfigError naming the option, never "select all"."""
        return cls(
            flows=split_names(flows, "--flow"),
            entities=split_names(entities, "--entity"),
            run_type=run_type,
        )


class RunPlan(BaseModel):
    """The entity tasks of one run, in workspace order (built unvalidated, as its tasks are)."""

    model_config = ConfigDict(defer_build=True)

    coordinator: str
    coordinator_run_id: str
    tasks: list[EntityTask]


def new_run_id() -> str:
    return uuid.uuid4().hex


def plan_run(
    workspace: Workspace, selection: Selection, *, coordinator_run_id: str | None = None
) -> RunPlan:
    """Select entities and turn each into a task; unknown names are ConfigErrors with hints."""
    chosen = select_entities(workspace, selection)
    run_id = coordinator_run_id or new_run_id()
    flow_run_ids = {name: new_run_id() for name in {e.flow for e in chosen}}
    on_interrupted = workspace.project.options.on_interrupted
    # Every value comes from the validated workspace: the tasks are not validated again (their
    # validator, all home, store and connection kinds, is built only for a Functions payload).
    tasks = [
        EntityTask.model_construct(
            coordinator=workspace.name,
            coordinator_run_id=run_id,
            flow_run_id=flow_run_ids[e.flow],
            flow=e.flow,
            entity=e.name,
            run_type=selection.run_type or e.run_type,
            merge_strategy=e.merge_strategy,
            home=e.home,
            store=e.store,
            watermark=e.watermark,
            key_columns=e.key_columns,
            connections=_connections_of(workspace, e),
            polish=e.polish,
            queue_size=e.queue_size,
            parallel=e.parallel,
            root=str(workspace.root),
            on_interrupted=on_interrupted,
            origins=e.origins,
        )
        for e in chosen
    ]
    for task in tasks:
        _check_run_type(task)
    return RunPlan.model_construct(
        coordinator=workspace.name, coordinator_run_id=run_id, tasks=tasks
    )


def _connections_of(
    workspace: Workspace, entity: ResolvedEntity
) -> dict[str, ConnectionConfigUnion]:
    """The connections the entity's home and store name (their secrets as references)."""
    names = {block.connection for block in (entity.home, entity.store) if block.connection}
    return {name: workspace.project.connections[name] for name in sorted(names)}


def select_entities(workspace: Workspace, selection: Selection) -> list[ResolvedEntity]:
    """The entities named by the selection (all when it names none), in workspace order."""
    if not selection.flows and not selection.entities:
        return list(workspace.entities)
    known_flows = list(workspace.flows)
    known_entities = [e.qualified_name for e in workspace.entities]
    for flow in selection.flows:
        if flow not in workspace.flows:
            raise ConfigError(_unknown("flow", flow, known_flows))
    for name in selection.entities:
        if "." not in name:
            example = known_entities[0] if known_entities else "flow.entity"
            raise ConfigError(
                f"--entity takes flow.entity, got '{name}'", hint=f"for example: --entity {example}"
            )
        if name not in known_entities:
            raise ConfigError(_unknown("entity", name, known_entities))
    wanted_flows, wanted_entities = set(selection.flows), set(selection.entities)
    return [
        e
        for e in workspace.entities
        if e.flow in wanted_flows or e.qualified_name in wanted_entities
    ]


def _check_run_type(task: EntityTask) -> None:
    if not task.store.capabilities.supports(task.run_type):
        raise ConfigError(
            f"{task.qualified_name}: {with_article(task.store.type)} store cannot run "
            f"'{task.run_type}'",
            hint="choose full_drop or incremental, or a store that supports merge",
        )


def _unknown(kind: str, name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    suggestion = f" (did you mean '{close[0]}'?)" if close else ""
    listing = ", ".join(known) if known else "none"
    return f"unknown {kind} '{name}'{suggestion}; available: {listing}"


def split_names(values: Sequence[str], option: str) -> list[str]:
    """The names given with `option` (repeated, or comma lists); ConfigError for an empty one."""
    names = []
    for value in values:
        for part in value.split(","):
            if not part.strip():
                raise ConfigError(
                    f"{option} got an empty name in {value!r}",
                    hint="an empty selector never selects everything; name the flows or "
                    f"entities you mean (repeat {option}, or comma-separate names)",
                )
            names.append(part.strip())
    return names
