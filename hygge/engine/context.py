"""What a step learns from the world it runs in: the time and the host's name.

Steps read no clock and no host name of their own. The driver passes them: the local runner
this machine's (`runner.local_context`), a Durable activity its own, a test fixed ones. So
the journal rows, checkpoints and watermarks a step writes carry the driver's time and host.
"""

from __future__ import annotations

from dataclasses import dataclass

from hygge.state.clock import Clock

__all__ = ["Clock", "RunContext"]


@dataclass(frozen=True)
class RunContext:
    """The clock a step stamps with (aware UTC datetimes) and the host it names in the journal."""

    clock: Clock
    host: str
