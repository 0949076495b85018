"""A leaver deleted in Entra (soft delete: Graph no longer returns the user) is disabled in GoTo from
the notification alone; the next delta cycle, which reads `@removed: changed`, sends GoTo nothing."""

from __future__ import annotations

from provisioning.config import load_settings
from provisioning.notifications.subscriptions import run_subscription_timer
from provisioning.service import run_sync
from sandbox.graph.subscriptions import SubscriptionHub
from sandbox.world import World
from tests.notifications.conftest import FunctionsHost
from tests.notifications.helpers import goto_user, goto_writes, upn_of


async def test_a_deleted_user_is_disabled_at_once_and_the_cycle_sends_nothing(
    world: World, hub: SubscriptionHub, host: FunctionsHost, notify_env: dict[str, str]
) -> None:
    seeded = world.seed_demo_tenant(users=12, groups=2)
    settings = load_settings()
    await run_sync(settings, initiated_by="test")
    await run_subscription_timer(settings)
    user_id = seeded["in_scope"][4]
    upn = upn_of(world, user_id)

    world.graph.tenant.soft_delete_user(user_id)
    assert hub.wait_idle()
    assert await host.drain() >= 1  # the user's notification (and its groups', whose members changed)
    assert host.failures == []
    assert goto_user(world, upn)["active"] is False

    before = goto_writes(world)
    result = await run_sync(settings, initiated_by="timer")
    assert result.cycle.status.value == "succeeded"
    assert goto_writes(world) == before
