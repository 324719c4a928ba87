"""What `hygge reset` forgets for one entity: selecting, inspecting and clearing its state."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from hygge.cli.orphans import orphaned_staging, remove_orphan
from hygge.config import Workspace
from hygge.config.suggest import did_you_mean
from hygge.engine import Checkpoint, EntityTask, Selection, saved_checkpoint
from hygge.engine.preview import compact
from hygge.engine.recovery import adopted_watermark
from hygge.errors import (
    ConfigError,
    HyggeError,
    RetryableError,
    StateError,
    UnreachableError,
)
from hygge.state.base import ResetMark, StateBackend, Watermark
from hygge.state.clock import utc_now
from hygge.stores.held_rows import HoldsRows
from hygge.types import RunType
from hygge.wording import counted


@dataclass(frozen=True)
class ResetTarget:
    """One entity's stored state; files that cannot be read are removed all the same."""

    task: EntityTask
    watermark: Watermark | None = None
    checkpoint: Checkpoint | None = None
    unreadable: list[str] = field(default_factory=list)  # "watermark", "checkpoint", …
    orphans: list[Path] = field(default_factory=list)  # staging no readable checkpoint owns
    files: int = 0  # files the file ledger (or an older watermark's list) records as loaded
    # The watermark the store's completion marker would hand the next run (the state has none:
    # deleted, or lost); a reset forgets it too.
    store_watermark: Watermark | None = None
    # The last reset's record while its first run has not published yet (no watermark since).
    pending: ResetMark | None = None

    def needs_reset(self, *, keep_data: bool) -> bool:
        """State to forget, or a pending reset of an incremental entity whose next run would
        do the other thing (`--keep-data` after a plain reset, or a plain one after it)."""
        if self.has_state:
            return True
        if self.pending is None or self.task.run_type is not RunType.INCREMENTAL:
            return False
        return self.pending.full_drop_next == keep_data

    @property
    def has_state(self) -> bool:
        return bool(
            self.watermark
            or self.checkpoint
            or self.unreadable
            or self.orphans
            or self.files
            or self.store_watermark
        )

    @property
    def watermark_text(self) -> str:
        if "watermark" in self.unreadable:
            return "unreadable file"
        kept = self.watermark or self.store_watermark
        if kept is None or kept.value is None:
            return ""
        text = f"{kept.column or 'watermark'} = {compact(str(kept.value))}"
        return text if self.watermark is not None else f"{text}, kept by the store"

    @property
    def files_text(self) -> str:
        return f"{self.files:,}" if self.files else ""

    @property
    def interrupted_text(self) -> str:
        parts = []
        if "checkpoint" in self.unreadable:
            parts.append("unreadable checkpoint")
        elif self.checkpoint is not None:
            checkpoint = self.checkpoint
            staged = counted(checkpoint.rows, "row")
            parts.append(f"run {checkpoint.entity_run_id[:8]} ({staged} staged)")
        if self.orphans:
            parts.append(f"{counted(len(self.orphans), 'staging folder')} no checkpoint owns")
        return "; ".join(parts)


def reset_selection(
    workspace: Workspace, flows: Sequence[str], entities: Sequence[str]
) -> Selection:
    """Every entity of the flows, or the named ones (`ENTITY` or `FLOW.ENTITY`) among them."""
    wanted = Selection.from_cli(flows, entities, None)
    for flow in wanted.flows:
        if flow not in workspace.flows:
            raise ConfigError(
                f"unknown flow '{flow}'{did_you_mean(flow, workspace.flows)}",
                hint=f"flows in this workspace: {', '.join(workspace.flows) or 'none'}",
            )
    if not wanted.entities:
        return Selection(flows=wanted.flows)
    candidates = [e for e in workspace.entities if e.flow in wanted.flows]
    chosen: list[str] = []
    for name in wanted.entities:
        matches = [e.qualified_name for e in candidates if name in (e.name, e.qualified_name)]
        if not matches:
            raise ConfigError(_unknown_entity(name, wanted.flows, workspace))
        chosen.extend(match for match in matches if match not in chosen)
    return Selection(entities=chosen)


def _unknown_entity(name: str, flows: list[str], workspace: Workspace) -> str:
    listed = ", ".join(flows)
    flow = name.split(".", 1)[0] if "." in name else None
    if flow is not None and flow not in flows:
        return (
            f"--entity {name} is not in the flows given with --flow ({listed}); "
            f"add --flow {flow} to reset it"
        )
    in_flows = [e for e in workspace.entities if e.flow in flows]
    names = [e.qualified_name if flow else e.name for e in in_flows]
    return (
        f"unknown entity '{name}' in flow {listed}{did_you_mean(name, names)}; "
        f"available: {', '.join(e.qualified_name for e in in_flows) or 'none'}"
    )


