"""The Graph simulator's subscriptions over HTTP: validation by a real POST to the notification URL
(its query string kept), the 41,760-minute ceiling, 409 on a duplicate, renew/delete/reauthorize,
and notifications after a change that carry only the id and the clientState (`deleted` for a hard
delete), several in one POST, to a real loopback receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from werkzeug.wrappers import Request, Response

from sandbox._server import ServerThread
from sandbox.graph import SANDBOX_GRAPH_TOKEN, GraphSimulator
from sandbox.graph.subscriptions import MAX_LIFETIME_MINUTES, SubscriptionHub


class Receiver:
    """Echoes validation tokens (unless told to answer wrong) and records notification POSTs."""

    def __init__(self) -> None:
        self.echo = True
        self.posts: list[dict[str, Any]] = []
        self.queries: list[dict[str, str]] = []
        self.got = threading.Event()
        self.server = ServerThread(self._app)

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.queries.append(dict(request.args))
        token = request.args.get("validationToken")
        if token is not None:
            text = token if self.echo else "something else"
            return Response(text, status=200, content_type="text/plain")(environ, start_response)
        self.posts.append(json.loads(request.get_data()))
        self.got.set()
        return Response("", status=202)(environ, start_response)

    @property
    def url(self) -> str:
        return f"{self.server.url}/hook?code=secret-key"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    running.server.start()
    yield running
    running.server.stop()


@pytest.fixture
def hub(graph_sim: GraphSimulator) -> Iterator[SubscriptionHub]:
    found: SubscriptionHub = graph_sim.subscriptions
    yield found
    found.close()


@pytest.fixture
def graph(graph_sim: GraphSimulator) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {SANDBOX_GRAPH_TOKEN}"}
    with httpx.Client(base_url=graph_sim.base_url, headers=headers, timeout=15) as client:
        yield client


def body(
    url: str, *, resource: str = "/users", minutes: int = 60, change: str = "updated,deleted"
) -> dict[str, Any]:
    expiry = datetime.now(UTC) + timedelta(minutes=minutes)
    return {
        "changeType": change,
        "notificationUrl": url,
        "resource": resource,
        "expirationDateTime": expiry.isoformat(),
        "clientState": "the-client-state-0123",
    }


def test_creation_validates_the_url_with_its_query_string(
    hub: SubscriptionHub, graph: httpx.Client, receiver: Receiver
) -> None:
    created = graph.post("/subscriptions", json=body(receiver.url))
    assert created.status_code == 201, created.text
    assert receiver.queries[0]["code"] == "secret-key" and "validationToken" in receiver.queries[0]
    sub_id = created.json()["id"]
    assert graph.get(f"/subscriptions/{sub_id}").json()["resource"] == "/users"
    assert [s["id"] for s in graph.get("/subscriptions").json()["value"]] == [sub_id]

    receiver.echo = False
    refused = graph.post("/subscriptions", json=body(receiver.url, resource="/groups"))
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "ValidationError"


def test_lifetime_ceiling_and_duplicates(
    hub: SubscriptionHub, graph: httpx.Client, receiver: Receiver
) -> None:
    too_long = graph.post("/subscriptions", json=body(receiver.url, minutes=MAX_LIFETIME_MINUTES + 2))
    assert too_long.status_code == 400 and str(MAX_LIFETIME_MINUTES) in too_long.json()["error"]["message"]
    assert (
        graph.post("/subscriptions", json=body(receiver.url, minutes=MAX_LIFETIME_MINUTES - 1)).status_code
        == 201
    )
    assert graph.post("/subscriptions", json=body(receiver.url)).status_code == 409


def test_renew_reauthorize_delete(hub: SubscriptionHub, graph: httpx.Client, receiver: Receiver) -> None:
    sub_id = graph.post("/subscriptions", json=body(receiver.url)).json()["id"]
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    renewed = graph.patch(f"/subscriptions/{sub_id}", json={"expirationDateTime": later})
    assert renewed.status_code == 200 and renewed.json()["expirationDateTime"].startswith(later[:16])
    assert graph.patch(f"/subscriptions/{sub_id}", json={"resource": "/groups"}).status_code == 400
    hub.require_reauthorization(sub_id)
    assert hub.get(sub_id).reauthorization_required
    assert graph.post(f"/subscriptions/{sub_id}/reauthorize").status_code == 204
    assert not hub.get(sub_id).reauthorization_required
    assert receiver.posts[-1]["value"][0]["lifecycleEvent"] == "reauthorizationRequired"
    assert graph.delete(f"/subscriptions/{sub_id}").status_code == 204
    assert graph.get(f"/subscriptions/{sub_id}").status_code == 404
    assert graph.delete(f"/subscriptions/{sub_id}").status_code == 404


def test_a_change_is_notified_with_the_id_only(
    graph_sim: GraphSimulator, hub: SubscriptionHub, graph: httpx.Client, receiver: Receiver
) -> None:
    tenant = graph_sim.tenant
    kept = tenant.create_user(givenName="Ada", surname="Lovelace")["id"]
    gone = tenant.create_user(givenName="Alan", surname="Turing")["id"]
    assert graph.post("/subscriptions", json=body(receiver.url)).status_code == 201
    with tenant.lock:
        tenant.disable_user(kept)
        tenant.hard_delete_user(gone)
    assert hub.wait_idle() and receiver.got.wait(5)
    (post,) = receiver.posts
    by_id = {n["resourceData"]["id"]: n for n in post["value"]}
    assert set(by_id) == {kept, gone}
    assert by_id[kept]["changeType"] == "updated" and by_id[gone]["changeType"] == "deleted"
    assert by_id[kept]["resource"] == f"Users/{kept}"
    assert by_id[kept]["clientState"] == "the-client-state-0123"
    assert set(by_id[kept]["resourceData"]) == {"@odata.type", "@odata.id", "id", "organizationId"}


def test_a_membership_change_notifies_the_group_and_a_lost_one_is_never_sent(
    graph_sim: GraphSimulator, hub: SubscriptionHub, graph: httpx.Client, receiver: Receiver
) -> None:
    tenant = graph_sim.tenant
    user = tenant.create_user(givenName="Grace", surname="Hopper")["id"]
    group = tenant.create_group("Navy")["id"]
    assert graph.post("/subscriptions", json=body(receiver.url, resource="/groups")).status_code == 201
    hub.drop_next = 1
    tenant.update_group(group, description="lost")
    assert hub.wait_idle()
    assert receiver.posts == []
    tenant.add_member(group, user)
    assert hub.wait_idle() and receiver.got.wait(5)
    assert [n["resource"] for n in receiver.posts[0]["value"]] == [f"Groups/{group}"]
