"""Accidental-deletion threshold: over DEPROVISION_THRESHOLD disables/deletes in one cycle, none run;
they are staged, the job is quarantined, and an admin approves or rejects them."""

from __future__ import annotations

import pytest

from sandbox.graph import APP_ROLE_USER_ID
from tests.e2e.conftest import Harness


def _active(harness: Harness) -> int:
    return sum(1 for u in harness.goto_users().values() if u.get("active"))


@pytest.mark.parametrize("approve", [True, False], ids=["approve", "reject"])
async def test_staged_deprovisions_wait_for_an_admin(harness: Harness, approve: bool) -> None:
    harness.env["DEPROVISION_THRESHOLD"] = "3"
    tenant = harness.world.graph.tenant
    seeded = harness.world.seed_demo_tenant()
    await harness.cycle()
    active_before = _active(harness)
    group = seeded["assigned_groups"][0]
    tenant.unassign(group)

    held = await harness.cycle()
    assert held.counts["stagedDelete", "skipped"] > 3
    assert held.counts["disable", "success"] == 0
    assert _active(harness) == active_before
    quarantine = await harness.control("quarantine")
    assert quarantine is not None and quarantine["Reason"] == "too-many-deletes"

    skipped = await harness.timer()
    assert skipped.cycle.describe().startswith("skipped: quarantined (too-many-deletes)")

    settled = await harness.settle(approve=approve)
    staged = held.counts["stagedDelete", "skipped"]
    if approve:  # the group's members, and the group itself (deletes count against the guard)
        assert settled.counts.to_dict() == {"disable/success": staged - 1, "delete/success": 1}
        assert _active(harness) == active_before - (staged - 1)
    else:
        assert settled.counts.to_dict() == {"other/skipped": staged}
        assert _active(harness) == active_before
    assert await harness.control("quarantine") is None
    after = await harness.timer()
    assert after.cycle.status == "succeeded"


@pytest.mark.slow
async def test_600_disables_deprovision_nobody(harness: Harness) -> None:
    tenant = harness.world.graph.tenant
    tenant.seed(620, 1, seed=3)
    group = tenant.groups()[0]["id"]
    for user in tenant.users():
        if (user["id"], "user") not in tenant.members(group):
            tenant.add_member(group, user["id"])
    tenant.assign(group, app_role_id=APP_ROLE_USER_ID)
    first = await harness.cycle()
    assert first.counts.to_dict() == {"create/success": 620, "create/warning": 1}  # the group: truncated

    tenant.unassign(group)
    tenant.assign(tenant.users()[0]["id"], app_role_id=APP_ROLE_USER_ID)  # one user stays in scope
    held = await harness.cycle()

    assert held.counts.to_dict() == {"stagedDelete/skipped": 620}  # 619 users and the group
    assert _active(harness) == 620
    quarantine = await harness.control("quarantine")
    assert (
        quarantine is not None
        and "620 disables/deletes exceed DEPROVISION_THRESHOLD=500" in quarantine["Detail"]
    )
