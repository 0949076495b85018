"""POST /api/restart and POST /api/staged/approve|reject through the real Function app object."""

from __future__ import annotations

from sandbox.world import World, environment
from tests.e2e.conftest import Harness
from tests.fixtures.functions import Caller


async def test_restart_keeps_links_unless_asked(call: Caller, world: World, api_env: dict[str, str]) -> None:
    harness = Harness(world)
    world.seed_demo_tenant(users=10, groups=2)
    await harness.cycle()

    status, body = await call("restart_provisioning")
    assert status == 200 and body["linksKept"] is True and body["linksRemoved"] == 0
    assert await harness.watermark("users") is None
    status, body = await call("restart_provisioning", body={"resetLinks": True})
    assert status == 200 and body["linksRemoved"] > 0
    again = await harness.cycle()
    assert again.cycle.kind == "initial" and again.counts["create", "success"] == 0  # adopted, not duplicated

    status, body = await call("restart_provisioning", body={"resetLinks": "yes"})
    assert status == 400 and body["error"]["field"] == "resetLinks"
    status, body = await call("restart_provisioning", params={"force": "1"})
    assert status == 400 and body["error"]["field"] == "force"


async def test_staged_routes_settle_held_deprovisions(
    call: Caller, world: World, api_env: dict[str, str]
) -> None:
    harness = Harness(world, DEPROVISION_THRESHOLD="2")
    seeded = world.seed_demo_tenant()
    await harness.cycle()
    world.graph.tenant.unassign(seeded["assigned_groups"][0])
    held = await harness.cycle()
    staged = held.counts["stagedDelete", "skipped"]

    with environment({"DEPROVISION_THRESHOLD": "2"}):
        status, body = await call("staged_approve")
    assert status == 202, body  # recorded, not applied inside the request (Flex cuts HTTP at 230 s)
    assert body["accepted"] is True and body["staged"] == staged and "status" in body["watch"]
    assert await harness.control("staged-decision") is not None
    assert all(u["active"] for u in harness.goto_users().values())  # nothing applied yet

    applied = await harness.timer()  # the next tick applies the approval under the lease
    assert applied.cycle.kind == "staged-approval"
    # the unassigned group's members, and the group itself (its delete was held with them)
    assert applied.counts.to_dict() == {"disable/success": staged - 1, "delete/success": 1}
    assert await harness.control("staged-decision") is None and await harness.control("quarantine") is None
    status, body = await call("staged_approve")
    assert status == 200 and body["accepted"] is False and body["staged"] == 0
    status, body = await call("staged_reject")
    assert status == 200 and body["settled"] == 0
    status, body = await call("staged_approve", body={"all": True})
    assert status == 400 and body["error"]["field"] == "all"
