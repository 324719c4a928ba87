"""In-memory fakes of the home and store protocols, for engine tests (STYLE rule 11).

    home = MemoryHome([orders(5), orders(3, start=5)], batch_size=2)
    store = MemoryStore()                       # store.published["orders"] after a publish
    failing = FailingStore("publish")           # raises InjectedFault in the first publish

Both pass the same contract battery as the real file home and store
(tests/contract/test_memory_fakes.py), so engine tests written against them hold for real
plugins. `MemoryHomeConfig.of(home)` / `MemoryStoreConfig.of(store)` give configs whose
`open(place)` returns them, for code that builds plugins from configs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

import polars as pl
from pydantic import PrivateAttr

from hygge.errors import ConfigError, InjectedFault, StateError, StoreOwnershipError
from hygge.homes.base import (
    DEFAULT_PARTITION,
    FileEntry,
    FilePosition,
    HomeCapabilities,
    HomeConfig,
    PartitionSpec,
    Position,
    ReadSpec,
    Window,
)
from hygge.stores.base import CommitRecord, Staging, StoreCapabilities, StoreConfig
from hygge.types import Place, RunType

Step = Literal["prepare", "write", "discard_unlisted", "publish", "abort"]


class MemoryHome:
    """Frames as the home's files: a position is (frame index, row offset in the frame)."""

    def __init__(
        self,
        frames: list[pl.DataFrame],
        batch_size: int = 2,
        *,
        fail_after_batches: int | None = None,
        partitioned: bool = False,
    ) -> None:
        self.frames = frames  # append to it to simulate files arriving after a window opened
        self.batch_size = batch_size
        self.fail_after_batches = fail_after_batches
        self.batches_read = 0
        self.partitioned = partitioned  # reads a spec's key-range partitions each on its own
        self.specs: list[ReadSpec] = []  # what each open_window was asked for

    def open_window(self, spec: ReadSpec) -> Window:
        self.specs.append(spec)
        files = [
            FileEntry(path=f"frame-{i:05d}", size=f.height, mtime_ns=0)
            for i, f in enumerate(self.frames)
        ]
        window = Window(files=files, rows_hint=sum(f.height for f in self.frames))
        if self.partitioned:
            window.partitions = list(spec.partitions)
        return window

    def read(
        self, window: Window, position: Position, partition: str = DEFAULT_PARTITION
    ) -> Iterator[tuple[pl.DataFrame, Position]]:
        assert isinstance(position, FilePosition)
        (part,) = [p for p in window.partitions if p.id == partition]
        for index in range(position.file_index, len(window.files or [])):
            frame = _in_range(self.frames[index], part)
            offset = position.row_offset if index == position.file_index else 0
            while offset < frame.height:
                if self.batches_read == self.fail_after_batches:
                    raise InjectedFault(f"injected fault reading frame {index} at row {offset}")
                batch = frame.slice(offset, self.batch_size)
                offset += batch.height
                self.batches_read += 1
                yield batch, FilePosition(file_index=index, row_offset=offset)

    def check(self) -> list[str]:
        return []

    def describe(self) -> str:
        return f"memory {len(self.frames)} frames"

    def identity(self) -> str:
        return "memory home"


def _in_range(frame: pl.DataFrame, part: PartitionSpec) -> pl.DataFrame:
    """The frame's rows in the partition's key range `[lower, upper)`."""
    if part.column is None:
        return frame
    if part.lower is not None:
        frame = frame.filter(pl.col(part.column) >= part.lower)
    if part.upper is not None:
        frame = frame.filter(pl.col(part.column) < part.upper)
    return frame


