"""A Durable task hub in memory, behind the SDK's real `DurableOrchestrationClient`.

The Functions host hands a client function a JSON binding; the SDK's client turns each call
into an HTTP request to the Durable extension. `TaskHub.client()` builds that real client
from a binding like the host's and answers its requests here (start, status, query, raise
event, terminate), as the extension would — so the starters are tested through the SDK's own
URL building, status parsing and `create_check_status_response`, and only the extension's
HTTP endpoint is replaced (the true external edge).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from azure.durable_functions import DurableOrchestrationClient

RPC = "http://127.0.0.1:17071/durabletask/"
WEBHOOK = "http://localhost:7071/runtime/webhooks/durabletask/instances/INSTANCEID"
ACTIVE = {"Running", "Pending", "ContinuedAsNew", "Suspended"}


@dataclass
class Instance:
    name: str
    instance_id: str
    input: Any
    status: str = "Pending"
    custom_status: Any = None
    output: Any = None
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    events: list[tuple[str, Any]] = field(default_factory=list)

    def as_json(self, show_input: bool = True) -> dict[str, Any]:
        body = {
            "name": self.name,
            "instanceId": self.instance_id,
            "runtimeStatus": self.status,
            "createdTime": self.created,
            "lastUpdatedTime": self.created,
            "customStatus": self.custom_status,
            "output": self.output,
        }
        if show_input:
            body["input"] = self.input
        return body


class TaskHub:
    """Instances by id; `started` lists every start request in order."""

    def __init__(self) -> None:
        self.instances: dict[str, Instance] = {}
        self.started: list[str] = []
        self.requests: list[tuple[str, str]] = []

    def add(self, instance_id: str, status: str, input: Any = None, **fields: Any) -> Instance:
        instance = Instance("run_workspace", instance_id, input, status, **fields)
        self.instances[instance_id] = instance
        return instance

    def client(self) -> DurableOrchestrationClient:
        binding = {
            "taskHubName": "hygge",
            "creationUrls": {
                "createNewInstancePostUri": WEBHOOK.replace(
                    "instances/INSTANCEID", "orchestrators/{functionName}"
                ),
                "createAndWaitOnNewInstancePostUri": "",
            },
            "managementUrls": {
                "id": "INSTANCEID",
                "statusQueryGetUri": f"{WEBHOOK}?taskHub=hygge&connection=Storage&code=KEY",
                "sendEventPostUri": f"{WEBHOOK}/raiseEvent/{{eventName}}?code=KEY",
                "terminatePostUri": f"{WEBHOOK}/terminate?reason={{text}}&code=KEY",
                "rewindPostUri": f"{WEBHOOK}/rewind?reason={{text}}&code=KEY",
                "purgeHistoryDeleteUri": f"{WEBHOOK}?code=KEY",
                "restartPostUri": f"{WEBHOOK}/restart?code=KEY",
                "suspendPostUri": f"{WEBHOOK}/suspend?reason={{text}}&code=KEY",
                "resumePostUri": f"{WEBHOOK}/resume?reason={{text}}&code=KEY",
            },
            "baseUrl": "http://localhost:7071/runtime/webhooks/durabletask",
            "requiredQueryStringParameters": "code=KEY",
            "rpcBaseUrl": RPC,
        }
        client = DurableOrchestrationClient(json.dumps(binding))
        client._post_async_request = self._post
        client._get_async_request = self._get
        return client

    async def _post(self, url: str, data: Any = None, *args: Any, **kwargs: Any) -> list[Any]:
        self.requests.append(("POST", url))
        path = unquote(urlsplit(url).path).removeprefix(urlsplit(RPC).path).split("/")
        payload = json.loads(data) if data else None
        if path[0] == "orchestrators":
            return self._start(path[1], path[2], payload)
        if path[0] == "instances" and len(path) >= 3:
            return self._act(path[1], path[2:], payload)
        return [400, {"ExceptionMessage": f"no such endpoint: {url}"}]

    def _start(self, name: str, instance_id: str, payload: Any) -> list[Any]:
        existing = self.instances.get(instance_id)
        if existing is not None and existing.status in ACTIVE:
            return [409, f"An instance with ID '{instance_id}' already exists."]
        self.instances[instance_id] = Instance(name, instance_id, payload)
        self.started.append(instance_id)
        return [202, {"id": instance_id}]

    def _act(self, instance_id: str, action: list[str], payload: Any) -> list[Any]:
        """raiseEvent/<name> or terminate on an instance: 404 unknown, 410 no longer active."""
        instance = self.instances.get(instance_id)
        if instance is None:
            return [404, None]
        if instance.status not in ACTIVE:
            return [410, None]
        if action[0] == "raiseEvent":
            instance.events.append((action[1], payload))
        elif action[0] == "terminate":
            instance.status = "Terminated"
        elif action[0] == "suspend":
            instance.status = "Suspended"
        elif action[0] == "resume":
            instance.status = "Running"
        else:
            return [400, {"ExceptionMessage": f"no such action: {action}"}]
        return [202, None]

    async def _get(self, url: str, *args: Any, **kwargs: Any) -> list[Any]:
        self.requests.append(("GET", url))
        parts = urlsplit(url)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        path = unquote(parts.path).removeprefix(urlsplit(RPC).path).split("/")
        show_input = query.get("showInput", "false").lower() == "true"
        if path[0] == "instances" and len(path) > 1 and path[1]:
            instance = self.instances.get(path[1])
            if instance is None:
                return [404, f"No instance with ID '{path[1]}' found."]
            code = 202 if instance.status in ACTIVE else 200
            return [code, instance.as_json(show_input)]
        wanted = set(query["runtimeStatus"].split(",")) if "runtimeStatus" in query else None
        prefix = query.get("instanceIdPrefix", "")
        found = [
            i.as_json(show_input)
            for i in self.instances.values()
            if i.instance_id.startswith(prefix) and (wanted is None or i.status in wanted)
        ]
        return [200, found]
