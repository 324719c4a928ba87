"""`GET /api/runs`: the newest entity runs from the workspace's journal.

The journal is one parquet file per entity run (the state backend's format, shared with
`hygge journal` and queryable with polars or DuckDB), so reading it imports polars: this
module is imported only when that route is called, never by the other starters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hygge.config import load_workspace
from hygge.engine.runner import local_context
from hygge.functions.settings import FunctionSettings
from hygge.state.config import open_state
from hygge.state.journal import newest_first


def recent_runs(
    settings: FunctionSettings, flows: Sequence[str], entities: Sequence[str], limit: int
) -> list[dict[str, Any]]:
    """Journal rows (newest first, at most `limit`) of the flows or entities (all if none)."""
    workspace = load_workspace(source=settings.workspace)
    here = local_context()
    state = open_state(
        workspace.project.state,
        workspace.root,
        clock=here.clock,
        host=here.host,
        journal_dir=workspace.journal_dir,
        workspace=workspace.name,
        connections=workspace.project.connections,
    )
    rows = []
    if not flows and not entities:
        rows = state.read_readable_journal(limit=limit).rows
    else:
        if flows:
            rows += state.read_readable_journal(flows=flows, limit=limit).rows
        if entities:
            rows += state.read_readable_journal(entities=entities, limit=limit).rows
    unique = {(r.entity_run_id, r.status, r.start_time, r.finish_time): r for r in rows}
    newest = sorted(unique.values(), key=newest_first, reverse=True)[:limit]
    return [row.model_dump(mode="json") for row in newest]