class MemoryStore:
    """Stages frames in a dict and publishes them into `published[entity]`."""

    def __init__(
        self,
        entity: str = "entity",
        *,
        published: dict[str, pl.DataFrame] | None = None,
        staged: dict[str, dict[str, pl.DataFrame]] | None = None,
        calls: list[str] | None = None,
    ) -> None:
        self.entity = entity
        self.published: dict[str, pl.DataFrame] = {} if published is None else published
        self.staged: dict[str, dict[str, pl.DataFrame]] = {} if staged is None else staged
        self.calls: list[str] = [] if calls is None else calls  # step names, in call order
        self.foreign: set[str] = set()  # entities whose frame another writer left in the lake
        self.commits: dict[str, list[str]] = {}  # entity -> its published run ids
        self.last_commits: dict[str, CommitRecord] = {}  # entity -> its completion marker

    def for_entity(self, entity: str) -> MemoryStore:
        """The same lake (published, staged, calls) seen as another entity's store."""
        store = MemoryStore(entity, published=self.published, staged=self.staged, calls=self.calls)
        store.foreign = self.foreign
        store.commits = self.commits
        store.last_commits = self.last_commits
        return store

    def prepare(self, run_id: str, run_type: RunType) -> Staging:
        self.calls.append("prepare")
        if run_type is RunType.MERGE:
            raise ConfigError("the memory store cannot merge; use full_drop or incremental")
        problem = self.ownership_problem()
        if problem:
            raise StoreOwnershipError(problem)
        location = f"memory://{self.entity}/{run_id}"
        self.staged[location] = {}
        return Staging(run_id=run_id, run_type=run_type, location=location)

    def write(self, staging: Staging, batch: pl.DataFrame) -> Staging:
        self.calls.append("write")
        area = self._area(staging)
        name = f"{staging.next_sequence:05d}"
        area[name] = batch.clone()
        return staging.model_copy(
            update={
                "artefacts": [*staging.artefacts, name],
                "next_sequence": staging.next_sequence + 1,
            }
        )

    def sync(self, staging: Staging) -> None:
        self.calls.append("sync")  # memory is as durable as it gets
        self._area(staging)

    def discard_unlisted(self, staging: Staging) -> None:
        self.calls.append("discard_unlisted")
        area = self.staged.get(staging.location, {})
        for name in set(area) - set(staging.artefacts):
            del area[name]

    def missing_staged(self, staging: Staging) -> list[str]:
        area = self.staged.get(staging.location, {})
        return [name for name in staging.artefacts if name not in area]

    def publish(self, staging: Staging, record: CommitRecord | None = None) -> None:
        self.calls.append("publish")
        if staging.run_id in self.commits.get(self.entity, []):
            return  # published by an earlier call: idempotent
        area = self._area(staging)
        missing = [n for n in staging.artefacts if n not in area]
        if missing:
            raise StateError(f"staged artefacts {missing} of run {staging.run_id} are lost")
        frames = [area[n] for n in staging.artefacts]
        if staging.run_type is RunType.INCREMENTAL and self.entity in self.published:
            frames.insert(0, self.published[self.entity])
        self.published[self.entity] = pl.concat(frames) if frames else pl.DataFrame()
        self.commits.setdefault(self.entity, []).append(staging.run_id)
        self.last_commits[self.entity] = record or CommitRecord.of(staging)
        del self.staged[staging.location]

    def last_commit(self) -> CommitRecord | None:
        return self.last_commits.get(self.entity)

    def abort(self, staging: Staging) -> None:
        self.calls.append("abort")
        self.staged.pop(staging.location, None)

    def check(self) -> list[str]:
        problem = self.ownership_problem()
        return [problem] if problem else []

    def full_drop_refusal(self) -> str | None:
        return None  # adopts no table

    def ownership_problem(self) -> str | None:
        if self.entity not in self.foreign:
            return None
        return f"memory lake entry {self.entity} was written by someone else"

    def describe(self) -> str:
        return f"memory {self.entity}"

    def identity(self) -> str:
        return f"memory {self.entity}"

    def _area(self, staging: Staging) -> dict[str, pl.DataFrame]:
        if staging.location not in self.staged:
            raise StateError(f"staging {staging.location} is gone (aborted or published)")
        return self.staged[staging.location]


class FailingStore(MemoryStore):
    """A MemoryStore that raises InjectedFault at one step.

    `at_call`: which call of the step fails first (1-based); `times`: how many calls in a row
    fail (then it recovers, as a transient fault would); `after`: fail after the step took
    effect (a crash between doing the work and reporting it), not before.
    """

    def __init__(
        self,
        fail_on: Step,
        *,
        entity: str = "entity",
        at_call: int = 1,
        times: int = 1,
        after: bool = False,
    ) -> None:
        super().__init__(entity)
        self.fail_on = fail_on
        self.at_call = at_call
        self.times = times
        self.after = after
        self.step_calls = 0

    def prepare(self, run_id: str, run_type: RunType) -> Staging:
        self._maybe_fail("prepare", before=True)
        staging = super().prepare(run_id, run_type)
        self._maybe_fail("prepare", before=False)
        return staging

    def write(self, staging: Staging, batch: pl.DataFrame) -> Staging:
        self._maybe_fail("write", before=True)
        staging = super().write(staging, batch)
        self._maybe_fail("write", before=False)
        return staging

    def discard_unlisted(self, staging: Staging) -> None:
        self._maybe_fail("discard_unlisted", before=True)
        super().discard_unlisted(staging)
        self._maybe_fail("discard_unlisted", before=False)

    def publish(self, staging: Staging, record: CommitRecord | None = None) -> None:
        self._maybe_fail("publish", before=True)
        super().publish(staging, record)
        self._maybe_fail("publish", before=False)

    def abort(self, staging: Staging) -> None:
        self._maybe_fail("abort", before=True)
        super().abort(staging)
        self._maybe_fail("abort", before=False)

    def _maybe_fail(self, step: Step, *, before: bool) -> None:
        if step != self.fail_on or before == self.after:
            return
        self.step_calls += 1
        if self.at_call <= self.step_calls < self.at_call + self.times:
            when = "after" if self.after else "before"
            raise InjectedFault(f"injected fault {when} {step} (call {self.step_calls})")


class MemoryHomeConfig(HomeConfig):
    """A config whose `open` returns a given MemoryHome (engine tests only)."""

    type: Literal["memory"] = "memory"
    capabilities: ClassVar[HomeCapabilities] = HomeCapabilities()
    _home: MemoryHome = PrivateAttr()

    @classmethod
    def of(cls, home: MemoryHome) -> MemoryHomeConfig:
        config = cls()
        config._home = home
        return config

    def open(self, place: Place) -> MemoryHome:
        return self._home


class MemoryStoreConfig(StoreConfig):
    """A config whose `open(place)` returns the given store, seen as `place.entity`'s."""

    type: Literal["memory"] = "memory"
    capabilities: ClassVar[StoreCapabilities] = StoreCapabilities(
        run_types=frozenset({RunType.FULL_DROP, RunType.INCREMENTAL})
    )
    _store: MemoryStore = PrivateAttr()

    @classmethod
    def of(cls, store: MemoryStore) -> MemoryStoreConfig:
        config = cls()
        config._store = store
        return config

    def open(self, place: Place) -> MemoryStore:
        if isinstance(self._store, FailingStore):
            self._store.entity = place.entity
            return self._store  # keeps its fault counters
        return self._store.for_entity(place.entity)
