"""The HTTP API's request handling, independent of Azure Functions (function_app.py adapts it)."""
