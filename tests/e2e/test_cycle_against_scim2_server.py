"""The whole cycle, unchanged, against scim2-server: an independent SCIM 2.0 implementation.

Only settings change (base URL, token, GOTO_SCIM_DIALECT=rfc7644); no code knows which peer it talks to.
"""

from __future__ import annotations

from typing import Any

import httpx

from provisioning.model import AuditStatus
from sandbox.scim2_server import Scim2Server
from tests.e2e.conftest import Harness


def _users(base_url: str, token: str) -> dict[str, dict[str, Any]]:
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as client:
        body = client.get("/Users", params={"count": 1000}).json()
    return {u["userName"].lower(): u for u in body.get("Resources", [])}


async def test_initial_and_incremental_cycle_against_scim2_server(
    harness: Harness, scim2_server_process: Scim2Server
) -> None:
    base_url = scim2_server_process.new_tenant_url()
    harness.env.update(
        GOTO_SCIM_BASE_URL=base_url, GOTO_ACCESS_TOKEN=scim2_server_process.token, GOTO_SCIM_DIALECT="rfc7644"
    )
    tenant = harness.world.graph.tenant
    seeded = harness.world.seed_demo_tenant()
    upn = {u: tenant.user(u)["userPrincipalName"].lower() for u in seeded["in_scope"]}

    first = await harness.cycle()
    assert first.failures == 0, first.counts
    groups = len(seeded["assigned_groups"])  # pushed to the peer too
    assert first.counts["create", "success"] == len(seeded["in_scope"]) + groups  # nothing pre-exists here
    users = _users(base_url, scim2_server_process.token)
    assert set(users) == set(upn.values())
    renamed, disabled, deleted = seeded["in_scope"][1:4]
    assert users[upn[renamed]]["emails"][0]["value"] == tenant.user(renamed)["mail"]

    tenant.update_user(renamed, displayName="Renamed On Scim2", mail="renamed@contoso.com")
    tenant.disable_user(disabled)
    tenant.hard_delete_user(deleted)
    second = await harness.cycle()

    records = {r.source_id: (r.action, r.status) for r in await harness.audit(second)}
    # a hard delete in Entra is a DELETE or a deactivation, per HARD_DELETE_ACTION (either default)
    assert records.pop(deleted) in {("delete", AuditStatus.SUCCESS), ("disable", AuditStatus.SUCCESS)}
    assert records == {renamed: ("update", AuditStatus.SUCCESS), disabled: ("disable", AuditStatus.SUCCESS)}
    users = _users(base_url, scim2_server_process.token)
    assert users[upn[renamed]]["displayName"] == "Renamed On Scim2"
    assert [e["value"] for e in users[upn[renamed]]["emails"]] == ["renamed@contoso.com"]
    assert users[upn[disabled]]["active"] is False
    assert upn[deleted] not in users or users[upn[deleted]]["active"] is False
