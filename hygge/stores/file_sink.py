"""Sinking a polars lazy frame into a file store's staging: polars' streaming engine writes
the staged files itself (decode, polish and encode multi-threaded, memory bounded), named as
`write` names them: one file per chunk when the user set no `batch_size` and the chunk's rows
are bounded (`one_file`), else files of the store's `batch_size` rows cut by
`pl.PartitionBy` (which costs about a third more CPU and most of the peak over a plain sink).

Each file is written under a hidden temporary name (`hygge.io.atomic.temp_name` of its staged
name, so `discard_unlisted` knows whose it is), fsynced on close, then renamed to its staged
name in write order; `on_file(rows)` runs after each, where the batch path's `write` returns.
"""

from __future__ import annotations

import inspect
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from hygge.io.atomic import temp_name
from hygge.io.readers import parquet_row_count
from hygge.io.writers import DEFAULT_COMPRESSION
from hygge.storage import join_key
from hygge.stores.artefact_names import staged_name
from hygge.stores.base import Staging
from hygge.stores.files import LocalStoreConfig

if TYPE_CHECKING:
    from hygge.stores.file_store import FileStore

# The writer options sink_parquet takes as write_parquet does.
SINK_OPTIONS = frozenset(
    {"compression", "compression_level", "statistics", "row_group_size", "data_page_size"}
)


# Rows of each sunk file as the sink reports them, where this polars reports them (an
# unstable API): otherwise, and for a file it did not report, read from the file's footer.
REPORTS_ROWS = "sinked_paths_callback" in inspect.signature(pl.LazyFrame.sink_parquet).parameters

SETTLE = 0.1  # seconds without a new temporary file after which a failed sink is settled
SETTLE_LIMIT = 2.0  # seconds a failed sink's cleanup waits at most


class SinkClosedError(RuntimeError):
    """A polars writer task asked for a file name after its sink returned."""


def sinks(config: LocalStoreConfig) -> bool:
    """Whether the store's files can be sunk: parquet, with options sink_parquet takes."""
    return config.format == "parquet" and set(config.format_options) <= SINK_OPTIONS


@contextmanager
def _sink_folder(local: Path | None) -> Iterator[Path]:
    """The staging folder itself on a local disk, else a temporary folder to put from."""
    if local is not None:
        yield local
        return
    with tempfile.TemporaryDirectory(prefix="hygge-stage-") as folder:
        yield Path(folder)


def one_file(config: LocalStoreConfig, chunk_rows: int | None) -> bool:
    """Whether a chunk of at most about `chunk_rows` rows (None: not bounded) is sunk as one
    file: when no `batch_size` was set (store block, flow defaults or entity) and it is
    bounded. An explicit `batch_size` is the user's rows per file, kept exactly."""
    return config.batch_size is None and chunk_rows is not None


def sink_staged(
    store: FileStore,
    staging: Staging,
    frame: pl.LazyFrame,
    on_file: Callable[[int], None],
    *,
    chunk_rows: int | None = None,
) -> Staging:
    """Sink `frame` (at most about `chunk_rows` rows; None: not bounded) as staged files;
    returns the staging with them listed (empty: none)."""
    location = store.live_staging(staging)
    config = store.config
    options: dict[str, Any] = {
        "compression": config.compression or DEFAULT_COMPRESSION,
        **config.format_options,
    }
    planned: dict[int, tuple[int, Path]] = {}  # file index -> (sequence, temporary path)
    reported: dict[Path, int] = {}  # temporary path -> rows, as the sink reports them
    returned = False
    with _sink_folder(store.storage.local_path(location)) as folder:

        def path_at(index: int) -> Path:
            if returned:
                raise SinkClosedError("a file was asked for after the sink returned")
            sequence = staging.next_sequence + index * staging.sequence_step
            name = store.naming.name(staging, sequence)
            temp = folder / temp_name(staged_name(name, staging.attempt_id))
            planned[index] = (sequence, temp)
            return temp

        target: Path | pl.PartitionBy
        if one_file(config, chunk_rows):
            target = path_at(0)  # a plain sink: one file, the chunk's rows
        else:
            target = pl.PartitionBy(
                folder,
                file_path_provider=lambda args: path_at(args.index_in_partition),
                max_rows_per_file=config.rows_per_batch(),
                approximate_bytes_per_file=None,
            )
        if REPORTS_ROWS:
            options["sinked_paths_callback"] = lambda sunk: reported.update(
                (Path(path.path), path.num_rows) for path in sunk.paths
            )
        try:
            frame.sink_parquet(target, sync_on_close="all", **options)
        except BaseException:
            returned = True
            _remove_settled(planned)
            raise
        returned = True  # the sink has finished: every file it planned is closed
        try:
            for index in sorted(planned):
                sequence, temp = planned[index]
                rows = reported.get(temp)
                rows = parquet_row_count(temp) if rows is None else rows
                staging = _staged(store, staging, location, (sequence, temp, rows), on_file)
        finally:  # an error or Ctrl-C part way: the files not renamed yet go
            _remove(planned)
    return staging


def _remove(planned: dict[int, tuple[int, Path]]) -> bool:
    """Remove the planned temporary files there are; whether there were any."""
    found = False
    for _, temp in list(planned.values()):  # a copy: a late writer task may still add one
        try:
            temp.unlink()
        except FileNotFoundError:
            continue
        found = True
    return found


def _remove_settled(planned: dict[int, tuple[int, Path]]) -> None:
    """Remove a failed sink's temporary files until no writer task has made one for SETTLE
    seconds (SETTLE_LIMIT at most): polars returns the error before its writers have stopped."""
    start = quiet_since = time.monotonic()
    while True:
        now = time.monotonic()
        if _remove(planned):
            quiet_since = now
        if now - quiet_since >= SETTLE or now - start >= SETTLE_LIMIT:
            return
        time.sleep(0.005)


def _staged(
    store: FileStore,
    staging: Staging,
    location: str,
    sunk: tuple[int, Path, int],
    on_file: Callable[[int], None],
) -> Staging:
    """One sunk file of `rows` renamed (or put) to its staged name, listed; an empty one
    dropped."""
    sequence, temp, rows = sunk
    if not rows:
        return staging
    name = store.unpublished_name(staging, sequence)
    staged = staged_name(name, staging.attempt_id)
    key = join_key(location, staged)
    local = store.storage.local_path(key)
    if local is not None:
        temp.replace(local)
    else:
        with temp.open("rb") as data:
            store.storage.put(key, data)
    staging = staging.model_copy(
        update={
            "artefacts": [*staging.artefacts, staged],
            "next_sequence": sequence + staging.sequence_step,
        }
    )
    on_file(rows)
    return staging
