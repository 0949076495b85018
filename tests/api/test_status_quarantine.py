"""Quarantine in status: staged deprovisions (accidental-deletion threshold) wait for an admin with
no next attempt, timer cycles show as the last skip; a credentials quarantine retries a day after
its last attempt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from provisioning.api.status import build_status
from provisioning.config import Settings, load_settings
from provisioning.engine.quarantine import QUARANTINE
from provisioning.state.tables import TableState
from sandbox.world import World
from tests.e2e.conftest import Harness

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def test_staged_deprovisions_and_their_quarantine(world: World) -> None:
    harness = Harness(world, DEPROVISION_THRESHOLD="3")
    seeded = world.seed_demo_tenant()
    await harness.cycle()
    world.graph.tenant.unassign(seeded["assigned_groups"][0])
    held = await harness.cycle()
    staged = held.counts["stagedDelete", "skipped"]
    assert staged > 3
    skipped = await harness.timer()
    assert skipped.cycle.describe().startswith("skipped: quarantined (too-many-deletes)")

    async for state in harness.state():
        status = await build_status(state=state, settings=load_settings(harness.env), now=datetime.now(UTC))
    assert status["stagedDeprovisions"] == staged
    quarantine = status["quarantine"]
    assert quarantine["reason"] == "too-many-deletes" and quarantine["awaitingApproval"] is True
    assert quarantine["nextAttempt"] is None and "DEPROVISION_THRESHOLD=3" in quarantine["detail"]
    assert quarantine["since"] is not None
    assert status["lastCycle"]["id"] == held.cycle.id
    assert status["lastCycle"]["counts"]["stagedDelete/skipped"] == staged
    assert status["lastSkip"] == {
        "id": skipped.cycle.id,
        "time": skipped.cycle.ended,
        "status": skipped.cycle.status,
        "detail": skipped.cycle.detail,
    }

    await harness.settle(approve=False)
    async for state in harness.state():
        status = await build_status(state=state, settings=load_settings(harness.env), now=datetime.now(UTC))
    assert status["quarantine"] is None and status["stagedDeprovisions"] == 0
    assert status["lastCycle"]["kind"] == "staged-rejection" and status["lastSkip"] is None


async def test_a_credentials_quarantine_shows_its_next_daily_attempt(
    tables_connection_string: str, table_prefix: str
) -> None:
    since, last = NOW - timedelta(days=2), NOW - timedelta(hours=3)
    async with TableState.from_connection_string(tables_connection_string, prefix=table_prefix) as state:
        await state.set_control(
            QUARANTINE,
            {
                "Reason": "credentials",
                "Since": since.isoformat(),
                "LastAttempt": last.isoformat(),
                "Detail": "401",
            },
        )
        status = await build_status(state=state, settings=Settings(service_principal_id="x"), now=NOW)
    assert status["quarantine"] == {
        "reason": "credentials",
        "since": since.isoformat(),
        "detail": "401",
        "lastAttempt": last.isoformat(),
        "nextAttempt": (last + timedelta(hours=24)).isoformat(),
        "awaitingApproval": False,
    }
