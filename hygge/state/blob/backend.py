"""StateBackend in an Azure blob container (`hygge.state.blob` says how it is laid out)."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import polars as pl
from pydantic import TypeAdapter, ValidationError

from hygge.errors import HyggeError, StateError
from hygge.state.advice import first_problem, reload_advice
from hygge.state.base import FileRecord, ResetMark, StateKind, StateOwner, Watermark
from hygge.state.blob.leases import BlobLeases
from hygge.state.blob.objects import BlobRead
from hygge.state.journal import JournalRead, JournalRow
from hygge.state.journal_folder import (
    FILE_COLUMN,
    journal_file_name,
    journal_parquet,
    select_rows,
)
from hygge.state.journal_frame import JOURNAL_SCHEMA
from hygge.state.layout import check_name
from hygge.state.ledger import (
    LedgerShard,
    by_shard,
    decode_shard,
    encode_shard,
    is_shard_file,
    records_by_shard,
    updated,
)
from hygge.types import JsonValue

_CHECKPOINT = TypeAdapter(dict[str, JsonValue])
CAS_TRIES = 50  # a ledger shard's compare-and-swap, against writers of the same shard
READ_THREADS = 8  # journal files downloaded at once


class BlobStateBackend(BlobLeases):
    """Durable state for one workspace under `prefix` in the container of `client`."""

    # -- watermarks --------------------------------------------------------------------------

    def get_watermark(self, flow: str, entity: str) -> Watermark | None:
        key = self._key("watermarks", flow, entity)
        return self._watermark(key, self._bytes(key), flow, entity)

    def set_watermark(self, flow: str, entity: str, watermark: Watermark) -> None:
        key = self._key("watermarks", flow, entity)
        self._put(key, watermark.model_dump_json(indent=2).encode())

    def clear_watermark(self, flow: str, entity: str) -> bool:
        return self._delete(self._key("watermarks", flow, entity))

    def list_watermarks(self) -> dict[str, Watermark]:
        found: dict[str, Watermark] = {}
        for flow, entity in self._entries("watermarks"):
            watermark = self.get_watermark(flow, entity)
            if watermark is not None:  # removed between listing and reading
                found[f"{flow}.{entity}"] = watermark
        return found

    def get_reset(self, flow: str, entity: str) -> ResetMark | None:
        key = self._key("resets", flow, entity)
        raw = self._bytes(key)
        if raw is None:
            return None
        try:
            return ResetMark.model_validate_json(raw)
        except ValidationError as error:
            fix = f"Run `hygge reset -e {flow}.{entity}` again: it rewrites the blob"
            raise self._corrupt(key, error, fix) from error

    def set_reset(self, flow: str, entity: str, mark: ResetMark) -> None:
        self._put(self._key("resets", flow, entity), mark.model_dump_json().encode())

    def clear_reset(self, flow: str, entity: str) -> bool:
        return self._delete(self._key("resets", flow, entity))

    def _watermark(self, key: str, raw: bytes | None, flow: str, entity: str) -> Watermark | None:
        if raw is None:
            return None
        try:
            return Watermark.model_validate_json(raw)
        except ValidationError as error:
            raise self._corrupt(key, error, reload_advice(flow, entity)) from error

    # -- the file ledger ---------------------------------------------------------------------

    def _shard_key(self, flow: str, entity: str, shard: str) -> str:
        return f"{self._ledger_folder(flow, entity)}/{shard}.json"

    def _ledger_folder(self, flow: str, entity: str) -> str:
        return f"files/{check_name(flow, 'flow')}/{check_name(entity, 'entity')}"

    def _shard(
        self, key: str, found: BlobRead | None, flow: str, entity: str
    ) -> LedgerShard | None:
        if found is None:
            return None
        try:
            return decode_shard(found.data)
        except ValidationError as error:
            raise self._corrupt(key, error, reload_advice(flow, entity)) from error

    def read_file_ledger(
        self, flow: str, entity: str, paths: Collection[str]
    ) -> dict[str, FileRecord]:
        found: dict[str, FileRecord] = {}
        for shard, wanted in by_shard(paths).items():
            key = self._shard_key(flow, entity, shard)
            stored = self._shard(key, self._read(key), flow, entity)
            if stored is not None:
                found |= {p: stored.records[p] for p in wanted if p in stored.records}
        return found

    def write_file_ledger(self, flow: str, entity: str, records: Sequence[FileRecord]) -> None:
        """Each changing shard by compare-and-swap on its ETag, retried until it applies."""
        for shard, changes in records_by_shard(records).items():
            key = self._shard_key(flow, entity, shard)
            for _ in range(CAS_TRIES):
                found = self._read(key)
                new = updated(self._shard(key, found, flow, entity), changes)
                if new is None or self._put_if(
                    key, encode_shard(new), None if found is None else found.etag
                ):
                    break
            else:
                raise StateError(
                    f"could not record loaded files in {self.storage.describe(key)}: other "
                    f"writers changed it {CAS_TRIES} times in a row; run the entity again"
                )

    def clear_file_ledger(self, flow: str, entity: str) -> bool:
        keys = [k for k, _ in self._keys(self._ledger_folder(flow, entity))]
        shards = [k for k in keys if k.count("/") == 3 and is_shard_file(k.rsplit("/", 1)[1])]
        removed = [self._delete(key) for key in shards]  # every one, not up to the first
        return any(removed)

    def count_file_ledger(self, flow: str, entity: str) -> int:
        total = 0
        for key, _ in self._keys(self._ledger_folder(flow, entity)):
            if key.count("/") == 3 and is_shard_file(key.rsplit("/", 1)[1]):
                shard = self._shard(key, self._read(key), flow, entity)
                total += 0 if shard is None else len(shard.records)
        return total

    # -- lookback margins --------------------------------------------------------------------

    def _margin_key(self, flow: str, entity: str, pending: str | None) -> str:
        if pending is None:
            return self._key("margins", flow, entity)
        return f"{self._pending_folder(flow, entity)}/{check_name(pending, 'margin')}.parquet"

    def _pending_folder(self, flow: str, entity: str) -> str:
        return f"margins-pending/{check_name(flow, 'flow')}/{check_name(entity, 'entity')}"

    def load_margin(self, flow: str, entity: str, pending: str | None = None) -> bytes | None:
        return self._bytes(self._margin_key(flow, entity, pending))

    def save_margin(self, flow: str, entity: str, data: bytes, pending: str) -> None:
        self._put(self._margin_key(flow, entity, pending), bytes(data))

    def promote_margin(self, flow: str, entity: str, pending: str) -> None:
        data = self._bytes(self._margin_key(flow, entity, pending))
        if data is not None:
            self._put(self._margin_key(flow, entity, None), data)
        self._drop_pending_margins(flow, entity)

    def clear_margin(self, flow: str, entity: str) -> None:
        self._delete(self._margin_key(flow, entity, None))
        self._drop_pending_margins(flow, entity)

    def _drop_pending_margins(self, flow: str, entity: str) -> None:
        for key, _ in self._keys(self._pending_folder(flow, entity)):
            if key.endswith(".parquet"):
                self._delete(key)

    # -- checkpoints -------------------------------------------------------------------------

    def load_checkpoint(self, flow: str, entity: str) -> dict[str, JsonValue] | None:
        key = self._key("checkpoints", flow, entity)
        found = self._read(key)
        return None if found is None else self._checkpoint(key, found.data, flow, entity)

    def save_checkpoint(
        self, flow: str, entity: str, checkpoint: dict[str, JsonValue], *, synced: bool = True
    ) -> None:
        # `synced` is for disks: a finished blob write is durable either way.
        data = _checkpoint_bytes(flow, entity, checkpoint)
        self._put(self._key("checkpoints", flow, entity), data)

    def replace_checkpoint(
        self,
        flow: str,
        entity: str,
        checkpoint: dict[str, JsonValue],
        expected_generation: int,
        *,
        synced: bool = True,
    ) -> bool:
        """Compare-and-swap: `If-Match` on the ETag read with the stored checkpoint."""
        data = _checkpoint_bytes(flow, entity, checkpoint)
        key = self._key("checkpoints", flow, entity)
        found = self._read(key)
        if found is None:
            return False
        stored = self._checkpoint(key, found.data, flow, entity)
        if stored.get("generation", 0) != expected_generation:
            return False
        return self._put_if(key, data, found.etag)

    def clear_checkpoint(self, flow: str, entity: str, *, synced: bool = True) -> None:
        # `synced` is for disks: a finished blob delete is durable either way.
        self._delete(self._key("checkpoints", flow, entity))

    def list_checkpoints(self) -> dict[str, dict[str, JsonValue]]:
        found: dict[str, dict[str, JsonValue]] = {}
        for flow, entity in self._entries("checkpoints"):
            checkpoint = self.load_checkpoint(flow, entity)
            if checkpoint is not None:
                found[f"{flow}.{entity}"] = checkpoint
        return found

    def _checkpoint(self, key: str, raw: bytes, flow: str, entity: str) -> dict[str, JsonValue]:
        try:
            return _CHECKPOINT.validate_json(raw)
        except ValidationError as error:
            raise self._corrupt(key, error, reload_advice(flow, entity)) from error

    # -- the journal: one parquet blob per event ---------------------------------------------

    def append_journal(self, row: JournalRow) -> None:
        folder = f"journal/{check_name(row.flow, 'flow')}/{check_name(row.entity, 'entity')}"
        self._put_if(f"{folder}/{journal_file_name(row)}", journal_parquet(row), None)

    def _journal_keys(self, flows: Sequence[str], entities: Sequence[str]) -> list[str]:
        selected: list[str] = []
        for key, _ in self._keys("journal"):
            parts = key.split("/")
            if len(parts) != 4 or not parts[3].endswith(".parquet"):
                continue
            flow, entity = parts[1], parts[2]
            if flows and flow not in flows:
                continue
            if entities and f"{flow}.{entity}" not in entities and entity not in entities:
                continue
            selected.append(key)
        return selected

    def _journal_frames(self, keys: Sequence[str]) -> Iterator[tuple[str, pl.DataFrame | str]]:
        """(key, frame) per journal blob, or (key, why it cannot be read)."""

        def one(key: str) -> tuple[str, pl.DataFrame | str]:
            data = self._bytes(key)
            if data is None:
                return key, "removed while it was read"
            try:
                frame = pl.scan_parquet(
                    io.BytesIO(data),
                    schema=JOURNAL_SCHEMA,
                    missing_columns="insert",
                    extra_columns="ignore",
                ).collect()
            except (pl.exceptions.PolarsError, OSError) as error:
                text = " ".join(str(error).split())
                return key, text[:200] or type(error).__name__
            return key, frame.with_columns(pl.lit(key).alias(FILE_COLUMN))

        if not keys:
            return iter(())
        with ThreadPoolExecutor(max_workers=min(READ_THREADS, len(keys))) as pool:
            return iter(list(pool.map(one, keys)))

    def read_journal(
        self, flows: Sequence[str] = (), entities: Sequence[str] = (), limit: int | None = None
    ) -> list[JournalRow]:
        frames: list[pl.DataFrame] = []
        for key, frame in self._journal_frames(self._journal_keys(flows, entities)):
            if isinstance(frame, str):
                raise StateError(
                    f"journal blob {self.storage.describe(key)} cannot be read as a journal "
                    f"row ({frame}). Move it out of {self.journal_location()} (rows in other "
                    "blobs are unaffected)."
                )
            frames.append(frame)
        return select_rows(pl.concat(frames), flows, entities, limit) if frames else []

    def read_readable_journal(
        self, flows: Sequence[str] = (), entities: Sequence[str] = (), limit: int | None = None
    ) -> JournalRead:
        frames: list[pl.DataFrame] = []
        skipped: list[tuple[str, str]] = []
        for key, frame in self._journal_frames(self._journal_keys(flows, entities)):
            if isinstance(frame, str):
                skipped.append((self.storage.describe(key), frame))
            else:
                frames.append(frame)
        rows = select_rows(pl.concat(frames), flows, entities, limit) if frames else []
        return JournalRead(rows, skipped)

    def journal_names(self) -> list[str]:
        names = {
            f"{parts[1]}.{parts[2]}"
            for key, _ in self._keys("journal")
            if len(parts := key.split("/")) == 4
        }
        return sorted(names)

    def journal_glob(self) -> str:
        """Every journal blob, as `pl.scan_parquet` or DuckDB's `read_parquet` name them."""
        return f"az://{self.storage.container}/{self._full('journal')}/**/*.parquet"

    # -- describing --------------------------------------------------------------------------

    def _full(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def stored_entities(self, kind: StateKind) -> list[tuple[str, str]]:
        return self._entries(kind)

    def location(self) -> str:
        return self.storage.label

    def location_of(self, kind: StateKind, flow: str, entity: str) -> str:
        return self.storage.describe(self._key(kind, flow, entity))

    def journal_location(self) -> str:
        return self.storage.describe("journal")

    def writable_problem(self) -> str | None:
        """None when a blob can be written (and deleted) under the prefix."""
        key = f".hygge-probe-{uuid.uuid4().hex[:12]}"
        try:
            self._put(key, b"")
            self._delete(key)
        except HyggeError as error:
            return f"state {self.location()} is not writable: {error}"
        return None

    # -- the owner record --------------------------------------------------------------------

    def state_owner(self) -> StateOwner | None:
        raw = self._bytes("owner.json")
        if raw is None:
            return None
        try:
            return StateOwner.model_validate_json(raw)
        except ValidationError as error:
            raise StateError(
                f"state blob {self.storage.describe('owner.json')} is corrupt "
                f"({first_problem(error)}); it records which workspace the state belongs to. "
                "Run `hygge adopt-state` in the workspace that owns this state to record it "
                "again."
            ) from error

    def set_state_owner(self, owner: StateOwner) -> None:
        self._put("owner.json", owner.model_dump_json(indent=2).encode())

    def claim_state_owner(self, owner: StateOwner) -> StateOwner:
        self._put_if("owner.json", owner.model_dump_json(indent=2).encode(), None)
        stored = self.state_owner()
        return owner if stored is None else stored


def _checkpoint_bytes(flow: str, entity: str, checkpoint: dict[str, JsonValue]) -> bytes:
    try:
        return json.dumps(checkpoint, separators=(",", ":"), allow_nan=False).encode()
    except (TypeError, ValueError) as error:
        raise StateError(
            f"the checkpoint of {flow}.{entity} is not plain JSON ({error}); "
            "this is a bug in hygge, please report it."
        ) from error
