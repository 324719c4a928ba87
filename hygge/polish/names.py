"""Column-name normalisation: special characters, spaces, case, and collision suffixes.

The rules reproduce the original hygge's renames so existing stores keep their column names:
words in parentheses move to the end, `_`/`-`/whitespace separate words, a word boundary is a
lower→Upper step or the start of a capitalised word after capitals (`XMLParser` → XML, Parser),
and every word is `capitalize()`d (`ID` → `Id`). A name that normalises to nothing is kept.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Sequence
from typing import Literal, TypeAlias

from hygge.polish.config import ColumnRules

Case: TypeAlias = Literal["pascal", "camel", "snake"]

log = logging.getLogger("hygge.polish")

_PAREN_CONTENT = re.compile(r"\(([^)]+)\)")
_PARENS = re.compile(r"\s*\([^)]*\)")
_LOWER_THEN_UPPER = re.compile(r"(?<=[a-z])([A-Z])")
_CAPS_THEN_WORD = re.compile(r"(?<=[A-Z])([A-Z][a-z])")


def transforms_names(rules: ColumnRules | None) -> bool:
    """Whether these rules rename anything at all."""
    return rules is not None and (rules.remove_special or rules.remove_spaces or bool(rules.case))


def remove_special(name: str) -> str:
    """Drop characters other than letters and digits (of any script), whitespace, `_`, `-`;
    `(x)` words go last."""
    moved = [word for group in _PAREN_CONTENT.findall(name) for word in group.split()]
    # Unlike the original, moved words are cleaned too ("Price (€)" is "Price", not
    # "Price €"), and a name made only of "(…)" gets no leading space.
    parts = [_kept_characters(_PARENS.sub("", part)).strip() for part in [name, *moved]]
    return " ".join(part for part in parts if part)


def _kept_characters(text: str) -> str:
    # Letters keep their accents, also when written as a separate combining mark ("e\u0301").
    return "".join(
        ch
        for ch in text
        if ch.isalnum() or ch.isspace() or ch in "_-" or unicodedata.category(ch).startswith("M")
    )


def split_words(name: str) -> list[str]:
    """The words of a column name, split at separators and case boundaries."""
    spaced = name.replace("_", " ").replace("-", " ")
    spaced = _LOWER_THEN_UPPER.sub(r" \1", spaced)
    spaced = _CAPS_THEN_WORD.sub(r" \1", spaced)
    return spaced.split()


def to_case(name: str, case: Case) -> str:
    """`name` in pascal, camel or snake case; the name itself when it has no words."""
    words = split_words(name)
    if not words:
        return name
    if case == "snake":
        return "_".join(word.lower() for word in words)
    capitalised = "".join(word.capitalize() for word in words[1:])
    first = words[0].lower() if case == "camel" else words[0].capitalize()
    return first + capitalised


def normalise_name(name: str, rules: ColumnRules | None) -> str:
    """One column name after the configured rules; the original name if nothing is left."""
    if rules is None:
        return name
    new = name
    if rules.remove_special:
        new = remove_special(new)
    if rules.remove_spaces:
        new = new.replace(" ", "")
    if rules.case is not None:
        new = to_case(new, rules.case)
    return new or name


def plan_renames(
    columns: Sequence[str], rules: ColumnRules | None, *, keep: Collection[str] = ()
) -> dict[str, str]:
    """Map every column to its final name; names in `keep` are never renamed.

    Collisions: a kept column, else the column already named so, else the first by name keeps
    the normalised name; the others get `_1`, `_2`, … (in name order) skipping any name
    another column ends up with. Logged as warnings. Name order, not column order: files of
    one entity may order their columns differently and must still get the same renames.
    """
    targets = {c: c if c in keep else normalise_name(c, rules) for c in columns}
    owners: dict[str, str] = {}
    for column in sorted(columns, key=lambda c: (c not in keep, targets[c] != c, c)):
        owners.setdefault(targets[column], column)
    taken = set(targets.values())
    last_suffix: dict[str, int] = {}
    final: dict[str, str] = {}
    for column in sorted(columns):
        target = targets[column]
        if owners[target] != column:
            n = last_suffix.get(target, 0) + 1
            while f"{target}_{n}" in taken:
                n += 1
            last_suffix[target] = n
            target = f"{target}_{n}"
            taken.add(target)
        final[column] = target
    final = {column: final[column] for column in columns}
    _warn_collisions(targets, final)
    return final


def _warn_collisions(targets: dict[str, str], final: dict[str, str]) -> None:
    for target, count in Counter(targets.values()).items():
        if count < 2:
            continue
        sources = [c for c, t in targets.items() if t == target]
        log.warning(
            "polish: columns %s all normalise to %r; renamed to %s so every name is unique. "
            "Rename the source columns or change polish.columns if these names are not wanted.",
            sources,
            target,
            [final[c] for c in sources],
        )
