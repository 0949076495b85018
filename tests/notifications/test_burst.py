"""A burst of 500 notifications (100 users disabled at once, each notified five times, in POSTs of
100 as Graph batches them): every POST answered 202 well within Graph's 3 s, every account
disabled once, and GoTo's rate limit never hit (no 429) with the product at GoTo's pace."""

from __future__ import annotations

import time

from provisioning.config import load_settings
from provisioning.notifications.subscriptions import run_subscription_timer
from provisioning.service import run_sync
from sandbox.graph.subscriptions import SubscriptionHub
from sandbox.world import World, environment
from tests.notifications.conftest import FunctionsHost, notification_env
from tests.notifications.helpers import goto_writes

USERS = 100
COPIES = 5
RATE = 25.0  # GoTo's limit in this test and the product's GOTO_RATE_LIMIT_PER_SECOND


async def test_500_notifications_within_the_rate_limit(
    world: World, hub: SubscriptionHub, host: FunctionsHost
) -> None:
    seeded = world.seed_demo_tenant(users=170, groups=2)
    assert len(seeded["in_scope"]) > USERS
    with environment(notification_env(world, host)):
        await run_sync(load_settings(), initiated_by="test")  # accounts created at the fixture's fast rate
    world.goto.configure(rate_limit_per_second=RATE)
    with environment(notification_env(world, host, GOTO_RATE_LIMIT_PER_SECOND=str(RATE))):
        settings = load_settings()
        await run_subscription_timer(settings)
        answered = len(host.answers)
        hub.duplicates = COPIES - 1
        chosen = seeded["in_scope"][:USERS]
        before = goto_writes(world)
        with world.graph.tenant.lock:  # one change set, as a bulk disable in Entra is
            for user_id in chosen:
                world.graph.tenant.disable_user(user_id)
        assert hub.wait_idle(timeout=30)
        changes = [d for d in hub.deliveries if d.kind == "change"]
        assert sum(len(d.ids) for d in changes) == USERS * COPIES
        posts = host.answers[answered:]
        assert len(posts) == COPIES and all(status == 202 for status, _ in posts), posts
        assert max(seconds for _, seconds in posts) < 1.0, posts

        started = time.monotonic()
        assert await host.drain() == COPIES
        elapsed = time.monotonic() - started
    assert host.failures == []
    disabled = {u["userName"] for u in world.goto.store.users() if u.get("active") is False}
    tenant = world.graph.tenant
    assert {str(tenant.user(u)["userPrincipalName"]) for u in chosen} <= disabled
    assert goto_writes(world) - before == USERS, "a duplicate was applied twice"
    assert sum(world.goto.rate_limited.snapshot().values()) == 0
    print(f"500 notifications: {USERS} accounts disabled in {elapsed:.1f} s")