def inspect_target(task: EntityTask, state: StateBackend) -> ResetTarget:
    """What is stored for the entity; unreadable state files are noted, not fatal."""
    unreadable: list[str] = []
    watermark = checkpoint = None
    try:
        watermark = state.get_watermark(task.flow, task.entity)
    except StateError:
        unreadable.append("watermark")
    try:
        checkpoint = saved_checkpoint(task, state)
    except StateError:
        unreadable.append("checkpoint")
    orphans = orphaned_staging(task.store.open(task.place), checkpoint)
    files = len(watermark.files or []) if watermark is not None else 0
    try:
        files += state.count_file_ledger(task.flow, task.entity)
    except StateError:
        unreadable.append("file ledger")
    mark = None
    try:
        mark = state.get_reset(task.flow, task.entity)
    except StateError:  # the next run cannot read it: the reset rewrites it
        unreadable.append("reset record")
    lost = watermark is None and "watermark" not in unreadable
    kept = _store_watermark(task, state) if lost else None
    pending = mark if lost and checkpoint is None else None
    return ResetTarget(task, watermark, checkpoint, unreadable, orphans, files, kept, pending)


def _store_watermark(task: EntityTask, state: StateBackend) -> Watermark | None:
    """The watermark the store's completion marker would give the next run, when the state
    has none (its folder deleted or lost): `recover_watermark` would adopt it."""
    if task.run_type is RunType.FULL_DROP or not task.store.capabilities.transactional:
        return None
    store = task.store.open(task.place)
    try:
        commit = store.last_commit()
        reset = state.get_reset(task.flow, task.entity)
    except (HyggeError, OSError):
        return None  # unreadable now: the reset's time covers it
    adopted = adopted_watermark(None, commit, store.identity(), transactional=True)
    if adopted is None or commit is None:
        return None
    if reset is not None and reset.forgets(commit.run_id, commit.committed_at):
        return None
    return adopted


def refuse_half_published(targets: Sequence[ResetTarget]) -> None:
    """A run interrupted while publishing must be finished first: its data is half visible.
    A transactional store's publish is one commit, all or nothing (a Delta or SQL publish that
    its data made fail committed nothing, and would fail again on every `hygge go`): its run
    is reset like a run interrupted while moving."""
    for target in targets:
        checkpoint = target.checkpoint
        transactional = target.task.store.capabilities.transactional
        if checkpoint is not None and checkpoint.phase == "publishing" and not transactional:
            name = target.task.qualified_name
            raise HyggeError(
                f"cannot reset {name}: run {checkpoint.entity_run_id[:8]} was interrupted while "
                "publishing, so part of it may already be in the store. Finish it first with "
                f"`hygge go --resume -e {name}`, then reset"
            )


def refuse_foreign(targets: Sequence[ResetTarget]) -> None:
    """Reset prepares a full reload: refuse it where the store holds data it does not own."""
    for target in targets:
        task = target.task
        problem = task.store.open(task.place).ownership_problem()
        if problem:
            raise HyggeError(f"cannot reset {task.qualified_name}: {problem}. Nothing was reset")


def refuse_adopted(targets: Sequence[ResetTarget], *, keep_data: bool) -> None:
    """Refuse a reset of an incremental entity into a table it adopted (rows hygge did not
    write, `stores.adopted_tables`): the first run after a plain reset is a full_drop, which
    the store refuses; after `--keep-data` it would append every row hygge loaded before a
    second time, and hygge cannot tell its rows there from the user's to remove them first."""
    for target in targets:
        task = target.task
        if task.run_type is not RunType.INCREMENTAL:
            continue  # a merge upserts after a reset, a full_drop entity is one anyway
        refusal = task.store.open(task.place).full_drop_refusal()
        if refusal:
            raise HyggeError(
                f"cannot reset {task.qualified_name}: {refusal}. "
                + (_KEEP_DATA_REFUSED if keep_data else _FULL_DROP_REFUSED)
                + _RELOAD_ONCE
            )


def refuse_held_rows(targets: Sequence[ResetTarget]) -> None:
    """Refuse `--keep-data` for an incremental entity whose store still holds rows: its next
    run appends every source row, so each row hygge loaded before would appear twice."""
    for target in targets:
        task = target.task
        if task.run_type is not RunType.INCREMENTAL:
            continue  # a merge upserts after a reset, a full_drop entity replaces anyway
        store = task.store.open(task.place)
        held = store.held_rows() if isinstance(store, HoldsRows) else None
        if held:
            raise HyggeError(
                f"cannot reset {task.qualified_name} with --keep-data: its store holds {held}, "
                "and with --keep-data the next run appends every source row to them, so the "
                "rows hygge loaded before would appear twice. Leave out --keep-data (the next "
                "run replaces what the store holds: a full_drop, nothing doubled), or empty "
                "the store yourself first (--keep-data is for a store you emptied). Nothing "
                "was reset"
            )


