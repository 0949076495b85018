"""What travels on the queue, and how a Graph notification POST becomes it: pure, no I/O.

One POST from Graph becomes one message (its ids batched, duplicates dropped), chunked at
`MAX_IDS_PER_MESSAGE` so a message stays far below the queue's 64 KiB. Lifecycle events
(`reauthorizationRequired`) travel the same way, so the webhook never calls Graph.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from provisioning.api.http import GUID

MESSAGE_VERSION = 1
MAX_IDS_PER_MESSAGE = 200
MAX_BODY_BYTES = 1_000_000  # Graph batches up to a few hundred notifications; far more is not Graph
LIFECYCLE_EVENTS = frozenset({"reauthorizationRequired", "subscriptionRemoved", "missed"})


class MalformedMessage(ValueError):
    """A queue message this version cannot read: it goes to the poison queue at once."""


@dataclass(frozen=True)
class LifecycleEvent:
    subscription_id: str
    event: str


@dataclass(frozen=True)
class ChangeBatch:
    """Ids that arrived together: users and groups to provision, lifecycle events to handle."""

    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    lifecycle: tuple[LifecycleEvent, ...] = ()
    received_at: str = ""

    @property
    def empty(self) -> bool:
        return not (self.users or self.groups or self.lifecycle)

    def to_json(self) -> str:
        return json.dumps(
            {
                "v": MESSAGE_VERSION,
                "users": list(self.users),
                "groups": list(self.groups),
                "lifecycle": [
                    {"subscriptionId": e.subscription_id, "event": e.event} for e in self.lifecycle
                ],
                "receivedAt": self.received_at,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> ChangeBatch:
        try:
            data = json.loads(text)
        except ValueError:
            raise MalformedMessage("the message is not JSON") from None
        if not isinstance(data, dict) or data.get("v") != MESSAGE_VERSION:
            raise MalformedMessage(f"the message is not a version {MESSAGE_VERSION} change batch")
        users, groups = data.get("users", []), data.get("groups", [])
        if not all(isinstance(x, str) and GUID.match(x) for x in [*users, *groups]):
            raise MalformedMessage("users and groups must be lists of Entra object ids")
        events = data.get("lifecycle", [])
        try:
            lifecycle = tuple(LifecycleEvent(str(e["subscriptionId"]), str(e["event"])) for e in events)
        except (KeyError, TypeError):
            raise MalformedMessage("lifecycle events need subscriptionId and event") from None
        return cls(tuple(users), tuple(groups), lifecycle, str(data.get("receivedAt", "")))


@dataclass
class Parsed:
    """A notification POST, read: what to enqueue and how many notifications were refused."""

    batches: list[ChangeBatch] = field(default_factory=list)
    accepted: int = 0
    refused: int = 0  # wrong or missing clientState, or not about a user or group


def _state_matches(given: Any, expected: str) -> bool:
    if not isinstance(given, str):
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def _object_id(notification: dict[str, Any]) -> tuple[str, str] | None:
    """("users" | "groups", id) from resourceData.id and the resource path; None if neither."""
    resource = str(notification.get("resource") or "")
    data = notification.get("resourceData")
    object_id = data.get("id") if isinstance(data, dict) else None
    kind = resource.split("/", 1)[0].lower().lstrip("/")
    if object_id is None and "/" in resource:
        object_id = resource.rsplit("/", 1)[1]
    if kind not in ("users", "groups") or not isinstance(object_id, str) or not GUID.match(object_id):
        return None
    return kind, object_id.lower()


def parse_notifications(body: bytes, client_state: str, *, received_at: str) -> Parsed:
    """Every notification's clientState is compared in constant time; a wrong one is dropped."""
    if len(body) > MAX_BODY_BYTES:
        raise ValueError(f"the body is over {MAX_BODY_BYTES} bytes")
    try:
        document = json.loads(body)
    except ValueError:
        raise ValueError("the body is not JSON") from None
    value = document.get("value") if isinstance(document, dict) else None
    if not isinstance(value, list):
        raise ValueError("the body has no `value` list of notifications")
    parsed = Parsed()
    users: dict[str, None] = {}
    groups: dict[str, None] = {}
    lifecycle: dict[LifecycleEvent, None] = {}
    for notification in value:
        if not isinstance(notification, dict) or not _state_matches(
            notification.get("clientState"), client_state
        ):
            parsed.refused += 1
            continue
        event = notification.get("lifecycleEvent")
        if event is not None:
            if event in LIFECYCLE_EVENTS and isinstance(notification.get("subscriptionId"), str):
                lifecycle[LifecycleEvent(notification["subscriptionId"], str(event))] = None
                parsed.accepted += 1
            else:
                parsed.refused += 1
            continue
        found = _object_id(notification)
        if found is None:
            parsed.refused += 1
            continue
        (users if found[0] == "users" else groups)[found[1]] = None
        parsed.accepted += 1
    ids = [("u", i) for i in users] + [("g", i) for i in groups]
    for start in range(0, max(len(ids), 1), MAX_IDS_PER_MESSAGE):
        chunk = ids[start : start + MAX_IDS_PER_MESSAGE]
        batch = ChangeBatch(
            users=tuple(i for k, i in chunk if k == "u"),
            groups=tuple(i for k, i in chunk if k == "g"),
            lifecycle=tuple(lifecycle) if start == 0 else (),
            received_at=received_at,
        )
        if not batch.empty:
            parsed.batches.append(batch)
    return parsed
