"""Time budget: a cycle stops cleanly between Graph pages and the next one resumes from the checkpoint,
with deprovisions planned before the stop carried over, until GoTo is exactly right."""

from __future__ import annotations

from tests.e2e.conftest import Harness


async def test_cycles_resume_from_checkpoints_until_done(harness: Harness) -> None:
    tenant = harness.world.graph.tenant
    harness.world.graph.configure(page_size=5)
    seeded = harness.world.seed_demo_tenant()
    await harness.cycle()
    for user_id in seeded["in_scope"][:3]:
        tenant.disable_user(user_id)
    for user_id in seeded["in_scope"][3:12]:
        tenant.update_user(user_id, displayName=f"Renamed {user_id[:8]}")

    statuses = []
    for _ in range(20):
        result = await harness.cycle(CYCLE_TIME_BUDGET_SECONDS="0.000001")
        statuses.append(result.cycle.describe())
        if result.cycle.status == "succeeded":
            break
    assert statuses[0].startswith("stopped: at the time budget")
    assert statuses[-1] == "succeeded" and len(statuses) > 2
    assert await harness.control("checkpoint") is None

    accounts = harness.goto_users()
    for user_id in seeded["in_scope"]:
        user = tenant.user(user_id)
        account = accounts[user["userPrincipalName"].lower()]
        assert account["active"] is (user_id not in seeded["in_scope"][:3])
        assert account["displayName"] == user["displayName"]
    again = await harness.cycle()
    assert again.counts.to_dict() == {}
