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
from hygge.functions.telemetry import run_context

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

    given = PlanInput.model_validate(payload)
    with run_context(run_id=given.run_id):
        return plan_activity(given).model_dump(mode="json")


@bp.function_name("begin")
@bp.activity_trigger(input_name="payload")
def begin(payload: dict[str, Any]) -> dict[str, Any]:
    from hygge.functions.activities import begin_activity

    given = ActivityInput.model_validate(payload)
    with _ids(given):
        return begin_activity(given).model_dump(mode="json")


@bp.function_name("move_chunk")
@bp.activity_trigger(input_name="payload")
def move_chunk(payload: dict[str, Any]) -> dict[str, Any]:
    from hygge.functions.activities import move_chunk_activity

    given = ActivityInput.model_validate(payload)
    with _ids(given):
        return move_chunk_activity(given).model_dump(mode="json")


@bp.function_name("commit")
@bp.activity_trigger(input_name="payload")
def commit(payload: dict[str, Any]) -> dict[str, Any]:
    from hygge.functions.activities import commit_activity

    given = ActivityInput.model_validate(payload)
    with _ids(given):
        return commit_activity(given).model_dump(mode="json")


@bp.function_name("abort")
@bp.activity_trigger(input_name="payload")
def abort(payload: dict[str, Any]) -> dict[str, Any]:
    from hygge.functions.activities import abort_activity

    given = ActivityInput.model_validate(payload)
    with _ids(given):
        return abort_activity(given).model_dump(mode="json")


@bp.function_name("summary")
@bp.activity_trigger(input_name="payload")
def summary(payload: dict[str, Any]) -> dict[str, Any]:
    from hygge.functions.activities import summary_activity

    given = SummaryInput.model_validate(payload)
    with run_context(run_id=given.run_id):
        return summary_activity(given).model_dump(mode="json")


def _ids(given: ActivityInput) -> Any:
    """The log ids of an entity's activity: its run, flow, entity, attempt and step."""
    task = given.task
    return run_context(
        run_id=task.run_id,
        flow=task.flow,
        entity=task.qualified_name,
        attempt=given.attempt,
        step=given.step_id or None,
    )
