"""While another holder has the single-flight lease (a running cycle), the worker writes nothing,
waits a bounded time, and puts the ids back on the queue (invisible for a while) instead of failing:
no message lost, none poisoned, and the change applied once the lease is free."""

from __future__ import annotations

from provisioning.config import load_settings
from provisioning.engine.lease import Lease
from provisioning.notifications.messages import ChangeBatch
from provisioning.notifications.queue import NotificationQueue
from provisioning.notifications.worker import process_message
from provisioning.service import open_state, run_sync
from sandbox.world import World
from tests.notifications.conftest import FunctionsHost
from tests.notifications.helpers import goto_user, goto_writes, upn_of


async def test_a_held_lease_puts_the_ids_back_on_the_queue(
    world: World, host: FunctionsHost, notify_env: dict[str, str]
) -> None:
    seeded = world.seed_demo_tenant(users=8, groups=1)
    settings = load_settings()
    await run_sync(settings, initiated_by="test")
    user_id = seeded["in_scope"][1]
    world.graph.tenant.disable_user(user_id)
    text = ChangeBatch(users=(user_id,)).to_json()
    before = goto_writes(world)

    async with (
        open_state(settings) as state,
        Lease(state, "a-running-cycle", ttl=3.0, renew_every=1.0),  # renewed: a live holder
        NotificationQueue.from_settings(settings.change_notifications) as queue,
    ):
        result = await process_message(text, dequeue_count=1, settings=settings, queue=queue)
    assert result.requeued == [user_id]
    assert goto_writes(world) == before
    with host.queue() as client:
        assert client.get_queue_properties().approximate_message_count == 1  # invisible, not lost

    async with NotificationQueue.from_settings(settings.change_notifications) as queue:
        result = await process_message(text, dequeue_count=1, settings=settings, queue=queue)
    assert result.requeued == [] and result.provisioned == [user_id]
    assert goto_user(world, upn_of(world, user_id))["active"] is False
