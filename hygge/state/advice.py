"""What to tell a user whose watermark or checkpoint is damaged: hygge commands, never `rm`."""

from __future__ import annotations

from pydantic import ValidationError

from hygge.wording import counted


def reload_advice(flow: str, entity: str) -> str:
    """How to recover from a damaged watermark or checkpoint without loading rows twice."""
    return (
        f"Restore it from a backup, or run `hygge reset --flow {flow} --entity {entity}` and "
        f"then reload the entity whole with `hygge go --full-drop --entity {flow}.{entity}` "
        "(without the watermark, or after a publish the checkpoint no longer describes, an "
        "incremental run would append rows the store already holds)"
    )


def first_problem(error: ValidationError) -> str:
    """`field 'window': Field required (1 of 8 problems)`: one line, whatever pydantic said."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    said = " ".join(str(first["msg"]).split())
    text = f"field '{where}': {said}" if where else said
    more = error.error_count()
    return text if more == 1 else f"{text} (1 of {counted(more, 'problem')})"
