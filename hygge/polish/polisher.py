"""Apply a PolishConfig to batches: hash ids, column names, constants, timestamps, row marker.

The plan for a batch (hash sources, renames, appended columns) depends only on its column names,
so it is worked out once per input schema, warnings included, and reused for every batch.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import polars as pl

from hygge.polish.additions import Addition, plan_additions
from hygge.polish.config import HashIdRule, PolishConfig
from hygge.polish.hashing import hash_column, resolve_sources
from hygge.polish.names import normalise_name, plan_renames

log = logging.getLogger("hygge.polish")

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)


@dataclass(frozen=True)
class _HashStep:
    rule: HashIdRule
    sources: tuple[str, ...]


@dataclass(frozen=True)
class _Plan:
    hashes: tuple[_HashStep, ...]
    ordered: tuple[str, ...]  # columns after hashing, before renames
    renames: dict[str, str]  # only the names that change
    additions: tuple[Addition, ...]
    output: tuple[str, ...]


class Polisher:
    """Polishes every batch of one entity run; build one per run, from the run's start time.

    Order: (1) hash ids from the original names, each placed first (so with several rules the
    last one leads), (2) column normalisation, hash columns included, (3) constants,
    (4) timestamps, (5) the legacy row marker. A configured column that already exists is kept
    and a warning logged. Columns polish appends are never renamed, so polishing polished
    output again leaves the names alone.
    """

    def __init__(
        self, config: PolishConfig, run_started_at: datetime, *, entity: str | None = None
    ) -> None:
        """`run_started_at` must be tz-aware; `entity` (e.g. `flow.entity`) names errors."""
        if run_started_at.tzinfo is None or run_started_at.utcoffset() is None:
            raise ValueError(
                f"Polisher needs a tz-aware run start time, got naive {run_started_at!r}; "
                "pass datetime.now(UTC) (or the run's recorded start)"
            )
        self._config = config
        self._where = f" (entity {entity})" if entity else ""
        self._additions = tuple(plan_additions(config, run_started_at))
        self._plans: dict[tuple[str, ...], _Plan] = {}

    @property
    def expressions_only(self) -> bool:
        """True when polish is polars expressions alone (no hash id: hashing runs in Python
        over a batch), so a lazy scan can be polished (`polish_lazy`) without batches."""
        return not self._config.hash_ids

    def apply(self, batch: pl.DataFrame) -> pl.DataFrame:
        """The polished batch; an empty batch keeps its schema plus the polished columns."""
        plan = self._plan(tuple(batch.columns))
        for step in plan.hashes:
            batch = batch.with_columns(hash_column(batch, step.sources, step.rule, self._where))
        return _shaped(batch, plan)

    def polish_lazy(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """The polished lazy frame (the same expressions `apply` uses); only when
        `expressions_only`."""
        assert self.expressions_only
        return _shaped(frame, self._plan(tuple(frame.collect_schema().names())))

    def output_columns(self, input_columns: Sequence[str]) -> list[str]:
        """The column names `apply` produces for a batch with these columns (for previews)."""
        return list(self._plan(tuple(input_columns)).output)

    def _plan(self, columns: tuple[str, ...]) -> _Plan:
        plan = self._plans.get(columns)
        if plan is None:
            plan = self._plans[columns] = self._build_plan(columns)
        return plan

    def _build_plan(self, columns: tuple[str, ...]) -> _Plan:
        current = list(columns)
        hashes: list[_HashStep] = []
        for rule in self._config.hash_ids:
            # Also its normalised name: polished output polished again keeps its hash column.
            names = (rule.name, normalise_name(rule.name, self._config.columns))
            if self._already_there(rule.name, names, current, "hash id"):
                continue
            sources = resolve_sources(rule, current, self._config.columns, self._where)
            hashes.append(_HashStep(rule, sources))
            current.insert(0, rule.name)
        reserved = {addition.name for addition in self._additions}
        final = plan_renames(current, self._config.columns, keep=reserved)
        renamed = [final[c] for c in current]
        additions: list[Addition] = []
        for addition in self._additions:
            if not self._already_there(addition.name, [addition.name], renamed, addition.kind):
                additions.append(addition)
                renamed.append(addition.name)
        return _Plan(
            hashes=tuple(hashes),
            ordered=tuple(current),
            renames={src: dst for src, dst in final.items() if src != dst},
            additions=tuple(additions),
            output=tuple(renamed),
        )

    def _already_there(
        self, label: str, names: Sequence[str], columns: Sequence[str], kind: str
    ) -> bool:
        """Whether the batch has one of `names` already (then it is kept, with a warning)."""
        present = next((name for name in names if name in columns), None)
        if present is None:
            return False
        log.warning(
            "polish %s %r%s: the batch already has column %r; keeping it as is. Rename the "
            "polish column if both are wanted.",
            kind,
            label,
            self._where,
            present,
        )
        return True


def _shaped(frame: Frame, plan: _Plan) -> Frame:
    """Polish's expressions after hashing: order, renames, appended columns (one code path for
    batches and lazy scans)."""
    if plan.hashes:
        frame = frame.select(plan.ordered)
    if plan.renames:
        frame = frame.rename(plan.renames)
    if plan.additions:
        frame = frame.with_columns(addition.expr for addition in plan.additions)
    return frame


def polish_batch(
    batch: pl.DataFrame, config: PolishConfig, run_started_at: datetime
) -> pl.DataFrame:
    """Polish one batch (one-shot form of `Polisher(config, run_started_at).apply(batch)`)."""
    return Polisher(config, run_started_at).apply(batch)
