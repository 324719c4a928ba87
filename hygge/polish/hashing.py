"""Hash ids: find a rule's source columns, then hash each row's `|`-joined values.

A row's hash input is the UTF-8 bytes of its source values, each cast to a string with polars'
standard cast (datetimes as `2024-01-02 03:04:05.000000`), nulls as empty strings, joined with
`|`. So a null and an empty string hash alike, but a null no longer blanks the whole row (the
original hashed every row holding any null as the empty string, so all such rows collided).
"""

from __future__ import annotations

import difflib
import hashlib
import logging
from collections.abc import Callable, Sequence

import polars as pl

from hygge.errors import DataError
from hygge.polish.config import ColumnRules, HashIdRule
from hygge.polish.names import normalise_name, transforms_names
from hygge.wording import noun_for

HASH_SEPARATOR = "|"

log = logging.getLogger("hygge.polish")


def resolve_sources(
    rule: HashIdRule, columns: Sequence[str], rules: ColumnRules | None, where: str = ""
) -> tuple[str, ...]:
    """The batch columns a rule hashes: exact names first, then the original's fuzzy match.

    Fuzzy: names equal after the configured column rules, else equal with whitespace, `_` and
    `-` removed and case ignored. Raises DataError naming what is missing or ambiguous.
    """
    found: list[str] = []
    missing: list[str] = []
    for wanted in rule.from_columns:
        match = _match_column(rule, wanted, columns, rules, where)
        if match is None:
            missing.append(wanted)
        else:
            found.append(match)
    if missing:
        raise DataError(_missing_message(rule, missing, columns, where))
    return tuple(found)


def _match_column(
    rule: HashIdRule, wanted: str, columns: Sequence[str], rules: ColumnRules | None, where: str
) -> str | None:
    if wanted in columns:
        return wanted
    keys: list[Callable[[str], str]] = [_compact]
    if transforms_names(rules):
        keys.insert(0, lambda name: normalise_name(name, rules))
    for key in keys:
        candidates = [c for c in columns if key(c) == key(wanted)]
        if len(candidates) > 1:
            raise DataError(
                f"polish hash id {rule.name!r}{where}: source column {wanted!r} is not in the "
                f"batch and matches several columns {candidates}; name one of them exactly in "
                "polish.hash_ids from_columns."
            )
        if candidates:
            log.info(
                "polish hash id %r%s: using column %r for source column %r",
                rule.name,
                where,
                candidates[0],
                wanted,
            )
            return candidates[0]
    return None


def _compact(name: str) -> str:
    return "".join(name.replace("_", "").replace("-", "").split()).casefold()


def _missing_message(
    rule: HashIdRule, missing: Sequence[str], columns: Sequence[str], where: str
) -> str:
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, columns, n=1, cutoff=0.6)
        if close:
            hints.append(f"{close[0]!r} for {name!r}")
    suggestion = f" Did you mean {', '.join(hints)}?" if hints else ""
    sources = f"source {noun_for(len(missing), 'column')} {list(missing)}"
    return (
        f"polish hash id {rule.name!r}{where}: {sources} not found in the batch; available "
        f"columns: {list(columns)}.{suggestion} Fix polish.hash_ids from_columns in the store "
        "config."
    )


def hash_column(
    batch: pl.DataFrame, sources: Sequence[str], rule: HashIdRule, where: str = ""
) -> pl.Series:
    """The rule's hash of every row of `batch`: hex strings or raw digests, named `rule.name`."""
    texts = [
        _as_text(batch, column, position, rule, where) for position, column in enumerate(sources)
    ]
    joined = pl.DataFrame(texts).select(
        pl.concat_str(pl.all(), separator=HASH_SEPARATOR).alias(rule.name)
    )
    values: list[str] = joined.to_series().to_list()
    new = getattr(hashlib, rule.algo)
    if rule.hex:
        return pl.Series(rule.name, [new(v.encode()).hexdigest() for v in values], pl.String)
    return pl.Series(rule.name, [new(v.encode()).digest() for v in values], pl.Binary)


def _as_text(
    batch: pl.DataFrame, column: str, position: int, rule: HashIdRule, where: str
) -> pl.Series:
    series = batch.get_column(column)
    try:
        text = series.cast(pl.String)
    except pl.exceptions.PolarsError as exc:
        raise DataError(
            f"polish hash id {rule.name!r}{where}: column {column!r} of type {series.dtype} "
            f"cannot be cast to text for hashing ({exc}); hash other columns or cast this one "
            "at the home."
        ) from exc
    # Named by position: a rule may list the same column twice.
    return text.fill_null("").alias(str(position))
