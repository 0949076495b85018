"""The webhook's reading of a Graph POST, pure: ids deduplicated and batched per POST (chunks of
200), users and groups apart, lifecycle events kept, anything else refused; queue messages round-trip
and a foreign one is MalformedMessage."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from provisioning.notifications.messages import (
    MAX_IDS_PER_MESSAGE,
    ChangeBatch,
    MalformedMessage,
    parse_notifications,
)

STATE = "s" * 32


def body(*items: dict[str, Any]) -> bytes:
    return json.dumps({"value": list(items)}).encode()


def change(resource: str, object_id: str, state: str = STATE) -> dict[str, Any]:
    return {"resource": f"{resource}/{object_id}", "resourceData": {"id": object_id}, "clientState": state}


def test_duplicates_in_one_post_become_one_id() -> None:
    user, group = str(uuid.uuid4()), str(uuid.uuid4())
    parsed = parse_notifications(
        body(change("Users", user), change("Users", user.upper()), change("Groups", group)),
        STATE,
        received_at="t",
    )
    assert parsed.accepted == 3 and parsed.refused == 0
    (batch,) = parsed.batches
    assert batch.users == (user,) and batch.groups == (group,) and batch.received_at == "t"


def test_a_large_post_is_chunked() -> None:
    ids = [str(uuid.uuid4()) for _ in range(MAX_IDS_PER_MESSAGE + 1)]
    parsed = parse_notifications(body(*(change("Users", i) for i in ids)), STATE, received_at="t")
    assert [len(b.users) for b in parsed.batches] == [MAX_IDS_PER_MESSAGE, 1]


def test_lifecycle_events_and_refusals() -> None:
    event = {"subscriptionId": "sub-1", "lifecycleEvent": "reauthorizationRequired", "clientState": STATE}
    other = {"resource": "me/events/1", "resourceData": {"id": "1"}, "clientState": STATE}
    parsed = parse_notifications(
        body(event, other, change("Users", "not-a-guid"), change("Users", str(uuid.uuid4()), "x")),
        STATE,
        received_at="t",
    )
    assert parsed.accepted == 1 and parsed.refused == 3
    assert [(e.subscription_id, e.event) for e in parsed.batches[0].lifecycle] == [
        ("sub-1", "reauthorizationRequired")
    ]


@pytest.mark.parametrize("raw", [b"not json", b"[]", b'{"value": 3}'])
def test_a_body_that_is_not_a_notification_collection_is_an_error(raw: bytes) -> None:
    with pytest.raises(ValueError):
        parse_notifications(raw, STATE, received_at="t")


def test_messages_round_trip_and_foreign_ones_are_malformed() -> None:
    batch = ChangeBatch(
        users=(str(uuid.uuid4()),), groups=(str(uuid.uuid4()),), received_at="2026-12-01T00:00:00"
    )
    assert ChangeBatch.from_json(batch.to_json()) == batch
    for text in ("{", '{"v": 2}', '{"v": 1, "users": ["x"]}', '{"v": 1, "lifecycle": [{}]}'):
        with pytest.raises(MalformedMessage):
            ChangeBatch.from_json(text)
