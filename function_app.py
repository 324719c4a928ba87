"""The Azure Functions entry point: wiring only (everything lives in hygge/functions/)."""

from hygge.functions.app import build_app

app = build_app()
