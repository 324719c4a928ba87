"""Messages for a flow or entity named on the command line that hygge does not know."""

from __future__ import annotations

from hygge.config import Workspace
from hygge.config.suggest import did_you_mean
from hygge.errors import ConfigError, StateError
from hygge.state.layout import check_name

SHOWN = 20  # names listed in a hint; the rest are counted


def workspace_has(workspace: Workspace) -> str:
    """`the workspace has: a.b, a.c` (the first SHOWN entities, then how many more)."""
    names = [entity.qualified_name for entity in workspace.entities]
    more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    return f"the workspace has: {', '.join(names[:SHOWN]) or 'no entities'}{more}"


def unknown_entity_error(workspace: Workspace, flow: str, entity: str, why: str) -> ConfigError:
    """`unknown flow 'x' (did you mean 'y'?): no such flow in the workspace, <why>`."""
    if flow not in workspace.flows:
        what = f"unknown flow '{flow}'{did_you_mean(flow, workspace.flows)}"
        where = "no such flow in the workspace"
    else:
        names = [e.name for e in workspace.entities if e.flow == flow]
        what = f"unknown entity '{entity}' in flow {flow}{did_you_mean(entity, names)}"
        where = f"flow {flow} has no such entity"
    return ConfigError(f"{what}: {where}, {why}", hint=workspace_has(workspace))


def check_argument_names(workspace: Workspace, flow: str, entity: str) -> None:
    """ConfigError about the argument when `--flow`/`--entity` cannot name any state record."""
    for name, what in ((flow, "flow"), (entity, "entity")):
        try:
            check_name(name, what)
        except StateError as error:
            raise ConfigError(
                f"--{what} {name!r} is not a valid {what} name: a name has no '/', '\\', ':' "
                "or NUL and does not start with '.'",
                hint=f"give it as `hygge list` shows it; {workspace_has(workspace)}",
            ) from error
