"""The columns of a run that staged no row, as the engine knows them (`Staging.arrow_schema`):
a store that creates its table from its data creates it empty with these on a 0-row first
full_drop, instead of creating nothing — when every column has a type: a Null-typed column
(a csv of only a header) has none yet, so nothing is created and a table there keeps its own."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

    from hygge.stores.base import Staging


def empty_frame(staging: Staging) -> pl.DataFrame | None:
    """A frame of no rows and the run's columns; None when the engine knows none."""
    if staging.arrow_schema is None:
        return None
    import polars as pl
    import pyarrow as pa

    schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(staging.arrow_schema)))
    frame = pl.from_arrow(schema.empty_table())
    assert isinstance(frame, pl.DataFrame)
    if any(isinstance(dtype, pl.Null) for dtype in frame.schema.values()):
        return None  # a column of no type (no rows said one): create nothing, rows decide
    return frame if frame.width else None


_END_OF_STREAM = b"\xff\xff\xff\xff\x00\x00\x00\x00"  # after the schema message: no batch


def known_names(staging: Staging) -> list[str]:
    """The run's column names as the engine knows them ([]: none), read by polars alone (a
    publish of rows imports no pyarrow for them)."""
    if staging.arrow_schema is None:
        return []
    import io

    import polars as pl

    stream = io.BytesIO(base64.b64decode(staging.arrow_schema) + _END_OF_STREAM)
    return list(pl.read_ipc_stream(stream).columns)
