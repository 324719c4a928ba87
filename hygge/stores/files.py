"""File stores: `parquet` and `local` (parquet | csv | ndjson) folders, the entity a sub-folder."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from hygge.io.formats import validate_format_options
from hygge.io.patterns import FilePattern, FilePatternError
from hygge.polish.config import PolishConfig
from hygge.stores.base import StoreCapabilities, StoreConfig
from hygge.types import Place, RunType, invalid_setting

FileFormat = Literal["parquet", "csv", "ndjson"]
Compression = Literal["snappy", "gzip", "lz4", "brotli", "zstd", "uncompressed"]
EXTENSIONS: dict[str, str] = {"parquet": ".parquet", "csv": ".csv", "ndjson": ".ndjson"}


class LocalStoreConfig(StoreConfig):
    """A local folder of files; each entity is a sub-folder, published atomically."""

    type: Literal["local"] = "local"
    path: str = Field(min_length=1, description="Folder, relative to the workspace root.")
    format: FileFormat = Field("parquet", description="File format to write.")
    format_options: dict[str, Any] = Field(
        default_factory=dict, description="Passed to the polars writer."
    )
    compression: Compression | None = Field(
        None, description="Parquet compression codec (default snappy)."
    )
    batch_size: int | None = Field(
        None,
        ge=1,
        description="Rows per file written, exactly. Default: a parquet file per chunk "
        "(at most `checkpoint_rows`) where polars sinks the chunk, else 100,000.",
    )
    file_pattern: str | None = Field(
        None,
        description=(
            "File name pattern; placeholders {sequence} (with format spec, e.g. {sequence:05d}), "
            "{entity}, {flow}, {run_id}, {timestamp}. Default: {sequence:020d}.<ext>."
        ),
    )
    adopt_existing: bool = Field(
        False,
        description="Take over an entity folder that holds files hygge did not write: the "
        "next run replaces (full_drop) or adds to (incremental) them and marks the folder.",
    )
    polish: PolishConfig | None = Field(None, description="Column clean-up before writing.")
    options: dict[str, Any] = Field(default_factory=dict, description="Free-form options.")

    # An incremental publish moves its files in one by one: a reader listing the folder
    # meanwhile may see part of the run, so only full_drop (one exchange) is atomic.
    capabilities: ClassVar[StoreCapabilities] = StoreCapabilities(
        run_types=frozenset({RunType.FULL_DROP, RunType.INCREMENTAL}),
        atomic_visibility=frozenset({RunType.FULL_DROP}),
        preferred_batch_size=100_000,
        # Partitions write distinct names (interleaved sequences) into one staging folder,
        # each with its own store object; a partition's discard keeps the others' files.
        partitioned_staging=True,
        lazy_sink=True,
    )
    entity_subfolder: ClassVar[bool] = True
    entity_fields: ClassVar[tuple[str, ...]] = ("path",)
    pattern_fields: ClassVar[tuple[str, ...]] = ("file_pattern",)

    @field_validator("format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("format_options")
    @classmethod
    def _known_options(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        fmt = info.data.get("format")
        if fmt is not None:  # else the format itself is wrong: that error is reported
            validate_format_options(value, fmt, reading=False)
        return value

    @field_validator("file_pattern")
    @classmethod
    def _valid_pattern(cls, value: str | None, info: ValidationInfo) -> str | None:
        fmt = info.data.get("format")
        if value is None or fmt is None:
            return value
        extension = EXTENSIONS[fmt]
        try:
            # As the store uses it: with the extension, which readers pick files by.
            pattern = FilePattern.parse(value if value.endswith(extension) else value + extension)
            pattern.check_visible(entity="entity", flow="flow")
        except FilePatternError as exc:
            raise invalid_setting(f"{value!r} {exc.problem}", hint=exc.hint) from exc
        return value

    @model_validator(mode="after")
    def _check_compression(self) -> LocalStoreConfig:
        if self.compression is not None and self.format != "parquet":
            raise ValueError(
                "compression applies to parquet files only; remove it or use format_options"
            )
        return self

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]

    def open(self, place: Place) -> Any:
        """The store on the storage its connection names (secrets resolved now)."""
        from hygge.storage.connect import open_storage
        from hygge.stores.file_store import open_file_store

        return open_file_store(self, place, open_storage(place, self.connection))


class ParquetStoreConfig(LocalStoreConfig):
    """A parquet lake folder; `store: some/path` is shorthand for this."""

    type: Literal["parquet"] = "parquet"  # type: ignore[assignment]
    format: Literal["parquet"] = "parquet"
