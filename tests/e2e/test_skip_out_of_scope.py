"""SKIP_OUT_OF_SCOPE_DELETIONS=true: unassigned users keep their GoTo account; disabled ones still don't."""

from __future__ import annotations

from provisioning.model import AuditStatus
from tests.e2e.conftest import Harness


async def test_unassigned_user_is_left_active(harness: Harness) -> None:
    tenant = harness.world.graph.tenant
    harness.env["SKIP_OUT_OF_SCOPE_DELETIONS"] = "true"
    seeded = harness.world.seed_demo_tenant()
    await harness.cycle()
    unassigned, disabled = seeded["direct"][0], seeded["in_scope"][1]
    tenant.unassign(unassigned)
    tenant.disable_user(disabled)

    result = await harness.cycle()

    records = {r.source_id: r for r in await harness.audit(result)}
    assert (records[unassigned].action, records[unassigned].status) == ("other", AuditStatus.SKIPPED)
    assert "SKIP_OUT_OF_SCOPE_DELETIONS" in (records[unassigned].reason or "")
    assert records[disabled].action == "disable"
    accounts = harness.goto_users()
    assert accounts[tenant.user(unassigned)["userPrincipalName"].lower()]["active"] is True
    assert accounts[tenant.user(disabled)["userPrincipalName"].lower()]["active"] is False
