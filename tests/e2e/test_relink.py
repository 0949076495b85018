"""An update whose GoTo account is gone: recreate it, or adopt the account now holding the userName."""

from __future__ import annotations

from provisioning.model import AuditStatus
from tests.e2e.conftest import Harness


async def test_update_of_a_vanished_account_recreates_it(harness: Harness) -> None:
    tenant, goto = harness.world.graph.tenant, harness.world.goto.store
    seeded = harness.world.seed_demo_tenant()
    await harness.cycle()
    user = seeded["in_scope"][1]
    upn = tenant.user(user)["userPrincipalName"]
    old = goto.find_user(upn)
    assert old is not None
    goto.delete_user(old["id"])
    tenant.update_user(user, displayName="Back Again")

    result = await harness.cycle()

    [record] = await harness.audit(result)
    assert (record.action, record.status) == ("create", AuditStatus.SUCCESS)
    assert "linked GoTo account was gone" in (record.reason or "")
    again = goto.find_user(upn)
    assert again is not None and again["id"] != old["id"] and again["displayName"] == "Back Again"
    assert record.target_id == again["id"]


async def test_update_of_a_replaced_account_adopts_the_new_one(harness: Harness) -> None:
    tenant, goto = harness.world.graph.tenant, harness.world.goto.store
    seeded = harness.world.seed_demo_tenant()
    await harness.cycle()
    user = seeded["in_scope"][1]
    upn = tenant.user(user)["userPrincipalName"]
    old = goto.find_user(upn)
    assert old is not None
    goto.delete_user(old["id"])
    replacement = goto.create_user({"userName": upn, "emails": [{"type": "work", "value": upn}]})
    tenant.update_user(user, displayName="Adopted Again")

    result = await harness.cycle()

    [record] = await harness.audit(result)
    assert (record.action, record.status, record.target_id) == (
        "update",
        AuditStatus.SUCCESS,
        replacement["id"],
    )
    assert "adopted" in (record.reason or "")
    assert len([u for u in goto.users() if u["userName"].lower() == upn.lower()]) == 1
    assert goto.get_user(replacement["id"])["displayName"] == "Adopted Again"
