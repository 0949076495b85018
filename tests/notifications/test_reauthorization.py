"""`reauthorizationRequired` from Graph: the webhook enqueues the lifecycle event, the worker
reauthorizes the subscription (POST /subscriptions/{id}/reauthorize); an event for a subscription
that is not ours changes nothing."""

from __future__ import annotations

from datetime import timedelta

from provisioning.config import load_settings
from provisioning.notifications.subscriptions import run_subscription_timer
from sandbox.graph.subscriptions import SubscriptionHub
from sandbox.world import World
from tests.notifications.conftest import FunctionsHost


async def test_reauthorization_required_is_answered_by_reauthorizing(
    world: World, hub: SubscriptionHub, host: FunctionsHost, notify_env: dict[str, str]
) -> None:
    await run_subscription_timer(load_settings())
    users = next(s for s in hub.live() if s.resource == "/users")
    delivery = hub.require_reauthorization(users.id)
    assert delivery.status == 202
    assert users.reauthorization_required
    assert await host.drain() == 1
    assert host.failures == []
    assert not users.reauthorization_required
    assert world.graph.counters.snapshot().get("POST /v1.0/subscriptions/{id}/reauthorize") == 1


async def test_an_event_for_a_foreign_subscription_is_ignored(
    world: World, hub: SubscriptionHub, host: FunctionsHost, notify_env: dict[str, str]
) -> None:
    await run_subscription_timer(load_settings())
    ours = {s.id for s in hub.live()}
    foreign = hub.create(
        {
            "resource": "/users",
            "changeType": "deleted",  # another app's subscription on the same URL
            "notificationUrl": host.notification_url,
            "clientState": notify_env["GRAPH_NOTIFICATION_CLIENT_STATE"],
            "expirationDateTime": (hub.now() + timedelta(days=1)).isoformat(),
        }
    )
    assert foreign.id not in ours
    hub.require_reauthorization(foreign.id)
    assert await host.drain() == 1
    assert host.failures == []
    assert foreign.reauthorization_required  # not ours: left alone
    assert "POST /v1.0/subscriptions/{id}/reauthorize" not in world.graph.counters.snapshot()
