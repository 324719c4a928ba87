"""The names a file store publishes: its `file_pattern` (or the default per run type)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from hygge.errors import ConfigError
from hygge.io.patterns import TIMESTAMP_FORMAT, FilePattern
from hygge.stores.base import Staging
from hygge.stores.files import LocalStoreConfig
from hygge.types import Place, RunType

FILE_RUN_TYPES = (RunType.FULL_DROP, RunType.INCREMENTAL)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RUN = "0" * 32  # a run id as long as a real one
# A file is staged as `<name>~<attempt>` (9 bytes more) and written under
# `.<name>.<8 hex>.tmp` (14 more), and `{sequence}` may grow.
MAX_FILE_NAME_BYTES = 230


class FileNaming:
    """Renders one store's file names; a pattern that readers would skip is a ConfigError."""

    def __init__(self, config: LocalStoreConfig, place: Place) -> None:
        self.place = place
        text, extension = config.file_pattern, config.extension
        self._patterns = {
            run_type: _pattern(text, extension, place.entity, place.flow, run_type)
            for run_type in FILE_RUN_TYPES
        }

    def name(self, staging: Staging, sequence: int) -> str:
        """The published name of the run's file number `sequence`."""
        started = datetime.strptime(str(staging.extra["started"]), TIMESTAMP_FORMAT)
        return self._patterns[staging.run_type].render(
            sequence=sequence,
            entity=self.place.entity,
            flow=self.place.flow,
            run_id=staging.run_id,
            started=started,
        )

    def sequence_of(self, run_type: RunType, name: str) -> int | None:
        """The `{sequence}` a published name of `run_type` carries; None if not of the pattern."""
        pattern = self._patterns[run_type]
        return pattern.sequence_of(name, entity=self.place.entity, flow=self.place.flow)

    def first_sequence(
        self, run_type: RunType, published: Callable[[], Iterable[str] | None]
    ) -> int:
        """Where a run's `{sequence}` starts: after the highest published one when names do
        not differ per run (`published()`: the names in the entity folder, listed only then;
        None if there is none)."""
        pattern = self._patterns[run_type]
        if run_type is RunType.FULL_DROP or pattern.unique_per_run:
            return 0
        names = published()
        if names is None:
            return 0
        entity, flow = self.place.entity, self.place.flow
        found = [pattern.sequence_of(name, entity=entity, flow=flow) for name in names]
        return max((s for s in found if s is not None), default=-1) + 1


@functools.lru_cache(maxsize=1024)  # the same few patterns for every entity of a flow
def _pattern(
    file_pattern: str | None, extension: str, entity: str, flow: str, run_type: RunType
) -> FilePattern:
    """The validated pattern (frozen, so shared); a ConfigError is raised anew each call."""
    if file_pattern is not None:
        text = file_pattern
        if not text.endswith(extension):
            text += extension  # readers pick files by extension: never publish unseen files
    elif run_type is RunType.INCREMENTAL:
        text = "{timestamp}_{run_id}_{sequence:05d}" + extension
    else:
        text = "{sequence:020d}" + extension
    pattern = _parsed(text)
    sample = pattern.render(sequence=0, entity=entity, flow=flow, run_id=_RUN, started=_EPOCH)
    if sample.startswith((".", "_")):
        raise ConfigError(
            f"file_pattern {text!r} makes names starting with '.' or '_' ({sample}), "
            f"which readers skip as hidden; start the pattern differently"
        )
    if len(sample.encode()) > MAX_FILE_NAME_BYTES:
        raise ConfigError(
            f"store of {flow}.{entity}: file_pattern {text!r} makes names of "
            f"{len(sample.encode())} bytes; file names are limited to 255 bytes, and hygge "
            f"needs room for its temp names and growing sequences: at most "
            f"{MAX_FILE_NAME_BYTES}",
            hint="shorten the pattern (drop {flow} or {entity}: the folder names them)",
        )
    return pattern


@functools.lru_cache(maxsize=64)  # parsing does not depend on the entity: once per text
def _parsed(text: str) -> FilePattern:
    return FilePattern.parse(text)
