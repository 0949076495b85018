"""Quarantine: bad credentials, or more than 40 % of at least 10 operations failing, slow cycles to
once a day until a cycle succeeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from provisioning.errors import UnauthorizedError
from sandbox.graph import APP_ROLE_USER_ID
from tests.e2e.conftest import Harness

START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


async def test_bad_credentials_quarantine_then_daily_then_recover(harness: Harness) -> None:
    harness.world.seed_demo_tenant()
    with pytest.raises(UnauthorizedError):
        await harness.timer(at=START, GOTO_ACCESS_TOKEN="revoked-token")
    quarantine = await harness.control("quarantine")
    assert quarantine is not None and quarantine["Reason"] == "credentials"
    assert "revoked-token" not in str(quarantine)

    later = await harness.timer(at=START + timedelta(hours=3))
    assert later.cycle.describe().startswith("skipped: quarantined (credentials)")
    harness.world.graph.counters.reset()

    recovered = await harness.timer(at=START + timedelta(hours=25))  # next daily attempt, token fixed
    assert recovered.cycle.status == "succeeded"
    assert await harness.control("quarantine") is None


async def test_most_operations_failing_quarantines(harness: Harness) -> None:
    tenant = harness.world.graph.tenant
    tenant.seed(4, 0, seed=5)
    for n in range(8):
        tenant.create_user(userPrincipalName=f"x{n}@fabrikam.example", mail=f"x{n}@fabrikam.example")
    for user in tenant.users():
        tenant.assign(user["id"], app_role_id=APP_ROLE_USER_ID)

    result = await harness.timer(at=START)

    assert result.counts.to_dict() == {"create/failure": 8, "create/success": 4}
    quarantine = await harness.control("quarantine")
    assert quarantine is not None and quarantine["Reason"] == "too-many-failures"
    assert quarantine["Detail"] == "8 of 12 operations failed"
    skipped = await harness.timer(at=START + timedelta(hours=1))
    assert skipped.cycle.describe().startswith("skipped: quarantined (too-many-failures)")
