"""A user added to an assigned group (a `/groups` notification names only the group): the worker
provisions the new member and pushes the group with it, before any delta cycle."""

from __future__ import annotations

from provisioning.config import load_settings
from provisioning.notifications.subscriptions import run_subscription_timer
from provisioning.service import run_sync
from sandbox.graph.subscriptions import SubscriptionHub
from sandbox.world import World
from tests.notifications.conftest import FunctionsHost
from tests.notifications.helpers import goto_user


async def test_a_new_member_of_an_assigned_group_is_provisioned_and_added(
    world: World, hub: SubscriptionHub, host: FunctionsHost, notify_env: dict[str, str]
) -> None:
    seeded = world.seed_demo_tenant(users=10, groups=2)
    settings = load_settings()
    await run_sync(settings, initiated_by="test")
    tenant = world.graph.tenant
    newcomer = tenant.create_user(givenName="Nia", surname="Newcomer")
    await run_subscription_timer(settings)
    group_id = seeded["assigned_groups"][0]
    group_name = tenant.group(group_id)["displayName"]

    tenant.add_member(group_id, newcomer["id"])
    assert hub.wait_idle()
    deliveries = [d for d in hub.deliveries if d.kind == "change"]
    assert [d.ids for d in deliveries] == [[group_id]]  # a membership change: the group alone
    assert await host.drain() == 1
    assert host.failures == []
    account = goto_user(world, newcomer["userPrincipalName"])
    assert account["active"] is True
    (goto_group,) = [g for g in world.goto.store.groups() if g["displayName"] == group_name]
    assert account["id"] in {m["value"] for m in goto_group.get("members", [])}
