"""The names a file store stages artefacts under: the published name and the attempt.

Attempts of one run share its staging (a resumed or taken-over run goes on where the last
checkpoint left it), so each staged file carries the attempt that wrote it: two attempts of
one run never write the same name, and `discard_unlisted` drops what a stale attempt wrote
after the checkpoint that lists the live attempt's files. Publishing strips the attempt.
"""

from __future__ import annotations

import re

from hygge.io.patterns import short_run_id

ATTEMPT_CHARS = 8
_SUFFIX = re.compile(rf"~[A-Za-z0-9_-]{{1,{ATTEMPT_CHARS}}}$")


def staged_name(name: str, attempt_id: str | None) -> str:
    """`name` as attempt `attempt_id` stages it (`<name>~<attempt>`); `name` without one."""
    if not attempt_id:
        return name
    return f"{name}~{short_run_id(attempt_id, length=ATTEMPT_CHARS)}"


def published_name(staged: str) -> str:
    """The name a staged artefact is published under (checkpoints older than attempt names
    list published names already)."""
    return _SUFFIX.sub("", staged)


def listed_names(artefacts: list[str]) -> set[str]:
    """Every name a listed artefact may have in staging: staged, or renamed for publishing."""
    return {*artefacts, *(published_name(name) for name in artefacts)}
