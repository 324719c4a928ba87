"""A replay test driver for Durable orchestrators: the SDK's own replay engine, episode by episode.

The Functions host cannot run here. This driver plays its part as AZURE-NOTES.md describes:
it calls `orchestrator.build().get_user_function()` (the handle the host calls) with a context
JSON holding the history so far, takes the actions it returns that are not yet in the history,
turns them into history events (TaskScheduled, SubOrchestrationInstanceCreated, TimerCreated),
runs the activities (for real, through `run_activity`, which a test may replace: a subprocess
it SIGKILLs, two deliveries at once), starts sub-orchestrations, fires timers, and appends the
completions as the next episode's events, until every instance is done. ContinueAsNew starts a
fresh history with the new input (the same instance id), as the Durable Task framework does.

It approximates the framework: it proves determinism, fan-out, failure isolation and resume,
not the host's serialization or its queues.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

# History event types (DurableTask's)
EXECUTION_STARTED, TASK_SCHEDULED, TASK_COMPLETED, TASK_FAILED = 0, 4, 5, 6
SUB_CREATED, SUB_COMPLETED, SUB_FAILED = 7, 8, 9
TIMER_CREATED, TIMER_FIRED = 10, 11
ORCHESTRATOR_STARTED, ORCHESTRATOR_COMPLETED = 12, 13
EVENT_RAISED, CONTINUE_AS_NEW = 15, 16
# Action types
CALL_ACTIVITY, CALL_ACTIVITY_RETRY, CALL_SUB, CALL_SUB_RETRY = 0, 1, 2, 3
ACTION_CONTINUE_AS_NEW, CREATE_TIMER, WAIT_FOR_EVENT = 4, 5, 6
WHEN_ANY, WHEN_ALL = 11, 12

Handle = Callable[[str], str]
ActivityCall = Callable[[str, Any], Any]  # (activity name, input) -> output (or raises)


@dataclass
class Call:
    """One activity call the driver ran: its instance, task id, name, input and output."""

    instance_id: str
    task_id: int
    name: str
    input: Any
    output: Any = None
    error: str | None = None


@dataclass
class Instance:
    id: str
    name: str
    input: Any
    parent: tuple[str, int] | None = None  # (parent id, its task id for this child)
    history: list[dict[str, Any]] = field(default_factory=list)
    episodes: int = 0  # handle calls, over every execution
    executions: int = 1  # 1 + how many times it continued as new
    done: bool = False
    failed: str | None = None
    output: Any = None
    custom_status: Any = None
    pending: list[dict[str, Any]] = field(default_factory=list)  # events for the next episode
    states: list[dict[str, Any]] = field(default_factory=list)  # every state returned
    longest_history: int = 0


class ReplayDriver:
    """Runs orchestrations to completion; `calls` lists every activity call made."""

    def __init__(
        self,
        orchestrators: dict[str, Handle],
        run_activity: ActivityCall,
        *,
        start: datetime | None = None,
        on_episode: Callable[[ReplayDriver, Instance], None] | None = None,
        hold: Callable[[Call], int] | None = None,
    ) -> None:
        self.orchestrators = orchestrators
        self.run_activity = run_activity
        self.now = start or datetime(2026, 12, 1, tzinfo=UTC)
        self.instances: dict[str, Instance] = {}
        self.calls: list[Call] = []
        self.on_episode = on_episode
        self.hold = hold  # rounds a call's completion is held back (a slow activity)
        self._held: list[tuple[int, str, dict[str, Any]]] = []
        self._queue: list[Call] = []  # scheduled, not yet run
        self._timers: list[tuple[str, int, str]] = []
        self.max_children_running: dict[str, int] = {}
        self.orchestrator_cpu = 0.0  # CPU seconds spent inside the orchestrators' handles

    # -- public ------------------------------------------------------------------------------

    def run(self, name: str, input_: Any, instance_id: str) -> Instance:
        """Start `name` as `instance_id` and drive everything until it is done."""
        self.start(name, input_, instance_id)
        self.drive()
        return self.instances[instance_id]

    def start(
        self, name: str, input_: Any, instance_id: str, parent: tuple[str, int] | None = None
    ) -> None:
        instance = Instance(id=instance_id, name=name, input=input_, parent=parent)
        instance.history = self._opening(name, input_)
        self.instances[instance_id] = instance
        self._episode(instance)

    def raise_event(self, instance_id: str, name: str, data: Any = None) -> None:
        """An external event, delivered with the instance's next episode."""
        instance = self.instances[instance_id]
        if instance.done:
            return
        instance.pending.append(self._event(EVENT_RAISED, Name=name, Input=json.dumps(data)))

    def drive(self) -> None:
        """Rounds until nothing is left to do."""
        while self.step():
            pass

    def step(self) -> bool:
        """One round: run every scheduled activity, fire timers, deliver completions; False
        when there was nothing left to do."""
        ready = [i for i in self.instances.values() if i.pending and not i.done]
        if not self._queue and not self._timers and not ready and not self._held:
            return False
        batch, self._queue = self._queue, []
        for call in batch:
            self._run(call)
        self._release()
        timers, self._timers = self._timers, []
        for instance_id, timer_id, fire_at in timers:
            self.instances[instance_id].pending.append(
                self._event(TIMER_FIRED, TimerId=timer_id, FireAt=fire_at)
            )
        for instance in list(self.instances.values()):
            if instance.pending and not instance.done:
                self._deliver(instance)
        return True

    def replay(self, instance_id: str) -> dict[str, Any]:
        """The state the handle returns for the instance's whole recorded history, replayed."""
        instance = self.instances[instance_id]
        return self._call(instance, instance.history, replaying=True)

    # -- episodes ----------------------------------------------------------------------------

    def _opening(self, name: str, input_: Any) -> list[dict[str, Any]]:
        return [
            self._event(ORCHESTRATOR_STARTED),
            self._event(EXECUTION_STARTED, Name=name, Version="", Input=json.dumps(input_)),
        ]

    def _deliver(self, instance: Instance) -> None:
        events, instance.pending = instance.pending, []
        instance.history.extend([self._event(ORCHESTRATOR_STARTED), *events])
        self._episode(instance)

    def _call(
        self, instance: Instance, history: list[dict[str, Any]], *, replaying: bool = False
    ) -> dict[str, Any]:
        played = [dict(event, IsPlayed=replaying or event["IsPlayed"]) for event in history]
        context = {
            "history": played,
            "instanceId": instance.id,
            "isReplaying": replaying,
            "parentInstanceId": instance.parent[0] if instance.parent else None,
            "input": json.dumps(instance.input),
            "upperSchemaVersion": 1,
        }
        encoded = json.dumps(context)
        started = time.process_time()
        try:
            state = self.orchestrators[instance.name](encoded)
        finally:
            self.orchestrator_cpu += time.process_time() - started
        return json.loads(state)

    def _episode(self, instance: Instance) -> None:
        instance.episodes += 1
        instance.longest_history = max(instance.longest_history, len(instance.history))
        try:
            state = self._call(instance, instance.history)
        except Exception as error:  # the orchestrator raised: the instance failed
            instance.failed = str(error).split("\n\n$OutOfProcData$")[0]
            self._finish(instance, failed=True)
            return
        for event in instance.history:
            event["IsPlayed"] = True
        instance.states.append(state)
        instance.custom_status = state.get("customStatus")
        leaves = list(_leaves(state.get("actions") or []))
        scheduled = sum(1 for e in instance.history if e["EventType"] in _SCHEDULING)
        numbered = [a for a in leaves if a["actionType"] in _NUMBERED]
        for task_id, action in enumerate(numbered):
            if task_id >= scheduled:
                self._schedule(instance, task_id, action)
        instance.history.append(self._event(ORCHESTRATOR_COMPLETED))
        self._count_children(instance)
        if self.on_episode is not None:
            self.on_episode(self, instance)
        renewed = next((a for a in leaves if a["actionType"] == ACTION_CONTINUE_AS_NEW), None)
        if renewed is not None:
            instance.input = _decoded(renewed.get("input"))
            instance.history = self._opening(instance.name, instance.input)
            instance.executions += 1
            self._episode(instance)
            return
        if state.get("isDone"):
            instance.output = state.get("output")
            self._finish(instance, failed=False)

    def _schedule(self, instance: Instance, task_id: int, action: dict[str, Any]) -> None:
        kind = action["actionType"]
        if kind in (CALL_ACTIVITY, CALL_ACTIVITY_RETRY):
            payload = action.get("input")
            instance.history.append(
                self._event(
                    TASK_SCHEDULED, EventId=task_id, Name=action["functionName"], Input=payload
                )
            )
            self._queue.append(
                Call(instance.id, task_id, action["functionName"], _decoded(payload))
            )
        elif kind in (CALL_SUB, CALL_SUB_RETRY):
            child_id = action.get("instanceId") or f"{instance.id}:{task_id}"
            instance.history.append(
                self._event(
                    SUB_CREATED,
                    EventId=task_id,
                    Name=action["functionName"],
                    InstanceId=child_id,
                    Input=action.get("input"),
                )
            )
            self.start(
                action["functionName"],
                _decoded(action.get("input")),
                child_id,
                (instance.id, task_id),
            )
        elif kind == CREATE_TIMER:
            fire_at = action["fireAt"]
            instance.history.append(self._event(TIMER_CREATED, EventId=task_id, FireAt=fire_at))
            self._timers.append((instance.id, task_id, fire_at))

    def _run(self, call: Call) -> None:
        self.calls.append(call)
        try:
            call.output = self.run_activity(call.name, call.input)
        except Exception as error:
            call.error = str(error)
            failed = self._event(
                TASK_FAILED,
                TaskScheduledId=call.task_id,
                Reason=str(error),
                Details=traceback.format_exc(),
            )
            self._complete(call, failed)
            return
        done = self._event(
            TASK_COMPLETED, TaskScheduledId=call.task_id, Result=json.dumps(call.output)
        )
        self._complete(call, done)

    def _complete(self, call: Call, event: dict[str, Any]) -> None:
        """Deliver a call's completion next episode, or `hold(call)` rounds later."""
        rounds = self.hold(call) if self.hold is not None else 0
        if rounds > 0:
            self._held.append((rounds, call.instance_id, event))
        else:
            self.instances[call.instance_id].pending.append(event)

    def _release(self) -> None:
        """One round passed: held completions whose time came are delivered."""
        waiting: list[tuple[int, str, dict[str, Any]]] = []
        for rounds, instance_id, event in self._held:
            if rounds <= 1:
                self.instances[instance_id].pending.append(event)
            else:
                waiting.append((rounds - 1, instance_id, event))
        self._held = waiting

    def _finish(self, instance: Instance, *, failed: bool) -> None:
        instance.done = True
        if instance.parent is None:
            return
        parent_id, task_id = instance.parent
        parent = self.instances[parent_id]
        if failed:
            parent.pending.append(
                self._event(SUB_FAILED, TaskScheduledId=task_id, Reason=instance.failed, Details="")
            )
        else:
            parent.pending.append(
                self._event(
                    SUB_COMPLETED, TaskScheduledId=task_id, Result=json.dumps(instance.output)
                )
            )

    def _count_children(self, instance: Instance) -> None:
        created = sum(1 for e in instance.history if e["EventType"] == SUB_CREATED)
        ended = sum(1 for e in instance.history if e["EventType"] in (SUB_COMPLETED, SUB_FAILED))
        before = self.max_children_running.get(instance.id, 0)
        self.max_children_running[instance.id] = max(before, created - ended)

    def _event(self, kind: int, **fields: Any) -> dict[str, Any]:
        self.now += timedelta(milliseconds=10)
        event = {
            "EventType": kind,
            "EventId": fields.pop("EventId", -1),
            "IsPlayed": False,
            "Timestamp": self.now.strftime(TIME_FORMAT),
        }
        event.update(fields)
        return event


_SCHEDULING = (TASK_SCHEDULED, SUB_CREATED, TIMER_CREATED)
_NUMBERED = (CALL_ACTIVITY, CALL_ACTIVITY_RETRY, CALL_SUB, CALL_SUB_RETRY, CREATE_TIMER)


def _leaves(actions: list[Any]) -> Any:
    """The atomic actions in scheduling order (compound WhenAny/WhenAll opened; the V1 schema's
    list of lists flattened)."""
    for action in actions:
        if isinstance(action, list):
            yield from _leaves(action)
        elif action.get("actionType") in (WHEN_ANY, WHEN_ALL):
            yield from _leaves(action.get("compoundActions") or [])
        else:
            yield action


def _decoded(payload: Any) -> Any:
    if isinstance(payload, str):
        try:
            return json.loads(payload)
        except ValueError:
            return payload
    return payload


def blueprint_handles(module: Any, names: tuple[str, ...]) -> dict[str, Callable[..., Any]]:
    """The user functions of a blueprint module's registered functions, by function name."""
    return {name: getattr(module, name).build().get_user_function() for name in names}
