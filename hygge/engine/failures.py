"""How a failure is told across a process boundary: `RunError`, built by `describe_failure`.

Foreign exceptions are mapped here, in one place, to terminal (a retry cannot help) or
transient (a retry of the step may succeed). Drivers and databases that hygge does not import
are matched by module and class name (`FOREIGN_TRANSIENT`), so this module imports none of them.
"""

from __future__ import annotations

import errno
from typing import Literal

from pydantic import BaseModel

from hygge.errors import ConfigError, EntityLockedError, HyggeError, PublishRefusedError

__all__ = ["FOREIGN_TRANSIENT", "RunError", "describe_failure"]

TRANSIENT_ERRNOS = frozenset(
    {errno.EAGAIN, errno.ETIMEDOUT, errno.ECONNRESET, errno.ECONNREFUSED, errno.EPIPE, errno.EBUSY}
)

# (module prefix, class name) of errors from drivers and SDKs that a retry can cure. Extension
# point: a new technology adds its transient classes here (matched without importing it).
FOREIGN_TRANSIENT: frozenset[tuple[str, str]] = frozenset(
    {
        ("pyodbc", "OperationalError"),
        ("psycopg", "OperationalError"),
        ("azure.core.exceptions", "ServiceRequestError"),
        ("azure.core.exceptions", "ServiceResponseError"),
    }
)


class RunError(BaseModel):
    """A failure as data: what kind, which exception class, its message, and where."""

    kind: Literal["terminal", "transient"]
    type: str
    message: str
    where: str | None = None
    # What the run policy (`hygge.engine.machine`) needs to know beyond terminal/transient:
    # `locked`: another attempt holds the entity (touch nothing of its run); `config`: the
    # workspace is wrong (an interrupted run stays for when it is put right); `refused`: a
    # transactional store's publish refused the place and changed nothing (the run ends).
    category: Literal["locked", "config", "refused", "other"] = "other"
    ours: bool = False  # a HyggeError, whose message already says what and where

    @property
    def text(self) -> str:
        """The message for the journal and the user: a foreign error names its class."""
        return self.message if self.ours else f"{self.type}: {self.message}"

    @property
    def retryable(self) -> bool:
        return self.kind == "transient"


def describe_failure(error: BaseException, *, where: str | None = None) -> RunError:
    """The one mapping of any exception to a `RunError`."""
    transient = _is_transient(error)
    category: Literal["locked", "config", "refused", "other"] = "other"
    if isinstance(error, EntityLockedError):
        category = "locked"
    elif isinstance(error, ConfigError):
        category = "config"
    elif isinstance(error, PublishRefusedError):
        category = "refused"
    return RunError(
        kind="transient" if transient else "terminal",
        type=type(error).__name__,
        message=str(error) or type(error).__name__,
        where=where,
        category=category,
        ours=isinstance(error, HyggeError),
    )


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, HyggeError):
        return error.retryable
    if isinstance(error, (TimeoutError, ConnectionError)):
        return True
    if isinstance(error, OSError):
        return error.errno in TRANSIENT_ERRNOS  # ENOSPC, EACCES and the rest: terminal
    kind = type(error)
    return any(
        kind.__module__.startswith(module) and kind.__name__ == name
        for module, name in FOREIGN_TRANSIENT
    )
