"""A notification Graph never delivers (`missed` is not documented for users and groups): nothing
reaches the queue, and the next delta cycle (the timer's backstop) disables the account anyway."""

from __future__ import annotations

from provisioning.config import load_settings
from provisioning.notifications.subscriptions import run_subscription_timer
from provisioning.service import run_sync
from sandbox.graph.subscriptions import SubscriptionHub
from sandbox.world import World
from tests.notifications.conftest import FunctionsHost
from tests.notifications.helpers import goto_user, upn_of


async def test_a_lost_notification_is_recovered_by_the_delta_cycle(
    world: World, hub: SubscriptionHub, host: FunctionsHost, notify_env: dict[str, str]
) -> None:
    seeded = world.seed_demo_tenant(users=12, groups=2)
    settings = load_settings()
    await run_sync(settings, initiated_by="test")
    await run_subscription_timer(settings)
    user_id = seeded["in_scope"][3]
    hub.drop_next = 1

    world.graph.tenant.disable_user(user_id)
    assert hub.wait_idle()
    assert [d for d in hub.deliveries if d.kind == "change"] == []
    assert await host.drain() == 0
    assert goto_user(world, upn_of(world, user_id))["active"] is True  # the notification was lost

    await run_sync(settings, initiated_by="timer")
    assert goto_user(world, upn_of(world, user_id))["active"] is False
