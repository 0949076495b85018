"""A message that keeps failing goes to `<queue>-poison` with an audit record (NotificationPoisoned):
at once when it cannot be read, at its fifth attempt (host.json maxDequeueCount) when Graph keeps
failing; each earlier attempt raises so the host makes it visible again. host.json and the worker
agree on the count."""

from __future__ import annotations

import json
from pathlib import Path

from provisioning.config import load_settings
from provisioning.errors import SourceError
from provisioning.notifications.messages import ChangeBatch
from provisioning.notifications.worker import MAX_DEQUEUE_COUNT
from provisioning.service import open_state
from sandbox.world import World
from tests.notifications.conftest import FunctionsHost

HOST_JSON = Path(__file__).resolve().parents[2] / "host.json"


def test_host_json_and_the_worker_agree_on_the_dequeue_count() -> None:
    queues = json.loads(HOST_JSON.read_text())["extensions"]["queues"]
    assert queues["maxDequeueCount"] == MAX_DEQUEUE_COUNT
    assert queues["messageEncoding"] == "base64"  # what NotificationQueue writes


async def audit_of(message_id: str) -> list[object]:
    async with open_state(load_settings()) as state:
        return list(await state.list_audit_records(f"notification-{message_id}"))


def put(host: FunctionsHost, text: str) -> str:
    with host.queue() as client:
        client.create_queue()
        return str(client.send_message(text).id)


async def test_an_unreadable_message_is_poisoned_at_once_with_an_audit_record(
    world: World, host: FunctionsHost, notify_env: dict[str, str]
) -> None:
    message_id = put(host, "{not json")
    assert await host.drain() == 1
    assert host.failures == []
    assert host.messages() == []
    assert host.messages(host.queue_name + "-poison") == ["{not json"]
    (record,) = await audit_of(message_id)
    assert record.error_code == "NotificationPoisoned"  # type: ignore[attr-defined]
    assert record.status.value == "failure"  # type: ignore[attr-defined]


async def test_a_message_failing_on_every_attempt_is_poisoned_at_the_fifth(
    world: World, host: FunctionsHost, notify_env: dict[str, str]
) -> None:
    seeded = world.seed_demo_tenant(users=6, groups=1)
    world.graph.faults.configure(server_error_share=1.0)  # Graph answers 500 to every read
    text = ChangeBatch(users=(seeded["in_scope"][0],)).to_json()
    message_id = put(host, text)
    assert await host.drain(visibility=1) == MAX_DEQUEUE_COUNT
    assert len(host.failures) == MAX_DEQUEUE_COUNT - 1
    assert all(isinstance(f, SourceError) for f in host.failures), host.failures
    assert host.messages() == []
    assert host.messages(host.queue_name + "-poison") == [text]
    (record,) = await audit_of(message_id)
    assert record.error_code == "NotificationPoisoned"  # type: ignore[attr-defined]
    assert record.source_id == seeded["in_scope"][0]  # type: ignore[attr-defined]
