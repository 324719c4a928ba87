"""The Durable blueprint `bp`: orchestrators `run_workspace`, `run_entity` and the activities
plan, begin, move_chunk, commit, abort and summary.

Wiring only: the orchestrators live in `hygge.functions.orchestrators` (replay-safe
generators), the activities in `hygge.functions.activities` (the engine's steps). Payloads are
the JSON of `hygge.functions.contracts` models, validated on the way in.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from hygge.functions import orchestrators
from hygge.functions.contracts import ActivityInput, PlanInput, SummaryInput

__all__ = ["ACTIVITIES", "ORCHESTRATORS", "bp"]

ORCHESTRATORS = ("run_workspace", "run_entity")
ACTIVITIES = ("plan", "begin", "move_chunk", "commit", "abort", "summary")

bp = df.Blueprint()


@bp.function_name("run_workspace")
@bp.orchestration_trigger(context_name="context")
def run_workspace(context: df.DurableOrchestrationContext) -> orchestrators.Orchestration:
    return orchestrators.run_workspace(context)


@bp.function_name("run_entity")
@bp.orchestration_trigger(context_name="context")
def run_entity(context: df.DurableOrchestrationContext) -> orchestrators.Orchestration:
    return orchestrators.run_entity(context)


@bp.function_name("plan")
@bp.activity_trigger(input_name="payload")
def plan(payload: dict[str, Any]) -> dict[str, Any]:
    from hygge.functions.activities import plan_activity

    return plan_activity(PlanInput.model_validate(payload)).model_dump(mode="json")


@bp.function_name("begin")
@bp.activity_trigger(input_name="payload")
def begin(payload: dict[str, Any]) -> dict[str, Any]:
    from hygge.functions.activities import begin_activity

    return begin_activity(ActivityInput.model_validate(payload)).model_dump(mode="json")


@bp.function_name("move_chunk")
@bp.activity_trigger(input_name="payload")
def move_chunk(payload: dict[str, Any]) -> dict[str, Any]:
    from hygge.functions.activities import move_chunk_activity

    return move_chunk_activity(ActivityInput.model_validate(payload)).model_dump(mode="json")


@bp.function_name("commit")
@bp.activity_trigger(input_name="payload")
def commit(payload: dict[str, Any]) -> dict[str, Any]:
    from hygge.functions.activities import commit_activity

    return commit_activity(ActivityInput.model_validate(payload)).model_dump(mode="json")


@bp.function_name("abort")
@bp.activity_trigger(input_name="payload")
def abort(payload: dict[str, Any]) -> dict[str, Any]:
    from hygge.functions.activities import abort_activity

    return abort_activity(ActivityInput.model_validate(payload)).model_dump(mode="json")


@bp.function_name("summary")
@bp.activity_trigger(input_name="payload")
def summary(payload: dict[str, Any]) -> dict[str, Any]:
    from hygge.functions.activities import summary_activity

    return summary_activity(SummaryInput.model_validate(payload)).model_dump(mode="json")
