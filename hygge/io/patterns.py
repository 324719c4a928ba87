"""File name patterns: render `{sequence:020d}`-style names and read sequences back from names."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import datetime

from hygge.errors import ConfigError

TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
# `{name}` and `{flow_name}` are the original hygge's spellings of `{entity}` and `{flow}`.
PLACEHOLDERS = ("sequence", "entity", "flow", "run_id", "timestamp", "name", "flow_name")
_ANY = {
    "run_id": r"[A-Za-z0-9_-]+?",
    "timestamp": r"\d{8}T\d{6}Z",
}


def short_run_id(run_id: str, length: int = 12) -> str:
    """The run id as it appears in names: safe characters only, at most `length` of them."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "", run_id)
    return safe[:length] or "run"


class FilePatternError(ConfigError):
    """An invalid `file_pattern`; `problem` says what is wrong with `text`."""

    def __init__(self, text: str, problem: str, hint: str) -> None:
        self.text = text
        self.problem = problem
        super().__init__(f"file_pattern {text!r} {problem}", hint=hint)


@dataclass(frozen=True)
class FilePattern:
    """A validated `file_pattern`: placeholders known, `{sequence}` present, a plain file name."""

    text: str
    fields: frozenset[str]

    @classmethod
    def parse(cls, text: str) -> FilePattern:
        """Validate `text`; unknown placeholders and path separators are ConfigErrors."""
        fields: set[str] = set()
        try:
            parts = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise _pattern_error(text, f"is not a valid pattern ({exc})") from exc
        for literal, field, spec, conversion in parts:
            if "/" in literal or "\\" in literal:
                raise _pattern_error(text, "must be a file name, without '/' or '\\'")
            if field is None:
                continue
            if field not in PLACEHOLDERS or conversion:
                raise _pattern_error(
                    text,
                    f"has an unknown placeholder {{{field}}}",
                    hint="placeholders: " + ", ".join("{" + p + "}" for p in PLACEHOLDERS),
                )
            _check_spec(text, field, spec or "")
            fields.add(field)
        if "sequence" not in fields:
            raise _pattern_error(text, "must contain {sequence} so that files never collide")
        return cls(text=text, fields=frozenset(fields))

    def check_visible(self, *, entity: str, flow: str) -> None:
        """FilePatternError when the names start with '.' or '_': readers skip those as hidden."""
        sample = self.render(
            sequence=0, entity=entity, flow=flow, run_id="r", started=datetime(1970, 1, 1)
        )
        if sample.startswith((".", "_")):
            raise _pattern_error(
                self.text,
                f"makes names starting with '.' or '_' (e.g. {sample}), which readers skip as "
                "hidden",
                hint="start the pattern with a letter, a digit or a placeholder, e.g. "
                "'{entity}_{sequence:05d}'",
            )

    @property
    def unique_per_run(self) -> bool:
        """True when names carry the run (`{run_id}` or `{timestamp}`), so runs never collide."""
        return bool(self.fields & {"run_id", "timestamp"})

    def render(
        self, *, sequence: int, entity: str, flow: str, run_id: str, started: datetime
    ) -> str:
        """The file name for one artefact."""
        return self.text.format(
            sequence=sequence,
            entity=entity,
            name=entity,
            flow=flow,
            flow_name=flow,
            run_id=short_run_id(run_id),
            timestamp=started.strftime(TIMESTAMP_FORMAT),
        )

    def sequence_of(self, file_name: str, *, entity: str, flow: str) -> int | None:
        """The `{sequence}` a file name was rendered with; None if it does not fit the pattern."""
        match = self._regex(entity, flow).fullmatch(file_name)
        return int(match.group("sequence")) if match else None

    def _regex(self, entity: str, flow: str) -> re.Pattern[str]:
        known = {"entity": entity, "name": entity, "flow": flow, "flow_name": flow}
        out: list[str] = []
        seen_sequence = False
        for literal, field, spec, _ in string.Formatter().parse(self.text):
            out.append(re.escape(literal))
            if field is None:
                continue
            if field == "sequence":
                out.append("(?P=sequence)" if seen_sequence else r"(?P<sequence>\d+)")
                seen_sequence = True
            elif field in known and not spec:
                out.append(re.escape(known[field]))
            else:
                out.append(_ANY.get(field, ".+?"))
        return re.compile("".join(out))


def _check_spec(text: str, field: str, spec: str) -> None:
    sample: object = 7 if field == "sequence" else "x"
    try:
        format(sample, spec)
    except ValueError as exc:
        raise _pattern_error(
            text, f"has an invalid format spec {{{field}:{spec}}} ({exc})"
        ) from exc


def _pattern_error(text: str, problem: str, *, hint: str | None = None) -> FilePatternError:
    return FilePatternError(
        text, problem, hint or "fix the store's file_pattern, e.g. '{sequence:020d}.parquet'"
    )
