"""User lifecycle on the GoTo simulator: create, read, replace, delete, as Entra's connector does it."""

from __future__ import annotations

import threading

import httpx
import pytest

from sandbox.goto import SANDBOX_ACCOUNT_KEY, SANDBOX_GOTO_TOKEN, GoToSimulator
from tests.fixtures.goto_sim import http_client

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GETGO = "urn:scim:schemas:extension:getgo:1.0"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@pytest.fixture(autouse=True)
def _unthrottled(goto_sim: GoToSimulator) -> None:
    goto_sim.configure(rate_limit_per_second=1000)


def alice(**extra: object) -> dict[str, object]:
    return {
        "schemas": [USER, ENTERPRISE],
        "userName": "alice@contoso.com",
        "externalId": "alice",
        "name": {"givenName": "Alice", "familyName": "Liddell"},
        "displayName": "Alice Liddell",
        "emails": [{"type": "work", "value": "alice@contoso.com", "primary": True}],
        "active": True,
        ENTERPRISE: {"department": "Wonderland", "employeeNumber": "42"},
        **extra,
    }


def test_create_answers_201_with_location_etag_and_server_owned_parts(
    goto_http: httpx.Client, goto_sim: GoToSimulator
) -> None:
    response = goto_http.post("/Users", json=alice())

    assert response.status_code == 201
    assert response.headers["content-type"].startswith("application/scim+json")
    body = response.json()
    assert body["id"].isdigit()  # GoTo's userKey, not a GUID
    assert response.headers["Location"] == f"{goto_sim.scim_base_url}/Users/{body['id']}"
    assert response.headers["ETag"] == body["meta"]["version"]
    assert body["meta"]["resourceType"] == "User"
    assert body["meta"]["location"] == response.headers["Location"]
    assert body["schemas"] == [USER, ENTERPRISE, GETGO]
    assert body[GETGO]["accounts"][0]["value"] == SANDBOX_ACCOUNT_KEY
    assert body[ENTERPRISE] == {"department": "Wonderland", "employeeNumber": "42"}
    assert body["userName"] == "alice@contoso.com"
    assert goto_sim.store.find_user("ALICE@contoso.com") == body


def test_get_returns_what_was_created(goto_http: httpx.Client) -> None:
    created = goto_http.post("/Users", json=alice()).json()

    response = goto_http.get(f"/Users/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created


def test_active_defaults_to_true_and_ids_are_server_assigned(goto_http: httpx.Client) -> None:
    body = {"userName": "bob@contoso.com", "id": "chosen-by-client", "meta": {"version": "x"}}
    created = goto_http.post("/Users", json=body).json()

    assert created["active"] is True
    assert created["id"] != "chosen-by-client"
    assert created["meta"]["version"] != "x"


def test_put_replaces_the_resource_and_keeps_id_and_created(goto_http: httpx.Client) -> None:
    created = goto_http.post("/Users", json=alice()).json()

    replacement = {"schemas": [USER], "userName": "alice@contoso.com", "name": {"givenName": "Al"}}
    response = goto_http.put(f"/Users/{created['id']}", json=replacement)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == created["id"]
    assert body["name"] == {"givenName": "Al"}
    assert "externalId" not in body and ENTERPRISE not in body
    assert body["meta"]["created"] == created["meta"]["created"]
    assert body["meta"]["version"] != created["meta"]["version"]


def test_delete_answers_204_then_the_user_is_gone(goto_http: httpx.Client, goto_sim: GoToSimulator) -> None:
    created = goto_http.post("/Users", json=alice()).json()

    first = goto_http.delete(f"/Users/{created['id']}")
    assert first.status_code == 204
    assert first.content == b""

    assert goto_http.get(f"/Users/{created['id']}").status_code == 404
    second = goto_http.delete(f"/Users/{created['id']}")
    assert second.status_code == 404
    assert second.json()["status"] == "404"
    assert goto_sim.store.find_user("alice@contoso.com") is None


def test_concurrent_duplicate_creates_yield_exactly_one_user(goto_sim: GoToSimulator) -> None:
    statuses: list[int] = []
    lock = threading.Lock()

    def create() -> None:
        with http_client(goto_sim.scim_base_url, token=SANDBOX_GOTO_TOKEN) as client:
            status = client.post("/Users", json=alice()).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201] + [409] * 7
    assert [u["userName"] for u in goto_sim.store.users()].count("alice@contoso.com") == 1
