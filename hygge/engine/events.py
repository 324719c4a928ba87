"""What the local runner reports while it works; the CLI renders these."""

from __future__ import annotations

from dataclasses import dataclass

from hygge.engine.models import EntityResult, EntityTask


@dataclass(frozen=True)
class EntityStarted:
    task: EntityTask
    resumed: bool = False
    files: int | None = None
    rows_hint: int | None = None
    rows_moved: int = 0  # rows the resumed checkpoint already holds
    entity_run_id: str | None = None


@dataclass(frozen=True)
class EntityProgress:
    task: EntityTask
    rows: int
    seconds: float


@dataclass(frozen=True)
class EntityFinished:
    result: EntityResult


RunEvent = EntityStarted | EntityProgress | EntityFinished
