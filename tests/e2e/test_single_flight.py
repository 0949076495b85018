"""Single flight: a lease row taken with an ETag condition. A live holder blocks others (the timer
skips on record, anyone else is told `busy`); a lost lease stops the holder between writes and ends
its cycle `interrupted`; a crashed holder's lease expires."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from provisioning.config import load_settings
from provisioning.errors import LeaseHeldError, LeaseLostError, StorageError
from provisioning.service import open_services
from tests.e2e.conftest import Harness


async def test_a_held_lease_skips_the_timer_and_an_expired_one_is_taken(harness: Harness) -> None:
    harness.world.seed_demo_tenant()
    async for state in harness.state():
        assert await state.acquire_lease("crashed-instance", seconds=60)
    blocked = await harness.timer()
    assert blocked.cycle.describe() == "skipped: another cycle or on-demand provisioning holds the lease"
    assert blocked.skip == "busy"
    assert harness.world.goto.counters.total() == 0

    async for state in harness.state():  # the crashed holder's lease runs out
        past = datetime.now(UTC) - timedelta(minutes=5)
        await state.release_lease("nobody")
        assert await state.acquire_lease("crashed-instance", seconds=60, now=past)
    taken = await harness.timer()
    assert taken.cycle.status == "succeeded"


async def test_anyone_but_the_timer_is_told_busy(harness: Harness) -> None:
    harness.world.seed_demo_tenant()
    async for state in harness.state():
        assert await state.acquire_lease("live-instance", seconds=60)
    with pytest.raises(LeaseHeldError):
        await harness.cycle()
    assert harness.world.goto.counters.total() == 0


async def test_two_concurrent_timer_cycles_apply_once(harness: Harness) -> None:
    seeded = harness.world.seed_demo_tenant()
    first, second = await asyncio.gather(harness.timer(), harness.timer())
    statuses = sorted([first.cycle.describe(), second.cycle.describe()])
    assert statuses[0] == "skipped: another cycle or on-demand provisioning holds the lease"
    assert statuses[1] == "succeeded"
    assert len(harness.goto_users()) == len(seeded["in_scope"])


async def _cycle_losing_its_lease(harness: Harness, lose: Any) -> tuple[BaseException, int]:
    """A slow initial cycle (GoTo at 40 req/s) whose lease renewal is replaced by `lose`."""
    settings = load_settings({**harness.env, "GOTO_RATE_LIMIT_PER_SECOND": "40"})
    async with open_services(settings) as services:
        engine = services.engine(settings, lease_ttl_seconds=1.5)
        original = services.state.acquire_lease
        calls = 0

        async def acquire(holder: str, *, seconds: float, now: datetime | None = None) -> bool:
            nonlocal calls
            calls += 1
            if calls == 2:  # the first renewal
                return bool(await lose(original, holder, seconds))
            return await original(holder, seconds=seconds, now=now)

        services.state.acquire_lease = acquire  # type: ignore[method-assign]
        with pytest.raises((LeaseLostError, StorageError)) as stopped:
            await engine.run_cycle(initiated_by="test")
        return stopped.value, harness.world.goto.counters.total()


@pytest.mark.parametrize("how", ["renewal-fails", "taken-by-another"])
async def test_a_lost_lease_stops_writing_and_the_cycle_is_interrupted(harness: Harness, how: str) -> None:
    seeded = harness.world.seed_demo_tenant(users=150, groups=3)

    async def fail(original: Any, holder: str, seconds: float) -> bool:
        raise StorageError("connection reset by peer")

    async def steal(original: Any, holder: str, seconds: float) -> bool:
        async for state in harness.state():
            await state.release_lease(holder)
            assert await state.acquire_lease("other-instance", seconds=1.0)
        return bool(await original(holder, seconds=seconds))

    error, goto_calls = await _cycle_losing_its_lease(harness, fail if how == "renewal-fails" else steal)
    assert isinstance(error, LeaseLostError)
    await asyncio.sleep(0.5)
    assert harness.world.goto.counters.total() == goto_calls  # nothing written after it stopped
    assert len(harness.goto_users()) < len(seeded["in_scope"])  # it stopped part-way
    async for state in harness.state():
        cycle = (await state.list_cycles(limit=1))[0]
        assert cycle.status == "interrupted" and "lease" in (cycle.error or "")
        assert await state.get_watermark("users") is None  # nothing moved the watermark
        lease = await state.get_lease()
        if how == "renewal-fails":
            assert lease is None  # still ours when it stopped: released, nobody waits for the TTL
        else:
            assert lease is not None and lease[0] == "other-instance"  # not ours to release
            await state.release_lease("other-instance")

    rerun = await harness.cycle()
    assert rerun.cycle.status == "succeeded"
    accounts = harness.goto_users()
    assert len(accounts) == len(seeded["in_scope"])  # exactly one account each, no duplicate
