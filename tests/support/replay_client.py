"""The durable client `request_cancel` talks to, over a `ReplayDriver`'s instances."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from tests.support.durable import ReplayDriver


class ReplayClient:
    """Status, query by prefix and raise event, answered from the driver's instances."""

    def __init__(self, replay: ReplayDriver, *, advance: bool = False) -> None:
        self.replay = replay
        self.raised: list[str] = []
        self.advance = advance  # each status read after a raise lets the driver go one round

    def _status(self, instance_id: str) -> Any:
        instance = self.replay.instances.get(instance_id)
        if instance is None:
            return None
        runtime = "Completed" if instance.done else "Running"
        return SimpleNamespace(
            instance_id=instance_id,
            runtime_status=SimpleNamespace(value=runtime),
            custom_status=instance.custom_status,
        )

    async def get_status(self, instance_id: str) -> Any:
        if self.advance and self.raised:
            self.replay.step()  # time passes while the client waits: the host works
        return self._status(instance_id)

    async def get_status_by(self, instance_id_prefix: str = "", **_: Any) -> list[Any]:
        ids = [i for i in self.replay.instances if i.startswith(instance_id_prefix)]
        return [self._status(i) for i in ids]

    async def raise_event(self, instance_id: str, name: str, data: Any = None) -> None:
        self.raised.append(instance_id)
        self.replay.raise_event(instance_id, name, data)
