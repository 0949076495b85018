"""The drift report says how long it takes before it starts: GoTo's user count (one request) and
GOTO_RATE_LIMIT_PER_SECOND give the estimate, told before the read; the read then keeps GoTo's real
limit (10/s in the simulator: no 429). The HTTP route refuses a read the estimate puts past its
budget (Flex cuts a request at 230 s) with 422 and the estimate, and `estimateOnly` answers it alone."""

from __future__ import annotations

import math
from typing import Any

import pytest

from provisioning.api import drift as drift_route
from provisioning.drift.report import Estimate
from provisioning.drift.run import Request, run_drift
from sandbox.world import environment
from tests.drift.conftest import Planted
from tests.fixtures.functions import Caller

USERS_ROUTE = "GET /identity/v1/Users"


def accounts(planted: Planted) -> int:
    return len(planted.world.goto.store.users())  # the admin included: GoTo counts it


async def test_the_estimate_comes_first_and_the_read_keeps_the_rate(planted: Planted) -> None:
    goto = planted.world.goto
    goto.configure(rate_limit_per_second=10)
    goto.counters.reset()
    told: list[tuple[Estimate, dict[str, int]]] = []
    try:
        document = await run_drift(
            planted.settings(GOTO_RATE_LIMIT_PER_SECOND="10"),
            Request(),
            on_estimate=lambda found: told.append((found, goto.counters.snapshot())),
        )
    finally:
        goto.configure(rate_limit_per_second=1000)
    [(found, requests_then)] = told
    assert requests_then == {USERS_ROUTE: 1}  # only the count: the read had not started
    pages = math.ceil(accounts(planted) / 100)
    assert found.as_dict() == {
        "gotoUsers": accounts(planted),
        "gotoRequests": 1 + pages,
        "ratePerSecond": 10.0,
        "seconds": (1 + pages) / 10,
    }
    assert document["estimate"] == found.as_dict()
    assert goto.counters.snapshot()[USERS_ROUTE] == 1 + pages
    assert goto.rate_limited.snapshot().get("scim", 0) == 0
    assert document["seconds"] >= pages / 10 - 0.15  # paced at 10/s (the first page may go at once)


async def test_the_http_route_refuses_a_read_past_its_budget(
    planted: Planted, call: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 12 requests at the slowest rate the settings take (0.1/s) are 120 s: under the 180 s budget of
    # 1,000 users, so the budget is lowered to 60 s here (the tenant that would need it is 2,000+)
    monkeypatch.setattr(drift_route, "HTTP_BUDGET_SECONDS", 60.0)
    slow = planted.env(GOTO_RATE_LIMIT_PER_SECOND="0.1")
    planted.world.goto.counters.reset()
    with environment(slow):
        status, body = await call("drift", method="GET")
        assert status == 422, body
        assert body["error"]["code"] == "driftTooLong"
        assert "python -m provisioning drift" in body["error"]["hint"]
        assert body["estimate"]["seconds"] > 60 and "more than the 60 s" in body["error"]["message"]
        assert planted.world.goto.counters.snapshot() == {USERS_ROUTE: 1}  # nothing read but the count

        status, only = await call("drift", method="GET", params={"estimateOnly": "true"})
    assert status == 200, only
    assert only == {"estimate": body["estimate"]}


async def test_the_http_route_answers_within_the_budget(planted: Planted, call: Caller) -> None:
    with environment(planted.env()):
        status, body = await call("drift", method="GET")
    assert status == 200, body
    assert body["counts"] == {"orphan": 4, "edited": 2, "missing": 3}
    found: dict[str, Any] = body["estimate"]
    assert found["gotoUsers"] == accounts(planted) and found["seconds"] < 1
