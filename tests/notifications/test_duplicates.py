"""Graph sends the same change three times (duplicates happen, graph.md): the first message disables
the account, the other two find GoTo already right and send nothing."""

from __future__ import annotations

from provisioning.config import load_settings
from provisioning.notifications.subscriptions import run_subscription_timer
from provisioning.service import run_sync
from sandbox.graph.subscriptions import SubscriptionHub
from sandbox.world import World
from tests.notifications.conftest import FunctionsHost
from tests.notifications.helpers import goto_user, goto_writes, upn_of


async def test_a_change_notified_three_times_is_applied_once(
    world: World, hub: SubscriptionHub, host: FunctionsHost, notify_env: dict[str, str]
) -> None:
    seeded = world.seed_demo_tenant(users=12, groups=2)
    settings = load_settings()
    await run_sync(settings, initiated_by="test")
    await run_subscription_timer(settings)
    user_id = seeded["in_scope"][2]
    hub.duplicates = 2

    before = goto_writes(world)
    world.graph.tenant.disable_user(user_id)
    assert hub.wait_idle()
    assert len([d for d in hub.deliveries if d.kind == "change"]) == 3
    assert await host.drain() == 3
    assert host.failures == []
    assert goto_user(world, upn_of(world, user_id))["active"] is False
    assert goto_writes(world) - before == 1, world.goto.counters.snapshot()
