"""The accidental-deletion guard on the notification path: with DEPROVISION_THRESHOLD=2, four users
disabled at once are two disables from notifications, the other two left to the delta cycle (which
applies or stages them under its own guard); the count lives in a control row for the hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from provisioning.config import load_settings
from provisioning.notifications.subscriptions import run_subscription_timer
from provisioning.notifications.worker import DeprovisionBudget
from provisioning.service import open_state, run_sync
from provisioning.state.memory import MemoryState
from sandbox.graph.subscriptions import SubscriptionHub
from sandbox.world import World, environment
from tests.notifications.conftest import FunctionsHost, notification_env
from tests.notifications.helpers import goto_user, upn_of


async def test_notifications_disable_at_most_the_threshold_per_hour(
    world: World, hub: SubscriptionHub, host: FunctionsHost
) -> None:
    seeded = world.seed_demo_tenant(users=12, groups=2)
    with environment(notification_env(world, host, DEPROVISION_THRESHOLD="2")):
        settings = load_settings()
        await run_sync(settings, initiated_by="test")
        await run_subscription_timer(settings)
        chosen = seeded["in_scope"][1:5]
        with world.graph.tenant.lock:
            for user_id in chosen:
                world.graph.tenant.disable_user(user_id)
        assert hub.wait_idle()
        assert await host.drain() == 1
        assert host.failures == []
        inactive = [u for u in chosen if goto_user(world, upn_of(world, u))["active"] is False]
        assert len(inactive) == 2
        async with open_state(settings) as state:
            row = await state.get_control("notification-deprovisions")
        assert row is not None and row["Count"] == 2

        await run_sync(settings, initiated_by="timer")  # two left: within the cycle's own threshold
        assert all(goto_user(world, upn_of(world, u))["active"] is False for u in chosen)


async def test_the_window_starts_again_after_an_hour() -> None:
    now = [datetime(2026, 12, 1, 12, 0, tzinfo=UTC)]
    async with MemoryState(prefix="budget") as state:
        budget = DeprovisionBudget(state, 1, clock=lambda: now[0])
        assert await budget.take()
        assert not await budget.take()
        now[0] += timedelta(minutes=59)
        assert not await budget.take()
        now[0] += timedelta(minutes=2)
        assert await budget.take()
