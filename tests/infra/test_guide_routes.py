"""The guide's admin API table is the Function app's HTTP routes, read from the real app object (method
and route each), every `curl` of the guide calls a route with its method, and the guide says why a
long admin action answers 202: Flex Consumption cuts an HTTP call at 230 s whatever functionTimeout."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.infra.bicep import ROOT
from tests.infra.guide import blocks, code_spans, guide_text, table_after

CURL_ROUTE = re.compile(r'curl [^\n]*"\$FUNCTION_APP_URL/api/(?P<route>[^"?]+)')
METHOD = re.compile(r" -X (?P<method>[A-Z]+) ")


def app_routes(functions: dict[str, Any]) -> dict[str, set[str]]:
    """`/api/<route>` -> its methods, for every HTTP-triggered function of function_app.app."""
    routes: dict[str, set[str]] = {}
    for function in functions.values():
        trigger = function.get_trigger()
        if type(trigger).__name__ == "HttpTrigger":
            methods = {str(getattr(m, "value", m)) for m in trigger.methods}
            routes.setdefault(f"/api/{trigger.route}", set()).update(methods)
    return routes


def documented_routes() -> dict[str, set[str]]:
    documented: dict[str, set[str]] = {}
    for row in table_after("## 5. Status and logs"):
        for span in code_spans(row[0]):
            method, route = span.split(" ", 1)
            documented.setdefault(re.sub(r"\{\w+\}", "{entraId}", route), set()).add(method)
    return documented


def test_the_route_table_is_the_apps_routes(functions: dict[str, Any]) -> None:
    routes = app_routes(functions)
    assert len(routes) >= 10, "the app's routes were not found: the check would prove nothing"
    normalized = {re.sub(r"\{\w+\}", "{entraId}", route): methods for route, methods in routes.items()}
    assert documented_routes() == normalized


def test_every_curl_of_the_guide_uses_the_routes_method(functions: dict[str, Any]) -> None:
    routes = {re.sub(r"\{\w+\}", "[^/]+", route): methods for route, methods in app_routes(functions).items()}
    calls = [m for block in blocks() for m in CURL_ROUTE.finditer(block.body)]
    assert len(calls) >= 5
    for call in calls:
        path = "/api/" + call.group("route")
        (methods,) = [m for pattern, m in routes.items() if re.fullmatch(pattern, path)] or [set()]
        method = METHOD.search(call.group(0))
        used = method.group("method") if method else "GET"  # curl's default
        assert used in methods, f"{call.group(0)}: {path} takes {sorted(methods)}, not {used}"


def test_long_admin_actions_are_documented_as_202_and_the_230_second_cut() -> None:
    (approve,) = [row for row in table_after("## 5. Status and logs") if "POST /api/staged/approve" in row[0]]
    assert "202" in approve[1] and "next timer tick" in approve[1]
    text = " ".join(guide_text().split())
    assert "cut after 230 seconds" in text
    functions_timeout = json.loads((ROOT / "host.json").read_text())["functionTimeout"]
    assert functions_timeout == "00:10:00" and "600 s" in text  # the figure the guide quotes
    assert "under the same single-flight lease as a cycle" in text
