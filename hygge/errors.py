"""One error tree for hygge.

    HyggeError
    ├── ConfigError          the workspace is wrong; never retried; exit code 2
    ├── DataError            the data does not fit (bad row, type, missing column); not retried
    ├── EntityLockedError    another run holds the entity; not retried
    ├── StateError           the state folder/container is unreadable or inconsistent
    ├── StoreOwnershipError  a store's place holds data this entity's store did not write
    │   └── PublishRefusedError  ...found by a transactional store's publish, which changed nothing
    ├── MissingDependencyError  an optional driver is not installed (says what to install)
    └── RetryableError       transient (network, throttling, timeouts); safe to retry a step

Every message says what went wrong, where (file, line, field, entity) and what to do next.
"""

from __future__ import annotations


class HyggeError(Exception):
    """Base of every error hygge raises on purpose."""

    retryable: bool = False


class ConfigError(HyggeError):
    """The workspace configuration is invalid. `file` and `line` point at the cause when known."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.hint = hint
        self.detail = message
        super().__init__(self._render())

    def _render(self) -> str:
        where = ""
        if self.file:
            where = self.file if self.line is None else f"{self.file} line {self.line}"
            where += ": "
        text = f"{where}{self.detail}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class DataError(HyggeError):
    """Input data cannot be moved as configured (unreadable file, missing column, bad type)."""


class EntityLockedError(HyggeError):
    """Another run holds the entity's lock."""


class StateError(HyggeError):
    """The state backend is unreadable or inconsistent."""


class UnreachableError(StateError):
    """A store's database could not be reached (refused, timed out): nothing changed there."""


class StoreOwnershipError(HyggeError):
    """A store's place (folder, table, prefix) holds data this entity's store did not write."""


class PublishRefusedError(StoreOwnershipError):
    """A transactional store's publish refused the place before its transaction changed
    anything: nothing is published, so the run ends (staging discarded, watermark as it was)
    instead of waiting to finish a publish that every try refuses alike."""


class MissingDependencyError(HyggeError, ImportError):
    """An optional dependency is missing; the message carries the install command."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(
            f"{package} is not installed; install it with: pip install 'hygge-el[{extra}]'"
        )


class RetryableError(HyggeError):
    """A transient failure (network, throttling, timeout): the step may be retried as is."""

    retryable = True


class InjectedFault(HyggeError):  # noqa: N818 - reads as what it is in tests and logs
    """Raised by the test-only fault injection hook (HYGGE_FAULT)."""


def missing_dependency(package: str, extra: str) -> MissingDependencyError:
    """Build the error for an optional import that failed."""
    return MissingDependencyError(package, extra)
