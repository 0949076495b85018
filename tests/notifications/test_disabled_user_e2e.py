"""A user disabled in Entra is inactive in GoTo from the notification alone, before any delta cycle,
and the next delta cycle finds GoTo already right and sends it nothing: the Graph simulator POSTs to
the webhook over loopback HTTP, the id travels on Azurite's queue, the worker provisions it; no log
line carries the function key or the clientState."""

from __future__ import annotations

import logging

import pytest

from provisioning.config import load_settings
from provisioning.notifications.subscriptions import run_subscription_timer
from provisioning.service import run_sync
from sandbox.graph.subscriptions import SubscriptionHub
from sandbox.world import World
from tests.notifications.conftest import CLIENT_STATE, FUNCTION_KEY, FunctionsHost
from tests.notifications.helpers import goto_user, goto_writes


async def test_disabled_in_entra_is_inactive_in_goto_and_the_cycle_sends_nothing(
    world: World,
    hub: SubscriptionHub,
    host: FunctionsHost,
    notify_env: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    seeded = world.seed_demo_tenant(users=12, groups=2)
    settings = load_settings()
    await run_sync(settings, initiated_by="test")
    assert await run_subscription_timer(settings) == {"/users": "created", "/groups": "created"}
    user_id = seeded["in_scope"][1]
    upn = str(world.graph.tenant.user(user_id)["userPrincipalName"])
    assert goto_user(world, upn)["active"] is True
    validations = len(host.answers)  # warm-ups and Graph's validations of both subscriptions
    assert validations == 6 and all(status == 200 for status, _ in host.answers)

    world.graph.tenant.disable_user(user_id)
    assert hub.wait_idle()
    assert [status for status, _ in host.answers[validations:]] == [202], hub.deliveries
    assert host.messages() != []
    assert await host.drain() == 1
    assert host.failures == []
    assert goto_user(world, upn)["active"] is False

    before = goto_writes(world)
    result = await run_sync(settings, initiated_by="test")
    assert result.cycle.status.value == "succeeded"
    assert goto_writes(world) == before, "the delta cycle applied the notification's change again"
    assert caplog.records, "nothing was logged: the check below would prove nothing"
    assert FUNCTION_KEY not in caplog.text and CLIENT_STATE not in caplog.text
