"""The store contract: what every store (files, SQL, blob, Open Mirroring) must do.

A store is done when a subclass of `StoreContract` passes. The subclass provides:

- `open_store` fixture: a factory returning a *fresh* store object for one entity each call
  (a fresh object stands for a fresh process after a crash);
- `read_published` fixture: `(schema) -> DataFrame | None`, everything published for that
  entity read back in `schema` (None when nothing was ever published);
- `capabilities`: the StoreCapabilities its config declares;
- `unwritable_columns`: columns of `tests.support.data.all_types()` it must refuse with a
  DataError naming them (e.g. csv cannot carry lists);
- `fill_foreign` fixture: `() -> None`, put data where the entity's store publishes that this
  store did not write (a stranger's files, a table hygge did not create): the store must
  refuse it (`ownership_problem`, and `prepare` raising StoreOwnershipError);
- optionally `publish_crash_points` and a `crash_publish` fixture
  `(point, run_type) -> context manager` that makes `publish` die at that internal step, to
  prove that publishing again recovers.

"Crash" below means: the process died; only the last checkpointed `Staging` survives.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import ClassVar

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from hygge.engine.partitions import partition_stagings, run_staging
from hygge.errors import ConfigError, DataError, InjectedFault, StateError, StoreOwnershipError
from hygge.faults import reset_faults
from hygge.homes import PartitionSpec
from hygge.stores.base import CommitRecord, Staging, Store, StoreCapabilities
from hygge.types import RunType
from tests.support.data import all_types, content_hash, orders, split_rows, with_id

OpenStore = Callable[[], Store]
ReadPublished = Callable[[pl.Schema], pl.DataFrame | None]
CrashPublish = Callable[[str, RunType], contextlib.AbstractContextManager[None]]
BOTH = pytest.mark.parametrize(
    "run_type",
    [pytest.param(RunType.FULL_DROP, id="full_drop"), pytest.param(RunType.INCREMENTAL, id="incr")],
)
SCHEMA = orders(1).schema


def stage(store: Store, frames: list[pl.DataFrame], run_type: RunType, run_id: str) -> Staging:
    """Prepare a run and write every frame, as the engine does."""
    staging = store.prepare(run_id, run_type)
    for frame in frames:
        staging = store.write(staging, frame)
    return staging


def run(store: Store, frames: list[pl.DataFrame], run_type: RunType, run_id: str) -> None:
    """A whole successful run."""
    store.publish(stage(store, frames, run_type, run_id))


def assert_same_rows(actual: pl.DataFrame | None, expected: pl.DataFrame) -> None:
    """Nothing lost, nothing doubled: same row count and the same content hash."""
    assert actual is not None, "nothing was published"
    assert actual.height == expected.height
    assert content_hash(actual) == content_hash(expected)


class StoreContract:
    """Behaviour every store must show; see the module docstring for what to provide."""

    capabilities: ClassVar[StoreCapabilities] = StoreCapabilities()
    unwritable_columns: ClassVar[frozenset[str]] = frozenset()
    publish_crash_points: ClassVar[tuple[str, ...]] = ()

    @pytest.fixture
    def open_store(self) -> OpenStore:
        raise NotImplementedError("a store contract subclass provides open_store")

    @pytest.fixture
    def read_published(self) -> ReadPublished:
        raise NotImplementedError("a store contract subclass provides read_published")

    @pytest.fixture
    def fill_foreign(self) -> Callable[[], None]:
        raise NotImplementedError("a store contract subclass provides fill_foreign")

    def test_a_new_place_is_the_entitys_to_publish_into(self, open_store: OpenStore) -> None:
        assert open_store().ownership_problem() is None

    @BOTH
    def test_a_place_holding_data_it_did_not_write_is_refused_before_staging(
        self,
        open_store: OpenStore,
        fill_foreign: Callable[[], None],
        read_published: ReadPublished,
        run_type: RunType,
    ) -> None:
        fill_foreign()
        before = read_published(SCHEMA)
        store = open_store()
        assert store.ownership_problem()
        assert store.check(), "check() must report what prepare refuses"
        with pytest.raises(StoreOwnershipError):
            store.prepare("run-1", run_type)
        after = read_published(SCHEMA)
        assert (before is None) == (after is None)
        if before is not None and after is not None:
            assert content_hash(after) == content_hash(before)

    @BOTH
    def test_what_a_store_published_stays_its_own_for_a_fresh_store(
        self, open_store: OpenStore, run_type: RunType
    ) -> None:
        run(open_store(), [orders(3)], run_type, "run-1")
        assert open_store().ownership_problem() is None
        run(open_store(), [orders(2)], run_type, "run-2")

    @pytest.fixture
    def crash_publish(self) -> CrashPublish:
        return lambda point, run_type: contextlib.nullcontext()

    def test_full_drop_publish_makes_every_batch_visible(self, open_store, read_published):
        source = orders(10)
        run(open_store(), split_rows(source, 3), RunType.FULL_DROP, "run-1")
        assert_same_rows(read_published(SCHEMA), source)

    def test_full_drop_replaces_everything_published_before(self, open_store, read_published):
        run(open_store(), split_rows(orders(10), 4), RunType.FULL_DROP, "run-1")
        second = orders(5, start=100)
        run(open_store(), split_rows(second, 2), RunType.FULL_DROP, "run-2")
        assert_same_rows(read_published(SCHEMA), second)

    def test_incremental_appends_to_what_was_published(self, open_store, read_published):
        first, second, third = orders(6), orders(4, start=6), orders(3, start=10)
        run(open_store(), split_rows(first, 4), RunType.FULL_DROP, "run-1")
        run(open_store(), split_rows(second, 3), RunType.INCREMENTAL, "run-2")
        run(open_store(), [third], RunType.INCREMENTAL, "run-3")
        assert_same_rows(read_published(SCHEMA), pl.concat([first, second, third]))

    @BOTH
    def test_staged_batches_stay_invisible_until_publish(
        self, open_store, read_published, run_type
    ):
        before = orders(4)
        run(open_store(), [before], RunType.FULL_DROP, "run-1")
        staging = stage(open_store(), split_rows(orders(6, start=4), 2), run_type, "run-2")
        assert_same_rows(read_published(SCHEMA), before)
        open_store().publish(staging)
        expected = orders(10) if run_type is RunType.INCREMENTAL else orders(6, start=4)
        assert_same_rows(read_published(SCHEMA), expected)

    @BOTH
    def test_abort_leaves_published_data_exactly_as_it_was(
        self, open_store, read_published, run_type
    ):
        before = orders(5)
        run(open_store(), [before], RunType.FULL_DROP, "run-1")
        staging = stage(open_store(), split_rows(orders(4, start=5), 2), run_type, "run-2")
        open_store().abort(staging)
        open_store().abort(staging)  # idempotent
        assert_same_rows(read_published(SCHEMA), before)

    @BOTH
    def test_missing_staged_names_listed_artefacts_only_once_they_are_gone(
        self, open_store, run_type
    ):
        staging = stage(open_store(), split_rows(orders(6), 3), run_type, "run-1")
        open_store().sync(staging)
        assert open_store().missing_staged(staging) == []
        open_store().abort(staging)  # the staged data is gone, as if removed by hand
        assert open_store().missing_staged(staging) == staging.artefacts

    def test_abort_of_a_first_run_publishes_nothing(self, open_store, read_published):
        staging = stage(open_store(), [orders(3)], RunType.FULL_DROP, "run-1")
        open_store().abort(staging)
        published = read_published(SCHEMA)
        assert published is None or published.height == 0

    @BOTH
    def test_publishing_the_same_staging_twice_publishes_it_once(
        self, open_store, read_published, run_type
    ):
        run(open_store(), [orders(3)], RunType.FULL_DROP, "run-1")
        staging = stage(open_store(), split_rows(orders(4, start=3), 3), run_type, "run-2")
        open_store().publish(staging)
        open_store().publish(staging)
        expected = orders(7) if run_type is RunType.INCREMENTAL else orders(4, start=3)
        assert_same_rows(read_published(SCHEMA), expected)

    @BOTH
    def test_a_repeated_publish_of_a_committed_run_changes_nothing(
        self, open_store, read_published, run_type
    ):
        run(open_store(), [orders(3)], RunType.FULL_DROP, "run-1")
        staging = stage(open_store(), [orders(4, start=3)], run_type, "run-2")
        record = CommitRecord(run_id="run-2", run_type=run_type, window_upper=6, rows=4)
        open_store().publish(staging, record)
        open_store().publish(staging, record)  # a retried publish in a fresh process
        expected = orders(7) if run_type is RunType.INCREMENTAL else orders(4, start=3)
        assert_same_rows(read_published(SCHEMA), expected)
        assert open_store().last_commit() == record

    @BOTH
    def test_the_completion_marker_names_the_last_published_run(self, open_store, run_type):
        assert open_store().last_commit() is None
        run(open_store(), [orders(2)], run_type, "run-1")
        run(open_store(), [orders(2, start=2)], run_type, "run-2")
        last = open_store().last_commit()
        assert last is not None and (last.run_id, last.run_type) == ("run-2", run_type)

    @BOTH
    def test_a_lingering_writer_of_a_superseded_run_cannot_resurrect_its_rows(
        self, open_store, read_published, run_type
    ):
        old = stage(open_store(), [orders(3)], run_type, "run-1")
        open_store().publish(old)
        run(open_store(), [orders(2, start=3)], RunType.FULL_DROP, "run-2")
        with pytest.raises(StateError):
            open_store().write(old, orders(1, start=9))  # its staging is gone
        open_store().publish(old)  # the old writer retries its publish
        assert_same_rows(read_published(SCHEMA), orders(2, start=3))
        last = open_store().last_commit()
        assert last is not None and last.run_id == "run-2"

    @BOTH
    def test_sync_keeps_every_staged_artefact_and_publishes_them_unchanged(
        self, open_store, read_published, run_type
    ):
        # The engine syncs staging before each checkpoint lists it, in a fresh store object.
        source = orders(9)
        staging = stage(open_store(), split_rows(source, 4), run_type, "run-1")
        open_store().sync(staging)
        open_store().sync(staging)  # idempotent
        open_store().publish(staging)
        assert_same_rows(read_published(SCHEMA), source)

    def test_full_drop_of_an_empty_source_empties_the_entity(self, open_store, read_published):
        run(open_store(), [orders(5)], RunType.FULL_DROP, "run-1")
        run(open_store(), [], RunType.FULL_DROP, "run-2")
        published = read_published(SCHEMA)
        assert published is None or published.height == 0

    @BOTH
    @pytest.mark.parametrize("crash_after", [0, 1, 2, 3])
    def test_crash_after_a_checkpointed_write_resumes_without_loss_or_doubling(
        self, open_store, read_published, run_type, crash_after
    ):
        source = orders(12)
        batches = split_rows(source, 3)
        checkpoint = stage(open_store(), batches[:crash_after], run_type, "run-1")
        resumed = open_store()
        resumed.discard_unlisted(checkpoint)
        for batch in batches[crash_after:]:
            checkpoint = resumed.write(checkpoint, batch)
        open_store().publish(checkpoint)
        assert_same_rows(read_published(SCHEMA), source)

    @BOTH
    def test_writes_after_the_last_checkpoint_are_discarded_on_resume(
        self, open_store, read_published, run_type
    ):
        source = orders(9)
        batches = split_rows(source, 3)
        store = open_store()
        checkpoint = stage(store, batches[:1], run_type, "run-1")
        store.write(store.write(checkpoint, batches[1]), batches[2])  # never checkpointed
        resumed = open_store()
        resumed.discard_unlisted(checkpoint)
        for batch in batches[1:]:
            checkpoint = resumed.write(checkpoint, batch)
        resumed.publish(checkpoint)
        assert_same_rows(read_published(SCHEMA), source)

    @BOTH
    def test_publish_recovers_from_a_crash_at_every_internal_step(
        self, open_store, read_published, crash_publish, run_type
    ):
        published = orders(4)
        run(open_store(), [published], RunType.FULL_DROP, "run-0")
        for number, point in enumerate(self.publish_crash_points, start=1):
            frame = orders(5, start=number * 10)
            staging = stage(open_store(), split_rows(frame, 2), run_type, f"run-{number}")
            with pytest.raises(InjectedFault), crash_publish(point, run_type):
                open_store().publish(staging)
            open_store().publish(staging)  # the engine retries publish after a crash
            incremental = run_type is RunType.INCREMENTAL
            published = pl.concat([published, frame]) if incremental else frame
            assert_same_rows(read_published(SCHEMA), published)

    @pytest.mark.parametrize("column", all_types().columns)
    def test_every_polars_type_round_trips_or_fails_naming_the_column(
        self, open_store, read_published, column
    ):
        frame = with_id(all_types(), column)
        store = open_store()
        staging = store.prepare("run-1", RunType.FULL_DROP)
        if column in self.unwritable_columns:
            with pytest.raises(DataError, match=column):
                store.write(staging, frame)
            store.abort(staging)
            return
        store.publish(store.write(staging, frame))
        published = read_published(frame.schema)
        assert published is not None
        assert_frame_equal(published.sort("id"), frame)

    def test_a_reader_mid_publish_sees_a_whole_run_where_visibility_is_declared_atomic(
        self, open_store, read_published, monkeypatch
    ):
        run(open_store(), [orders(3)], RunType.FULL_DROP, "run-0")
        before = orders(3)
        # Each run type the store declares atomic for readers, one publish after the other.
        for number, run_type in enumerate(sorted(self.capabilities.atomic_visibility), start=1):
            new = orders(6, start=3 + 10 * number)
            staging = stage(open_store(), split_rows(new, 3), run_type, f"run-{number}")
            monkeypatch.setenv("HYGGE_FAULT", "during_publish:raise")
            reset_faults()
            with contextlib.suppress(InjectedFault):  # a store without the point publishes whole
                open_store().publish(staging)
            after = pl.concat([before, new]) if run_type is RunType.INCREMENTAL else new
            seen = read_published(SCHEMA)
            assert seen is not None
            assert content_hash(seen) in {content_hash(before), content_hash(after)}
            monkeypatch.delenv("HYGGE_FAULT")
            open_store().publish(staging)
            assert_same_rows(read_published(SCHEMA), after)
            before = after

    @BOTH
    def test_partitions_staged_apart_never_collide_nor_discard_each_others_artefacts(
        self, open_store, read_published, run_type
    ):
        batches = split_rows(orders(15), 3)
        if not self.capabilities.partitioned_staging:
            self._partitions_one_after_another(open_store, read_published, run_type, batches)
            return
        base = open_store().prepare("run-1", run_type)
        a, b = partition_stagings(base, [PartitionSpec(id="a"), PartitionSpec(id="b")])
        a, b = open_store().write(a, batches[0]), open_store().write(b, batches[1])
        b_in_flight = open_store().write(b, batches[2])  # b's chunk, not checkpointed yet
        open_store().write(open_store().write(a, batches[3]), batches[4])  # a dies before its
        open_store().discard_unlisted(a)  # a resumes: only its own unlisted files go
        for batch in batches[3:]:
            a = open_store().write(a, batch)
        b = b_in_flight  # b's chunk checkpoints
        open_store().publish(run_staging(base, [a, b]))
        assert_same_rows(read_published(SCHEMA), orders(15))

    @staticmethod
    def _partitions_one_after_another(open_store, read_published, run_type, batches):
        """Without partitioned_staging the engine moves partitions one after another through
        the run's one staging: a partition's chunk that dies is discarded, the others' stay."""
        staging = open_store().prepare("run-1", run_type)
        for batch in batches[:2]:  # partition a, checkpointed
            staging = open_store().write(staging, batch)
        open_store().write(staging, batches[2])  # partition b's first chunk dies unlisted
        open_store().discard_unlisted(staging)  # b resumes
        for batch in batches[2:]:
            staging = open_store().write(staging, batch)
        open_store().publish(staging)
        assert_same_rows(read_published(SCHEMA), orders(15))

    def test_declared_capabilities_match_behaviour(self, open_store, read_published):
        for run_type in RunType:
            if self.capabilities.supports(run_type):
                continue
            with pytest.raises(ConfigError):
                open_store().prepare(f"run-{run_type.value}", run_type)
