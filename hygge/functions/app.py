"""`build_app()`: the Function App, every blueprint of hygge registered on one DFApp.

HTTP functions use function-level keys (`?code=` or the `x-functions-key` header). Building the
app reads no settings and opens no client: that happens when a function runs.
"""

from __future__ import annotations

import azure.durable_functions as df
import azure.functions as func

from hygge.functions import orchestration, starters
from hygge.functions.telemetry import configure_telemetry


def build_app() -> df.DFApp:
    """The app the Functions host indexes (`function_app.py` calls this)."""
    configure_telemetry()
    app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)
    app.register_functions(starters.bp)
    app.register_functions(orchestration.bp)
    return app
