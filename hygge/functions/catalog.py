"""What the starters need to know about the workspace: its flow and entity names and the
homes on the landing container, read from `HYGGE_WORKSPACE` without polars or pyarrow.

Loading validates the whole workspace (hygge.yml and every flow) as `hygge go` would, so a
broken workspace is reported by the starter that needed it, with the file and line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hygge.errors import ConfigError
from hygge.functions.landing import LandingHome, landing_homes
from hygge.functions.settings import FunctionSettings


@dataclass(frozen=True)
class WorkspaceCatalog:
    """Flows (in workspace order) with their `flow.entity` names, and the landing homes."""

    name: str
    flows: dict[str, list[str]]
    landing: list[LandingHome] = field(default_factory=list)

    @property
    def entities(self) -> list[str]:
        return [name for names in self.flows.values() for name in names]


def load_catalog(
    settings: FunctionSettings, env: Mapping[str, str] | None = None
) -> WorkspaceCatalog:
    """The catalog of the workspace at `settings.workspace` (ConfigError when it is broken)."""
    from hygge.config import load_workspace

    workspace = load_workspace(source=settings.workspace, env=os.environ if env is None else env)
    flows: dict[str, list[str]] = {name: [] for name in workspace.flows}
    for entity in workspace.entities:
        flows.setdefault(entity.flow, []).append(entity.qualified_name)
    return WorkspaceCatalog(
        name=workspace.name,
        flows=flows,
        landing=landing_homes(workspace, settings.landing_container),
    )


class UnknownNamesError(ConfigError):
    """A request names flows or entities the workspace does not have (HTTP 404)."""

    def __init__(self, message: str, *, flows: list[str], entities: list[str]) -> None:
        super().__init__(message, hint="name flows as in flows/<flow>/, entities as flow.entity")
        self.flows = flows
        self.entities = entities


def check_names(
    catalog: WorkspaceCatalog, flows: Sequence[str] | None, entities: Sequence[str] | None
) -> None:
    """UnknownNamesError naming each unknown flow / entity and listing what exists."""
    missing_flows = [name for name in flows or () if name not in catalog.flows]
    known = set(catalog.entities)
    missing_entities = [name for name in entities or () if name not in known]
    problems = []
    if missing_flows:
        problems.append(
            f"unknown flow(s) {', '.join(missing_flows)}; the workspace has: "
            + (", ".join(catalog.flows) or "none")
        )
    if missing_entities:
        shown = catalog.entities[:50]
        more = " …" if len(catalog.entities) > len(shown) else ""
        problems.append(
            f"unknown entit(y/ies) {', '.join(missing_entities)}; the workspace has: "
            + (", ".join(shown) or "none")
            + more
        )
    if problems:
        raise UnknownNamesError("; ".join(problems), flows=missing_flows, entities=missing_entities)
