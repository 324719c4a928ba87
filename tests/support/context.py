"""The clock and host tests pass to engine steps: this machine's, as the local runner's."""

from __future__ import annotations

from hygge.engine.runner import local_context

LOCAL = local_context()
