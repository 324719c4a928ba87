"""Where reading continues inside a window: a tagged union, one shape per kind of home.

Files continue at a file index and a row (or byte) offset, SQL at the last keyset seen, REST
at the API's page token. Checkpoints of an older hygge hold `{file_index, row_offset, cursor}`
without a `kind`: they load as file positions.

The validators are built when a position is first read or made (`defer_build`): commands that
move nothing (`hygge list`, `hygge schema`) never build them.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter

from hygge.types import JsonScalar


class FilePosition(BaseModel):
    """A file home's position: the window file's index and the rows (bytes) read of it."""

    model_config = ConfigDict(defer_build=True)

    kind: Literal["file"] = "file"
    file_index: int = Field(0, ge=0)
    row_offset: int = Field(0, ge=0)
    byte_offset: int | None = Field(None, ge=0)  # where row_offset starts, when known


class KeysetPosition(BaseModel):
    """A SQL home's position: the last `(watermark column, key columns)` values read."""

    model_config = ConfigDict(defer_build=True)

    kind: Literal["keyset"] = "keyset"
    values: dict[str, JsonScalar] = Field(default_factory=dict)  # empty: from the start
    # A source without keys is read in order of all its columns: the rows read so far.
    offset: int = Field(0, ge=0)


class PageTokenPosition(BaseModel):
    """A paginated API's position: the token of the next page."""

    model_config = ConfigDict(defer_build=True)

    kind: Literal["page"] = "page"
    token: str


def _file_when_untagged(value: object) -> object:
    """An untagged position is an older hygge's file position (its empty `cursor` dropped)."""
    if not isinstance(value, dict) or "kind" in value:
        return value
    untagged = {key: item for key, item in value.items() if key != "cursor"}
    if value.get("cursor"):
        raise ValueError(f"a position with a cursor needs a kind (keyset or page): {value}")
    return {**untagged, "kind": "file"}


Position: TypeAlias = Annotated[
    FilePosition | KeysetPosition | PageTokenPosition,
    Field(discriminator="kind"),
    BeforeValidator(_file_when_untagged),
]
# `POSITION.validate_json(text)` reads a saved position
POSITION = TypeAdapter(Position, config=ConfigDict(defer_build=True))
