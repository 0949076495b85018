"""The Function app's notification functions as the host reads them: the webhook is a POST route
behind a function key, the worker a queue trigger on GRAPH_NOTIFICATION_QUEUE in the app's storage,
the subscription timer on GRAPH_SUBSCRIPTION_SCHEDULE."""

from __future__ import annotations

import json
from typing import Any


def bindings(functions: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(json.loads(functions[name].get_function_json())["bindings"][0])


def test_the_webhook_is_a_keyed_post_route(functions: dict[str, Any]) -> None:
    trigger = bindings(functions, "graph_notifications")
    assert trigger["type"] == "httpTrigger" and trigger["route"] == "graph/notifications"
    assert trigger["methods"] == ["POST"] and trigger["authLevel"] == "FUNCTION"


def test_the_worker_reads_the_setting_named_queue(functions: dict[str, Any]) -> None:
    trigger = bindings(functions, "graph_notification_worker")
    assert trigger["type"] == "queueTrigger"
    assert trigger["queueName"] == "%GRAPH_NOTIFICATION_QUEUE%"
    assert trigger["connection"] == "AzureWebJobsStorage"


def test_the_subscription_timer_uses_its_schedule_setting(functions: dict[str, Any]) -> None:
    trigger = bindings(functions, "graph_subscription_timer")
    assert trigger["type"] == "timerTrigger"
    assert trigger["schedule"] == "%GRAPH_SUBSCRIPTION_SCHEDULE%" and trigger["runOnStartup"] is False
