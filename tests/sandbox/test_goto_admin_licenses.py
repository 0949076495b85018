"""The simulator's Admin API reads: /me, the account's licenses paged by offset + pageSize, the
`identity:` scope, the account key and the error shape."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.goto import SANDBOX_ACCOUNT_KEY, SANDBOX_GOTO_TOKEN, GoToSimulator
from tests.fixtures.goto_sim import http_client

ACCOUNT = f"/accounts/{SANDBOX_ACCOUNT_KEY}"


@pytest.fixture
def admin(goto_sim: GoToSimulator) -> Iterator[httpx.Client]:
    goto_sim.configure(rate_limit_per_second=1000)
    with http_client(goto_sim.admin_base_url, token=SANDBOX_GOTO_TOKEN) as client:
        yield client


def test_me_names_the_account_key(admin: httpx.Client, goto_sim: GoToSimulator) -> None:
    answer = admin.get("/me")

    assert answer.status_code == 200
    assert answer.json()["accountKey"] == SANDBOX_ACCOUNT_KEY
    assert answer.json()["key"] == goto_sim.store.admin_id


def test_licenses_list_in_the_documented_shape(admin: httpx.Client, goto_sim: GoToSimulator) -> None:
    goto_sim.licenses.add_license("L1", products=("G2M", "G2W"), seats=3)
    goto_sim.licenses.add_license("L2", seats=1, enabled=False)
    goto_sim.licenses.assign("L1", [goto_sim.store.admin_id])

    body = admin.get(f"{ACCOUNT}/licenses").json()

    assert body["total"] == 2 and body["fromIndex"] == 0 and body["toIndex"] == 1
    first, second = body["results"]
    assert first == {
        "key": "L1",
        "name": "L1",
        "products": ["G2M", "G2W"],
        "seats": 3,
        "userCount": 1,
        "enabled": True,
        "userKeys": [goto_sim.store.admin_id],
    }
    assert second["key"] == "L2" and second["enabled"] is False and second["userCount"] == 0


def test_licenses_are_paged_by_offset_and_page_size(admin: httpx.Client, goto_sim: GoToSimulator) -> None:
    for n in range(7):
        goto_sim.licenses.add_license(f"L{n}")

    pages = [admin.get(f"{ACCOUNT}/licenses", params={"offset": o, "pageSize": 3}).json() for o in (0, 3, 6)]

    assert [[r["key"] for r in p["results"]] for p in pages] == [
        ["L0", "L1", "L2"],
        ["L3", "L4", "L5"],
        ["L6"],
    ]
    assert [(p["fromIndex"], p["toIndex"], p["total"]) for p in pages] == [(0, 2, 7), (3, 5, 7), (6, 6, 7)]


def test_a_token_without_the_identity_scope_gets_403(goto_sim: GoToSimulator) -> None:
    scim_only = goto_sim.oauth.issue(scope="identity:scim.org")["access_token"]
    both = goto_sim.oauth.issue(scope="identity:scim.org identity:")["access_token"]

    with http_client(goto_sim.admin_base_url, token=scim_only) as client:
        refused = client.get("/me")
    with http_client(goto_sim.admin_base_url, token=both) as client:
        accepted = client.get("/me")
    with http_client(goto_sim.scim_base_url, token=scim_only) as client:
        scim = client.get("/Users/me")

    assert refused.status_code == 403
    assert refused.json()["errorCode"] == "FORBIDDEN" and "identity:" in refused.json()["message"]
    assert accepted.status_code == 200
    assert scim.status_code == 200  # SCIM itself does not need identity:


def test_a_bad_token_gets_401_in_the_admin_error_shape(goto_sim: GoToSimulator) -> None:
    with http_client(goto_sim.admin_base_url, token="stale") as client:
        answer = client.get("/me")

    assert answer.status_code == 401
    assert answer.json()["errorCode"] == "UNAUTHORIZED"
    assert "invalid_token" in answer.headers["WWW-Authenticate"]


def test_another_account_key_is_forbidden(admin: httpx.Client) -> None:
    answer = admin.get("/accounts/999/licenses")

    assert answer.status_code == 403
    assert "999" in answer.json()["message"]


def test_an_unknown_admin_path_is_404_json(admin: httpx.Client) -> None:
    answer = admin.get(f"{ACCOUNT}/nothing-here")

    assert answer.status_code == 404 and answer.json()["errorCode"] == "NOT_FOUND"


def test_licenses_can_be_seeded_over_the_control_routes(goto_sim: GoToSimulator) -> None:
    with http_client(goto_sim.control_url) as control:
        seeded = control.post("/licenses", json=[{"key": "L9", "seats": 2, "products": ["G2M"]}])
        listed = control.get("/licenses").json()
        refused = control.post("/licenses", json={"key": "L8", "seats": -1})

    assert seeded.status_code == 201
    assert [(lic["key"], lic["seats"]) for lic in listed] == [("L9", 2)]
    assert refused.status_code == 400 and "seats" in refused.json()["error"]
    assert goto_sim.admin_requests() == 0  # seeding is not an Admin API call
