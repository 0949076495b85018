"""Single flight: a lease row taken with an ETag condition; a live holder blocks others, a crashed
holder's lease expires."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.e2e.conftest import Harness


async def test_a_held_lease_skips_the_cycle_and_an_expired_one_is_taken(harness: Harness) -> None:
    harness.world.seed_demo_tenant()
    async for state in harness.state():
        assert await state.acquire_lease("crashed-instance", seconds=60)
    blocked = await harness.timer()
    assert blocked.cycle.status == "skipped: another cycle or on-demand provisioning holds the lease"
    assert harness.world.goto.counters.total() == 0

    async for state in harness.state():  # the crashed holder's lease runs out
        past = datetime.now(UTC) - timedelta(minutes=5)
        await state.release_lease("nobody")
        assert await state.acquire_lease("crashed-instance", seconds=60, now=past)
    taken = await harness.timer()
    assert taken.cycle.status == "succeeded"


async def test_two_concurrent_cycles_apply_once(harness: Harness) -> None:
    seeded = harness.world.seed_demo_tenant()
    first, second = await asyncio.gather(harness.cycle(), harness.cycle())
    statuses = sorted([first.cycle.status, second.cycle.status])
    assert statuses[0] == "skipped: another cycle or on-demand provisioning holds the lease"
    assert statuses[1] == "succeeded"
    assert len(harness.goto_users()) == len(seeded["in_scope"])
