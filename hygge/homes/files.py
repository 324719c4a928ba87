"""File homes: `parquet` and `local` (parquet | csv | ndjson), a single file or a folder."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator

from hygge.errors import ConfigError
from hygge.homes.base import HomeCapabilities, HomeConfig
from hygge.io.formats import validate_format_options
from hygge.types import Place, invalid_setting

FileFormat = Literal["parquet", "csv", "ndjson"]


class LocalHomeConfig(HomeConfig):
    """Files in a local folder (recursive, sorted) or a single file; the entity is a sub-folder."""

    type: Literal["local"] = "local"
    path: str = Field(min_length=1, description="File or folder, relative to the workspace root.")
    format: FileFormat = Field("parquet", description="File format to read.")
    format_options: dict[str, Any] = Field(
        default_factory=dict,
        description="Passed to the polars reader (e.g. csv: separator, has_header, null_values).",
    )
    batch_size: int = Field(50_000, ge=1, description="Rows per batch read.")
    changed_files: Literal["fail", "reload", "skip"] = Field(
        "fail",
        description="Incremental runs: a loaded file that changed other than by a touch or "
        "appended lines (rewritten, truncated, a parquet file rewritten). fail: stop before "
        "staging, naming it; reload: read it whole again (its earlier rows stay in the store, "
        "so they may double); skip: leave the change unread.",
    )
    options: dict[str, Any] = Field(default_factory=dict, description="Free-form options.")

    capabilities: ClassVar[HomeCapabilities] = HomeCapabilities(
        watermark=True, incremental_files=True, splits_window=True, lazy_chunks=True
    )
    entity_subfolder: ClassVar[bool] = True
    entity_fields: ClassVar[tuple[str, ...]] = ("path",)

    @field_validator("format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("format_options")
    @classmethod
    def _known_options(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        fmt = info.data.get("format")
        if fmt is None:
            return value  # the format itself is wrong: that error is reported
        validate_format_options(value, fmt, reading=True)
        for key in ("schema", "schema_overrides"):
            types = value.get(key) or {}
            if not isinstance(types, dict):
                raise invalid_setting(f"{key} must be a mapping of column: type", at=key)
            if not types:
                continue
            from hygge.io.schema import parse_schema  # polars: only when types are set

            try:
                parse_schema(types)  # a bad type name fails at load
            except ConfigError as exc:
                raise invalid_setting(exc.detail, at=key, hint=exc.hint) from exc
        return value

    def open(self, place: Place) -> Any:
        """The home on the storage its connection names (secrets resolved now)."""
        from hygge.homes.file_home import FileHome
        from hygge.storage.connect import open_storage

        return FileHome(self, place, open_storage(place, self.connection))


class ParquetHomeConfig(LocalHomeConfig):
    """Parquet files; `home: some/path` is shorthand for this."""

    type: Literal["parquet"] = "parquet"  # type: ignore[assignment]
    format: Literal["parquet"] = "parquet"
    batch_size: int = Field(10_000, ge=1, description="Rows per batch read.")
