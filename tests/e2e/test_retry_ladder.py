"""A failing object climbs the retry ladder (next cycle, then ~6, 12, 24, 48, 96, 168 h, then given up)
while other objects are never blocked by it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sandbox.graph import APP_ROLE_USER_ID
from tests.e2e.conftest import Harness


async def _retry_row(harness: Harness, user_id: str) -> dict[str, object]:
    async for state in harness.state():
        return (await state.list_retries())[user_id]
    raise AssertionError("no state")


async def test_failed_user_follows_the_ladder_and_others_proceed(harness: Harness) -> None:
    tenant = harness.world.graph.tenant
    tenant.seed(4, 0, seed=2)
    bad = tenant.create_user(
        userPrincipalName="eve@fabrikam.example", mail="eve@fabrikam.example", displayName="Eve"
    )
    for user in tenant.users():
        tenant.assign(user["id"], app_role_id=APP_ROLE_USER_ID)
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

    first = await harness.timer(at=start)
    assert first.counts.to_dict() == {"create/failure": 1, "create/success": 4}
    row = await _retry_row(harness, bad["id"])
    assert row["Attempts"] == 1 and row["NextAttempt"] == start.isoformat()

    second = await harness.timer(at=start + timedelta(minutes=10))  # rung 1: the next cycle
    assert second.counts.to_dict() == {"create/failure": 1}
    assert (await _retry_row(harness, bad["id"]))["Attempts"] == 2

    quiet = await harness.timer(at=start + timedelta(hours=1))  # rung 2 waits ~6 h
    assert quiet.counts.to_dict() == {}

    moment = start + timedelta(minutes=10)
    for attempt, hours in enumerate((6, 12, 24, 48, 96, 168), start=3):
        moment += timedelta(hours=hours, minutes=1)
        result = await harness.timer(at=moment)
        assert result.counts.to_dict() == {"create/failure": 1}, attempt
    row = await _retry_row(harness, bad["id"])
    assert row["Attempts"] == 8 and row["GivenUp"] is True
    given_up = await harness.timer(at=moment + timedelta(days=30))
    assert given_up.counts.to_dict() == {}

    # the user's data is fixed in Entra: a change in the delta brings it back whatever the ladder says
    tenant.update_user(bad["id"], userPrincipalName="eve@contoso.com", mail="eve@contoso.com")
    fixed = await harness.timer(at=moment + timedelta(days=31))
    assert fixed.counts.to_dict() == {"create/success": 1}
    async for state in harness.state():
        assert bad["id"] not in await state.list_retries()
