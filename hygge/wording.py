"""Counted nouns and articles for messages: `1 entity`, `2 entities`, `1,200 rows`, `an int`."""

from __future__ import annotations

_SIBILANT_ENDINGS = ("s", "x", "z", "ch", "sh")


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`count` (with thousands separators) and `noun`, in the plural unless count is 1."""
    return f"{count:,} {noun_for(count, noun, plural)}"


def noun_for(count: int, noun: str, plural: str | None = None) -> str:
    """`noun` as `count` of it is written: the singular only for one."""
    return noun if count == 1 else plural or plural_of(noun)


def plural_of(noun: str) -> str:
    """The regular English plural: entity → entities, batch → batches, row → rows."""
    if noun.endswith("y") and noun[-2:-1] not in ("", *"aeiou"):
        return noun[:-1] + "ies"
    if noun.endswith(_SIBILANT_ENDINGS):
        return noun + "es"
    return noun + "s"


def with_article(word: str) -> str:
    """`word` after `a` or `an` by its first letter: an int, an entity, a string, a date."""
    return f"{'an' if word[:1].lower() in 'aeiou' and word else 'a'} {word}"
