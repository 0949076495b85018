"""Provisioning off: status says so, and the skipped timer cycles show as the last skip while the
last real cycle keeps its counts, even behind a long run of skipped rows."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from provisioning.api.status import build_status
from provisioning.config import load_settings
from sandbox.world import World
from tests.e2e.conftest import Harness
from tests.state.test_audit_log_support import cycle, guid

SKIPS = 144


async def test_provisioning_off(world: World) -> None:
    harness = Harness(world)
    world.seed_demo_tenant(users=16, groups=3)
    done = await harness.cycle()
    off = load_settings({**harness.env, "PROVISIONING_ENABLED": "false"})
    skipped = await harness.timer(PROVISIONING_ENABLED="false")
    assert skipped.cycle.describe() == "skipped: off (PROVISIONING_ENABLED is false)"

    async for state in harness.state():
        status = await build_status(state=state, settings=off, now=datetime.now(UTC))
        assert status["provisioningEnabled"] is False
        assert status["lastSkip"]["status"] == "skipped"
        assert status["lastSkip"]["detail"] == "off (PROVISIONING_ENABLED is false)"
        assert status["lastSkip"]["id"] == skipped.cycle.id
        assert status["lastCycle"]["id"] == done.cycle.id == status["lastSuccessfulCycle"]["id"]
        assert status["lastCycle"]["counts"] == done.counts.to_dict()

        # a day off: a skipped row every 10 minutes, more than status reads at first
        first = datetime.fromisoformat(skipped.cycle.started)
        rows = [
            cycle(guid(), first + timedelta(minutes=10 * n), minutes=0, status=skipped.cycle.status)
            for n in range(1, SKIPS + 1)
        ]
        await asyncio.gather(*(state.upsert_cycle(row) for row in rows))
        status = await build_status(state=state, settings=off, now=datetime.now(UTC))
        assert status["lastCycle"]["id"] == done.cycle.id == status["lastSuccessfulCycle"]["id"]
        assert status["lastSkip"]["time"] == (first + timedelta(minutes=10 * SKIPS)).isoformat()
