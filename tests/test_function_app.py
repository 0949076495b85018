"""The Function app object (v2 model), tested without the Functions host: bindings and the timer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from azure.functions.timer import TimerRequest

from sandbox.world import World, environment


def test_timer_binding_uses_the_schedule_setting(functions: dict[str, Any]) -> None:
    binding = json.loads(functions["sync_timer"].get_function_json())["bindings"][0]
    assert binding["type"] == "timerTrigger"
    assert binding["schedule"] == "%SYNC_SCHEDULE%"
    assert binding["runOnStartup"] is False


@pytest.fixture
def settings_env(world: World) -> Iterator[None]:
    with environment(world.env(GOTO_RATE_LIMIT_PER_SECOND="1000")):
        yield


async def test_timer_runs_one_cycle(functions: dict[str, Any], world: World, settings_env: None) -> None:
    seeded = world.seed_demo_tenant(users=12, groups=2)
    await functions["sync_timer"].get_user_function()(TimerRequest(past_due=True))
    names = {u["userName"] for u in world.goto.store.users()}
    tenant = world.graph.tenant
    assert {tenant.user(u)["userPrincipalName"] for u in seeded["in_scope"]} <= names


async def test_timer_with_a_bad_setting_fails_naming_it(functions: dict[str, Any], world: World) -> None:
    from provisioning.errors import ConfigError

    with (
        environment(world.env(SYNC_SCHEDULE="every ten minutes")),
        pytest.raises(ConfigError, match="SYNC_SCHEDULE"),
    ):
        await functions["sync_timer"].get_user_function()(TimerRequest(past_due=False))
    assert world.graph.counters.total() == 0


async def test_the_timer_waits_for_a_lease_held_briefly_instead_of_skipping(
    functions: dict[str, Any], world: World, settings_env: None
) -> None:
    from provisioning.state.tables import TableState

    seeded = world.seed_demo_tenant(users=12, groups=2)
    async with TableState.from_connection_string(
        world.azurite.connection_string, prefix=world.table_prefix
    ) as state:
        assert await state.acquire_lease("notification-worker", seconds=2.0)  # one object's work
        await functions["sync_timer"].get_user_function()(TimerRequest(past_due=False))
        [cycle] = await state.list_cycles(limit=1)
    assert cycle.status != "skipped", cycle.describe()
    names = {u["userName"] for u in world.goto.store.users()}
    tenant = world.graph.tenant
    assert {tenant.user(u)["userPrincipalName"] for u in seeded["in_scope"]} <= names
