"""A notification whose clientState is not GRAPH_NOTIFICATION_CLIENT_STATE is refused and never
enqueued; a POST mixing a forged one with a real one enqueues the real one only. Over real HTTP."""

from __future__ import annotations

import json
import uuid

import httpx

from provisioning.notifications.messages import ChangeBatch
from sandbox.world import World
from tests.notifications.conftest import CLIENT_STATE, FunctionsHost


def notification(user_id: str, client_state: str | None) -> dict[str, object]:
    return {
        "subscriptionId": str(uuid.uuid4()),
        "changeType": "updated",
        "resource": f"Users/{user_id}",
        "resourceData": {"@odata.type": "#Microsoft.Graph.User", "id": user_id},
        "clientState": client_state,
    }


def post(host: FunctionsHost, *items: dict[str, object], url: str | None = None) -> httpx.Response:
    return httpx.post(url or host.notification_url, json={"value": list(items)}, timeout=10)


def test_a_forged_client_state_is_refused_and_nothing_is_queued(
    world: World, host: FunctionsHost, notify_env: dict[str, str]
) -> None:
    user = str(uuid.uuid4())
    for forged in ("not-the-secret", CLIENT_STATE[:-1], CLIENT_STATE + "x", None):
        answer = post(host, notification(user, forged))
        assert answer.status_code == 403, answer.text
        assert answer.json()["error"]["code"] == "clientStateMismatch"
        assert CLIENT_STATE not in answer.text
    assert host.messages() == []


def test_a_missing_function_key_never_reaches_the_handler(world: World, host: FunctionsHost) -> None:
    url = host.notification_url.split("?")[0]
    assert post(host, notification(str(uuid.uuid4()), CLIENT_STATE), url=url).status_code == 401
    assert host.messages() == []


def test_only_the_genuine_notification_of_a_mixed_post_is_queued(
    world: World, host: FunctionsHost, notify_env: dict[str, str]
) -> None:
    genuine, forged = str(uuid.uuid4()), str(uuid.uuid4())
    answer = post(host, notification(forged, "forged"), notification(genuine, CLIENT_STATE))
    assert answer.status_code == 202
    assert answer.json() == {"accepted": 1, "refused": 1, "messages": 1}
    (message,) = host.messages()
    assert ChangeBatch.from_json(message).users == (genuine,)
    assert forged not in json.dumps(message)
