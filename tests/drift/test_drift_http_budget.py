"""GET /api/drift?...&apply=true sends a repair only when its writes fit what is left of the route's
budget (Flex cuts a request at 230 s): past it, the answer is the dry run, saying why and pointing at
the CLI, and nothing is written. The budget is lowered to a few seconds and GoTo's rate to 1/s, so a
small tenant shows it in seconds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from provisioning.api import drift as drift_route
from sandbox.azurite import Azurite
from sandbox.world import environment
from tests.drift.conftest import Planted, planted_world
from tests.fixtures.functions import Caller


@pytest.fixture
def small(azurite: Azurite) -> Iterator[Planted]:
    with planted_world(azurite, users_count=40) as world:
        yield world


async def test_writes_past_the_budget_are_not_sent(
    small: Planted, call: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(drift_route, "HTTP_BUDGET_SECONDS", 4.0)  # the read (2 s at 1/s) fits, 8 writes not
    before = small.snapshot()
    params = {"repair": "true", "deactivateOrphans": "true", "apply": "true"}
    with environment(small.env(GOTO_RATE_LIMIT_PER_SECOND="1")):
        status, body = await call("drift", method="GET", params=params)
    assert status == 200, body
    repair = body["repair"]
    assert repair["dryRun"] is True and len(repair["operations"]) == 8
    assert "python -m provisioning drift --repair --apply" in repair["notApplied"]
    assert small.snapshot() == before

    with environment(small.env()):  # at 1000/s the same writes fit: applied
        status, body = await call("drift", method="GET", params=params)
    assert status == 200, body
    assert body["repair"]["dryRun"] is False and body["repair"]["failures"] == 0
    assert body["repair"]["counts"] == {"create/success": 2, "update/success": 3, "disable/success": 3}