@contextmanager
def unreachable_refused(targets: Sequence[ResetTarget], *, done: list[str]) -> Iterator[None]:
    """A store's database unreachable (down, refused, timed out) while resetting: say so,
    what to do, and which entities were reset already (`done`: none, before any is)."""
    try:
        yield
    except (UnreachableError, RetryableError) as error:
        names = " ".join(
            f"-e {t.task.entity}" for t in targets if t.task.qualified_name not in done
        )
        flows = sorted({t.task.flow for t in targets})
        if done:
            reset = f"{', '.join(done)} were reset; the others were not."
        else:
            reset = "Nothing was reset."
        said = " ".join(str(error).split())  # the driver's message, on one line
        raise HyggeError(
            f"cannot reset: a store's database is unreachable ({said}). {reset} Start the "
            "database server (or fix the connection's host and port), then run `hygge reset "
            f"-f {' -f '.join(flows)} {names}` again"
        ) from error


_FULL_DROP_REFUSED = (
    "The first run after a reset replaces the table (a full_drop), which hygge refuses. "
)
_KEEP_DATA_REFUSED = (
    "With --keep-data the next run would append every source row to it again, so the rows "
    "hygge loaded before would appear twice (hygge cannot tell them from yours to delete them "
    "first). "
)
_RELOAD_ONCE = (
    "To reload every row once: give the entity `key_columns` and `run_type: merge`, then "
    "reset (the next run upserts on the keys, your other rows stay); or set `if_exists: "
    "replace` on the store, then reset (the next run drops the table, your rows with it, and "
    "creates it from the data). Nothing was reset"
)


def reset_target(
    target: ResetTarget,
    state: StateBackend,
    now: datetime | None = None,
    *,
    full_drop_next: bool = True,
) -> str:
    """Discard the interrupted run's staging, then forget checkpoint and watermark; say what.

    `full_drop_next`: the next incremental run replaces what the store holds
    (`hygge.engine.after_reset`); False (`--keep-data`): it appends everything to it."""
    task, forgotten = target.task, []
    now = utc_now() if now is None else now
    if target.checkpoint is not None:
        task.store.open(task.place).abort(target.checkpoint.staging)
        forgotten.append(f"interrupted {target.interrupted_text}")
    elif "checkpoint" in target.unreadable:
        forgotten.append("an unreadable checkpoint")
    for folder in target.orphans:
        remove_orphan(folder)
    if target.orphans and target.checkpoint is None:
        forgotten.append(target.interrupted_text.split("; ")[-1])
    state.clear_checkpoint(task.flow, task.entity)
    if target.watermark_text:
        forgotten.append(f"watermark {target.watermark_text}")
    if target.files_text:
        forgotten.append(f"the record of {target.files_text} loaded files")
    if "reset record" in target.unreadable:
        forgotten.append("an unreadable record of the last reset")
    pending = target.pending
    if pending is not None and pending.full_drop_next != full_drop_next:
        undone = "full_drop" if pending.full_drop_next else "--keep-data"
        forgotten.append(f"the last reset's {undone} (its first run has not published)")
    mark = _reset_mark(target, now).model_copy(update={"full_drop_next": full_drop_next})
    state.set_reset(task.flow, task.entity, mark)
    state.clear_margin(task.flow, task.entity)
    state.clear_file_ledger(task.flow, task.entity)
    state.clear_watermark(task.flow, task.entity)
    return ", ".join(forgotten) or "nothing"


def _reset_mark(target: ResetTarget, now: datetime) -> ResetMark:
    """The tombstone that keeps the store's completion marker from restoring the watermark.

    Written before the watermark is removed, so no moment exists at which neither stops it.
    """
    task, runs = target.task, []
    if target.watermark is not None and target.watermark.entity_run_id:
        runs.append(target.watermark.entity_run_id)
    try:
        commit = task.store.open(task.place).last_commit()
    except (HyggeError, OSError):  # unreadable now: the reset time covers it
        commit = None
    if commit is not None and commit.run_id not in runs:
        runs.append(commit.run_id)
    if target.pending is not None:  # reset again before a run: what it forgot stays forgotten
        runs.extend(run for run in target.pending.runs if run not in runs)
    return ResetMark(reset_at=now, runs=runs)
