"""The same SCIM client-side cases against two servers: the GoTo simulator and scim2-server.

scim2-server is an independent SCIM 2.0 implementation run as its own process; where it and the
simulator both pass a case, the simulator speaks standard SCIM there. Where they legitimately
differ (PATCH 204 vs 200, Entra's member-removal form), each case states both outcomes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from sandbox.goto import SANDBOX_GOTO_TOKEN, GoToSimulator
from sandbox.scim2_server import Scim2Server
from tests.fixtures.goto_sim import http_client

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


@dataclass
class Peer:
    name: str
    client: httpx.Client
    patch_status: int  # the GoTo simulator answers the resource (200); scim2-server answers 204
    accepts_entra_member_remove: bool  # {"op":"Remove","path":"members","value":[...]}


@pytest.fixture(params=["goto-simulator", "scim2-server"])
def peer(request: pytest.FixtureRequest) -> Iterator[Peer]:
    if request.param == "goto-simulator":
        sim: GoToSimulator = request.getfixturevalue("goto_sim")
        sim.configure(rate_limit_per_second=1000)
        with http_client(sim.scim_base_url, token=SANDBOX_GOTO_TOKEN) as client:
            yield Peer("goto-simulator", client, 200, True)
    else:
        server: Scim2Server = request.getfixturevalue("scim2_server_process")
        with http_client(server.new_tenant_url(), token=server.token) as client:
            yield Peer("scim2-server", client, 204, False)


def user(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "schemas": [USER],
        "userName": f"{name}@contoso.com",
        "externalId": name,
        "name": {"givenName": name.title(), "familyName": "Contract"},
        "emails": [{"type": "work", "value": f"{name}@contoso.com", "primary": True}],
        "active": True,
        **extra,
    }


def create(peer: Peer, name: str) -> dict[str, Any]:
    response = peer.client.post("/Users", json=user(name))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def ops(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": list(operations)}


def assert_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    return body


def test_create_user(peer: Peer) -> None:
    response = peer.client.post("/Users", json=user("alice"))

    assert response.status_code == 201
    assert response.headers["content-type"].startswith("application/scim+json")
    body = response.json()
    assert body["id"]
    assert body["userName"] == "alice@contoso.com"
    assert body["name"]["givenName"] == "Alice"
    assert body["active"] is True
    assert body["meta"]["resourceType"] == "User"
    assert response.headers["Location"] == body["meta"]["location"]
    assert USER in body["schemas"]


def test_get_user(peer: Peer) -> None:
    created = create(peer, "bob")

    response = peer.client.get(f"/Users/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created


def test_filter_by_username_eq_ignores_case(peer: Peer) -> None:
    created = create(peer, "carol")
    create(peer, "caroline")

    body = peer.client.get("/Users", params={"filter": 'userName eq "CAROL@contoso.com"'}).json()

    assert body["schemas"] == [LIST]
    assert body["totalResults"] == 1
    assert [r["id"] for r in body["Resources"]] == [created["id"]]


def test_duplicate_username_is_409_uniqueness(peer: Peer) -> None:
    create(peer, "dave")

    body = assert_error(peer.client.post("/Users", json=user("dave")), 409)

    assert body["scimType"] == "uniqueness"


def test_patch_replace_active_and_given_name(peer: Peer) -> None:
    created = create(peer, "erin")

    response = peer.client.patch(
        f"/Users/{created['id']}",
        json=ops(
            {"op": "Replace", "path": "active", "value": False},
            {"op": "replace", "path": "name.givenName", "value": "Erin-Louise"},
        ),
    )

    assert response.status_code == peer.patch_status
    if peer.patch_status == 204:
        assert response.content == b""
    stored = peer.client.get(f"/Users/{created['id']}").json()
    if peer.patch_status == 200:
        assert response.json() == stored
    assert stored["active"] is False
    assert stored["name"] == {"givenName": "Erin-Louise", "familyName": "Contract"}


def test_put_replaces_the_user(peer: Peer) -> None:
    created = create(peer, "frank")
    replacement = {
        "schemas": [USER],
        "userName": "frank@contoso.com",
        "displayName": "Frank C.",
        "active": False,
    }

    response = peer.client.put(f"/Users/{created['id']}", json=replacement)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == created["id"]
    assert body["displayName"] == "Frank C."
    assert body["active"] is False
    assert "externalId" not in body and "name" not in body
    assert peer.client.get(f"/Users/{created['id']}").json() == body


def test_delete_then_404(peer: Peer) -> None:
    created = create(peer, "grace")

    assert peer.client.delete(f"/Users/{created['id']}").status_code == 204

    assert_error(peer.client.get(f"/Users/{created['id']}"), 404)
    assert_error(peer.client.delete(f"/Users/{created['id']}"), 404)


def test_list_paging_visits_each_user_once(peer: Peer) -> None:
    created = {create(peer, f"page{i}")["id"] for i in range(5)}
    total = peer.client.get("/Users", params={"count": 0}).json()["totalResults"]
    assert total >= 5  # the GoTo organization also holds its admin

    seen: list[str] = []
    start = 1
    while start <= total:
        page = peer.client.get("/Users", params={"startIndex": start, "count": 2}).json()
        assert page["totalResults"] == total
        assert page["startIndex"] == start
        assert 1 <= page["itemsPerPage"] == len(page["Resources"]) <= 2
        seen += [r["id"] for r in page["Resources"]]
        start += page["itemsPerPage"]

    assert len(seen) == len(set(seen)) == total
    assert created <= set(seen)


def test_group_create_add_member_and_remove_with_value_filter(peer: Peer) -> None:
    member = create(peer, "heidi")
    created = peer.client.post(
        "/Groups", json={"schemas": [GROUP], "displayName": "Contract Group", "members": []}
    )
    assert created.status_code == 201
    group = created.json()
    assert group["displayName"] == "Contract Group"
    assert group["meta"]["resourceType"] == "Group"
    assert not group.get("members")

    added = peer.client.patch(
        f"/Groups/{group['id']}",
        json=ops({"op": "Add", "path": "members", "value": [{"value": member["id"]}]}),
    )
    assert added.status_code == peer.patch_status
    members = peer.client.get(f"/Groups/{group['id']}").json()["members"]
    assert [m["value"] for m in members] == [member["id"]]

    removed = peer.client.patch(
        f"/Groups/{group['id']}", json=ops({"op": "Remove", "path": f'members[value eq "{member["id"]}"]'})
    )
    assert removed.status_code == peer.patch_status
    assert not peer.client.get(f"/Groups/{group['id']}").json().get("members")


def test_entra_member_removal_form(peer: Peer) -> None:
    member = create(peer, "ivan")
    group = peer.client.post(
        "/Groups",
        json={"schemas": [GROUP], "displayName": "Entra Form", "members": [{"value": member["id"]}]},
    ).json()

    response = peer.client.patch(
        f"/Groups/{group['id']}",
        json=ops({"op": "Remove", "path": "members", "value": [{"value": member["id"]}]}),
    )

    remaining = peer.client.get(f"/Groups/{group['id']}").json().get("members") or []
    if peer.accepts_entra_member_remove:  # GoTo's connector is Entra's: this form must work there
        assert response.status_code == 200
        assert remaining == []
    else:  # scim2-server follows RFC 7644 strictly: a remove carries no value
        assert_error(response, 400)
        assert [m["value"] for m in remaining] == [member["id"]]


@pytest.mark.parametrize("resource", ["Users", "Groups"])
def test_unknown_id_is_404_with_scim_error(peer: Peer, resource: str) -> None:
    body = assert_error(peer.client.get(f"/{resource}/{uuid.uuid4().hex}"), 404)

    assert body["detail"]
