"""Under 20 % injected 429/503 on both Graph and GoTo, one cycle still leaves GoTo exactly right."""

from __future__ import annotations

from tests.e2e.conftest import Harness


async def test_cycle_converges_under_injected_throttling(harness: Harness) -> None:
    world = harness.world
    seeded = world.seed_demo_tenant()
    for faults in (world.graph.faults, world.goto.faults):
        faults.configure(throttle_share=0.1, unavailable_share=0.1, retry_after=0.01)

    result = await harness.cycle()

    injected = sum(world.graph.faults.injected.values()) + sum(world.goto.faults.injected.values())
    assert injected > 0
    assert result.failures == 0, result.counts
    goto = harness.goto_users()
    expected = {world.graph.tenant.user(u)["userPrincipalName"].lower() for u in seeded["in_scope"]}
    assert set(goto) == expected
    assert all(account["active"] is True for account in goto.values())
