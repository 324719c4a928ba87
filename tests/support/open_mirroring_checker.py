"""A checker of Open Mirroring landing zones, and a replayer of their row markers.

`problems(storage, landing)` lists everything in a landing zone that breaks Microsoft's spec
as hygge reads it: each table folder's `_metadata.json` (keyColumns a list of names,
fileDetectionStrategy and isUpsertDefaultRowMarker well formed), its data files (parquet,
whole, `__rowMarker__` last with 0/1/2/4, only 0 without keyColumns), sequential names of 20
digits with no gap and no repeat, a `_schema.json` naming the columns of the files with the
spec's types, no staging or temporary file visible, and `_partnerEvents.json` well formed.

`replay(storage, table)` applies the files' row markers in the order Fabric reads them (by
sequence; by last update time for timestamp detection): insert, update, delete, upsert by
keyColumns; the table that results, without the marker, is what Fabric's mirror holds.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import polars as pl

from hygge.storage import ObjectStorage, join_key
from hygge.stores.open_mirroring import spec

_SEQUENTIAL = re.compile(r"^\d{20}\.parquet$")
_HYGGE_FILES = {spec.METADATA, spec.SCHEMA_FILE, "_hygge_store.json"}


def _read_json(storage: ObjectStorage, key: str) -> Any:
    with storage.open_read(key) as handle:
        return json.loads(handle.read())


def _read_parquet(storage: ObjectStorage, key: str) -> pl.DataFrame:
    with storage.open_read(key) as handle:
        return pl.read_parquet(io.BytesIO(handle.read()))


def tables(storage: ObjectStorage, landing: str) -> list[str]:
    """The table folders of a landing zone (those holding `_metadata.json`)."""
    found = set()
    for info in storage.list(landing):
        if info.key.endswith(f"/{spec.METADATA}"):
            found.add(info.key.rpartition("/")[0])
    return sorted(found)


def data_files(storage: ObjectStorage, table: str) -> list[tuple[str, int]]:
    """(name, mtime_ns) of the data files of a table folder, in the order Fabric reads them."""
    metadata = _read_json(storage, join_key(table, spec.METADATA))
    start = len(table) + 1
    files = [
        (info.key[start:], info.mtime_ns)
        for info in storage.list(table)
        if "/" not in info.key[start:] and not info.key[start:].startswith("_")
    ]
    if metadata.get("fileDetectionStrategy") == spec.TIMESTAMP_DETECTION:
        return sorted(files, key=lambda file: (file[1], file[0]))
    return sorted(files)


def problems(storage: ObjectStorage, landing: str) -> list[str]:
    """Every way the landing zone breaks the spec; [] when it keeps it."""
    found: list[str] = []
    for info in storage.list(landing):
        name = info.key.rpartition("/")[2]
        if name.startswith(".") or name.endswith(".tmp") or "~" in name:
            found.append(f"{info.key}: a staging or temporary file is visible")
    events = join_key(landing, spec.PARTNER_EVENTS)
    if storage.stat(events) is not None:
        content = _read_json(storage, events)
        if not isinstance(content.get("partnerName"), str) or not isinstance(
            content.get("sourceInfo"), dict
        ):
            found.append(f"{events}: needs partnerName and sourceInfo")
    for table in tables(storage, landing):
        found.extend(_table_problems(storage, table))
    return found


def _table_problems(storage: ObjectStorage, table: str) -> list[str]:
    found: list[str] = []
    metadata = _read_json(storage, join_key(table, spec.METADATA))
    keys = metadata.get("keyColumns", [])
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        found.append(f"{table}: keyColumns is not a list of column names")
        keys = []
    unknown = set(metadata) - {"keyColumns", "fileDetectionStrategy", "isUpsertDefaultRowMarker"}
    if unknown:
        found.append(f"{table}: _metadata.json has keys the spec does not: {sorted(unknown)}")
    strategy = metadata.get("fileDetectionStrategy")
    if strategy not in (None, spec.TIMESTAMP_DETECTION):
        found.append(f"{table}: fileDetectionStrategy {strategy!r} is not a known one")
    if not isinstance(metadata.get("isUpsertDefaultRowMarker", False), bool):
        found.append(f"{table}: isUpsertDefaultRowMarker is not a boolean")
    files = data_files(storage, table)
    start = len(table) + 1
    for info in storage.list(table):
        name = info.key[start:]
        if name.startswith("_") and name not in _HYGGE_FILES:
            found.append(f"{table}: unexpected file {name}")
    if strategy is None:
        numbers = []
        for name, _ in files:
            if not _SEQUENTIAL.match(name):
                found.append(f"{table}/{name}: not a 20-digit sequential name")
            else:
                numbers.append(int(name[:20]))
        if numbers and numbers != list(range(numbers[0], numbers[0] + len(numbers))):
            found.append(f"{table}: sequence numbers have a gap or repeat: {numbers}")
    last_schema: pl.Schema | None = None
    for name, _ in files:
        key = join_key(table, name)
        try:
            frame = _read_parquet(storage, key)
        except Exception as exc:  # a partial file
            found.append(f"{key}: not a whole parquet file ({exc})")
            continue
        if not frame.columns or frame.columns[-1] != spec.ROW_MARKER:
            found.append(f"{key}: {spec.ROW_MARKER} is not the last column")
            continue
        markers = set(frame[spec.ROW_MARKER].unique().to_list())
        if not markers <= spec.MARKER_VALUES:
            found.append(f"{key}: row markers {sorted(markers, key=str)} outside 0/1/2/4")
        if not keys and markers - {0}:
            found.append(f"{key}: updates or deletes without keyColumns")
        missing = [k for k in keys if k not in frame.columns]
        if missing:
            found.append(f"{key}: key columns {missing} missing")
        last_schema = frame.schema
    schema_key = join_key(table, spec.SCHEMA_FILE)
    ours = storage.stat(join_key(table, "_hygge_store.json")) is not None
    if last_schema is not None and ours:  # hygge's table: its `_schema.json` must be right
        if storage.stat(schema_key) is None:
            found.append(f"{table}: no {spec.SCHEMA_FILE}")
        elif _read_json(storage, schema_key) != spec.schema_file(last_schema):
            found.append(f"{table}: {spec.SCHEMA_FILE} does not describe the files' columns")
    return found


def assert_valid(storage: ObjectStorage, landing: str) -> None:
    """AssertionError listing the spec problems of the landing zone, if any."""
    found = problems(storage, landing)
    assert not found, "\n".join(found)


def replay(storage: ObjectStorage, table: str) -> pl.DataFrame | None:
    """The table Fabric builds from the folder's files (None without any file)."""
    if storage.stat(join_key(table, spec.METADATA)) is None:
        return None
    keys = _read_json(storage, join_key(table, spec.METADATA)).get("keyColumns", [])
    frames = [_read_parquet(storage, join_key(table, n)) for n, _ in data_files(storage, table)]
    if not frames:
        return None
    rows: dict[Any, tuple[int, int]] = {}
    for index, frame in enumerate(frames):
        ids = frame.select(keys).iter_rows() if keys else iter(range(frame.height))
        for row, (identity, marker) in enumerate(zip(ids, frame[spec.ROW_MARKER], strict=True)):
            key = identity if keys else (index, identity)
            if marker == 0:
                assert key not in rows, f"insert of key {key} already in {table}"
                rows[key] = (index, row)
            elif marker == 1:
                assert key in rows, f"update of key {key} not in {table}"
                rows[key] = (index, row)
            elif marker == 2:
                rows.pop(key, None)
            else:
                rows[key] = (index, row)
    picked: dict[int, list[int]] = {}
    for index, row in rows.values():
        picked.setdefault(index, []).append(row)
    parts = [frames[i][r].drop(spec.ROW_MARKER) for i, r in sorted(picked.items())]
    if not parts:
        return frames[-1].clear().drop(spec.ROW_MARKER)
    return pl.concat(parts, how="diagonal_relaxed")
