"""The subscription timer: creates both subscriptions (within Graph's 41,760 minutes), keeps them
while far from expiry (no request but a read), renews them before they expire, and recreates one
that is gone or whose clientState changed. Rows in Table Storage hold ids and expiry, not secrets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from provisioning.config import load_settings
from provisioning.notifications.subscriptions import (
    MAX_LIFETIME_MINUTES,
    RENEW_WITHIN,
    open_subscription_manager,
)
from sandbox.graph.subscriptions import SubscriptionHub
from sandbox.world import World, environment
from tests.notifications.conftest import CLIENT_STATE, FunctionsHost, notification_env


def patches(world: World) -> int:
    return world.graph.counters.snapshot().get("PATCH /v1.0/subscriptions/{id}", 0)


async def test_created_kept_renewed_before_expiry_and_recreated_when_gone(
    world: World, hub: SubscriptionHub, host: FunctionsHost, notify_env: dict[str, str]
) -> None:
    settings = load_settings()
    now = datetime.now(UTC)
    clock = [now]
    async with open_subscription_manager(settings, clock=lambda: clock[0]) as manager:
        assert await manager.ensure() == {"/users": "created", "/groups": "created"}
        live = {s.resource: s for s in hub.live()}
        assert set(live) == {"/users", "/groups"}
        for sub in live.values():
            assert sub.expiration <= now + timedelta(minutes=MAX_LIFETIME_MINUTES)
            assert sub.expiration > now + timedelta(days=28)
            assert sub.client_state == CLIENT_STATE and sub.change_type == "updated,deleted"
        rows = {r.resource: r for r in await manager.rows()}
        assert rows["/users"].subscription_id == live["/users"].id
        first_expiry = live["/users"].expiration

        assert await manager.ensure() == {"/users": "kept", "/groups": "kept"}
        assert patches(world) == 0

        ahead = live["/users"].expiration - now - RENEW_WITHIN + timedelta(minutes=1)
        clock[0] = now + ahead
        hub.advance(ahead)
        assert await manager.ensure() == {"/users": "renewed", "/groups": "renewed"}
        assert patches(world) == 2
        renewed = hub.get(live["/users"].id)
        assert renewed.expiration > first_expiry
        assert (await manager.rows())[0].expiration == renewed.expiration

        hub.forget(live["/groups"].id)  # gone behind our back
        assert await manager.ensure() == {"/users": "kept", "/groups": "recreated"}
        assert {s.resource for s in hub.live()} == {"/users", "/groups"}
        assert hub.live()[1].id != live["/groups"].id


async def test_a_new_client_state_recreates_both_subscriptions(
    world: World, hub: SubscriptionHub, host: FunctionsHost, notify_env: dict[str, str]
) -> None:
    async with open_subscription_manager(load_settings()) as manager:
        await manager.ensure()
    old = {s.id for s in hub.live()}
    with environment(
        notification_env(world, host, GRAPH_NOTIFICATION_CLIENT_STATE="rotated-" + CLIENT_STATE)
    ):
        async with open_subscription_manager(load_settings()) as manager:
            assert await manager.ensure() == {"/users": "recreated", "/groups": "recreated"}
    assert {s.id for s in hub.live()}.isdisjoint(old)
    assert all(s.client_state == "rotated-" + CLIENT_STATE for s in hub.live())
