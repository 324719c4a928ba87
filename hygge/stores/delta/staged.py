"""A run's staged parquet files, read back for its publish as one Arrow stream.

The staging keeps the union of the batches' schemas (a column added mid-run is null in the
batches before it), so a publish streams file after file into delta-rs, never holding more
than one staged file: memory follows the batch size, not the run.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from hygge.storage import ObjectStorage, join_key

if TYPE_CHECKING:
    from hygge.stores.base import Staging
    from hygge.types import JsonValue

SCHEMA_KEY = "schema"  # Staging.extra: the union of the staged batches' Arrow schemas


def with_schema(staging: Staging, schema: pa.Schema) -> dict[str, JsonValue]:
    """`staging.extra` with `schema` merged into the run's schema."""
    known = run_schema(staging)
    if known is not None:
        schema = pa.unify_schemas([known, schema], promote_options="permissive")
    text = base64.b64encode(schema.serialize().to_pybytes()).decode("ascii")
    return {**staging.extra, SCHEMA_KEY: text}


def run_schema(staging: Staging) -> pa.Schema | None:
    """The run's schema; None before its first batch."""
    text = staging.extra.get(SCHEMA_KEY)
    return decode(text) if isinstance(text, str) else None


def decode(text: str) -> pa.Schema:
    """A schema from base64 Arrow IPC (the staging's, or the engine's `arrow_schema`)."""
    return pa.ipc.read_schema(pa.py_buffer(base64.b64decode(text)))


def stream(storage: ObjectStorage, folder: str, staging: Staging) -> pa.RecordBatchReader | None:
    """The staged rows in staging order, each batch in the run's schema; None if none."""
    schema = run_schema(staging)
    if schema is None or not staging.artefacts:
        return None

    def batches() -> Iterator[pa.RecordBatch]:
        for name in staging.artefacts:
            for batch in _read(storage, join_key(folder, name)).to_batches():
                yield _aligned(batch, schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


def _read(storage: ObjectStorage, key: str) -> pa.Table:
    local = storage.local_path(key)
    if local is not None:
        return pq.read_table(local)
    with storage.open_read(key) as handle:
        return pq.read_table(io.BytesIO(handle.read()))


def _aligned(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    columns = [
        batch.column(field.name)
        if field.name in batch.schema.names
        else pa.nulls(batch.num_rows, field.type)
        for field in schema
    ]
    return pa.RecordBatch.from_arrays(columns, schema=schema.remove_metadata()).cast(schema)
