"""The Azure Functions app: starters (timer, HTTP, blob arrival), Durable orchestration and
its activities. The only package importing `azure.functions` / `azure.durable_functions`;
`function_app.py` at the repository root registers `build_app()` from `hygge.functions.app`.
"""
