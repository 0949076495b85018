"""Assigning licenses in the simulator, both forms: PUT a user's licenseKeys, or POST/DELETE a
license's users; no free seat is 409 naming the license, and a refused write changes nothing."""

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


def _user(sim: GoToSimulator, name: str) -> str:
    created = sim.store.create_user({"userName": f"{name}@contoso.com", "name": {"givenName": name}})
    return str(created["id"])


def test_put_replaces_the_users_licenses(admin: httpx.Client, goto_sim: GoToSimulator) -> None:
    for key in ("L1", "L2", "L3"):
        goto_sim.licenses.add_license(key)
    ann = _user(goto_sim, "ann")

    first = admin.put(f"{ACCOUNT}/users/{ann}", json={"licenseKeys": ["L1", "L2"]})
    second = admin.put(f"{ACCOUNT}/users/{ann}", json={"licenseKeys": ["L2", "L3"]})
    read = admin.get(f"{ACCOUNT}/users/{ann}").json()

    assert first.status_code == 200 and first.json()["licenseKeys"] == ["L1", "L2"]
    assert second.json()["licenseKeys"] == ["L2", "L3"]
    assert read["licenseKeys"] == ["L2", "L3"] and read["email"] == "ann@contoso.com"
    assert goto_sim.licenses.get("L1")["userKeys"] == []


def test_post_and_delete_a_licenses_users(admin: httpx.Client, goto_sim: GoToSimulator) -> None:
    goto_sim.licenses.add_license("L1")
    ann, bob = _user(goto_sim, "ann"), _user(goto_sim, "bob")

    added = admin.post(f"{ACCOUNT}/licenses/L1/users", json={"userKeys": [ann, bob]})
    again = admin.post(f"{ACCOUNT}/licenses/L1/users", json={"userKeys": [ann]})  # already holds it
    removed = admin.delete(f"{ACCOUNT}/licenses/L1/users/{ann}")
    gone = admin.delete(f"{ACCOUNT}/licenses/L1/users/{ann}")

    assert added.status_code == 200 and added.json()["userKeys"] == [ann, bob]
    assert again.status_code == 200 and again.json()["userKeys"] == [ann, bob]
    assert removed.status_code == 204
    assert gone.status_code == 404
    assert goto_sim.licenses.get("L1")["userKeys"] == [bob]


def test_no_free_seat_is_409_naming_the_license_and_changes_nothing(
    admin: httpx.Client, goto_sim: GoToSimulator
) -> None:
    goto_sim.licenses.add_license("L1", seats=1)
    goto_sim.licenses.add_license("L2", seats=5)
    ann, bob = _user(goto_sim, "ann"), _user(goto_sim, "bob")
    assert admin.put(f"{ACCOUNT}/users/{ann}", json={"licenseKeys": ["L1"]}).status_code == 200

    by_user = admin.put(f"{ACCOUNT}/users/{bob}", json={"licenseKeys": ["L2", "L1"]})
    by_license = admin.post(f"{ACCOUNT}/licenses/L1/users", json={"userKeys": [bob]})

    for answer in (by_user, by_license):
        assert answer.status_code == 409
        assert answer.json() == {
            "errorCode": "NO_SEATS_AVAILABLE",
            "message": "license L1 has no free seat (1 of 1 used)",
        }
    assert goto_sim.licenses.user_licenses(bob) == []  # L2 was not given either
    # keeping a seat one already holds needs no free seat
    assert admin.put(f"{ACCOUNT}/users/{ann}", json={"licenseKeys": ["L1", "L2"]}).status_code == 200


def test_unknown_license_or_user_is_404(admin: httpx.Client, goto_sim: GoToSimulator) -> None:
    goto_sim.licenses.add_license("L1")
    ann = _user(goto_sim, "ann")

    assert admin.put(f"{ACCOUNT}/users/{ann}", json={"licenseKeys": ["NOPE"]}).status_code == 404
    assert admin.post(f"{ACCOUNT}/licenses/NOPE/users", json={"userKeys": [ann]}).status_code == 404
    assert admin.put(f"{ACCOUNT}/users/123", json={"licenseKeys": ["L1"]}).status_code == 404
    assert admin.post(f"{ACCOUNT}/licenses/L1/users", json={"userKeys": ["123"]}).status_code == 404
    assert admin.get(f"{ACCOUNT}/users/123").status_code == 404
    bad = admin.put(f"{ACCOUNT}/users/{ann}", json={"licenses": ["L1"]})
    assert bad.status_code == 400 and "licenseKeys" in bad.json()["message"]


def test_deleting_the_user_over_scim_frees_the_seat(admin: httpx.Client, goto_sim: GoToSimulator) -> None:
    goto_sim.licenses.add_license("L1", seats=1)
    ann, bob = _user(goto_sim, "ann"), _user(goto_sim, "bob")
    admin.put(f"{ACCOUNT}/users/{ann}", json={"licenseKeys": ["L1"]})
    with http_client(goto_sim.scim_base_url, token=SANDBOX_GOTO_TOKEN) as scim:
        assert scim.delete(f"/Users/{ann}").status_code == 204

    assert admin.put(f"{ACCOUNT}/users/{bob}", json={"licenseKeys": ["L1"]}).status_code == 200


def test_the_scim_id_is_the_admin_user_key(admin: httpx.Client, goto_sim: GoToSimulator) -> None:
    goto_sim.licenses.add_license("L1")
    with http_client(goto_sim.scim_base_url, token=SANDBOX_GOTO_TOKEN) as scim:
        created = scim.post("/Users", json={"userName": "cy@contoso.com"}).json()

    answer = admin.put(f"{ACCOUNT}/users/{created['id']}", json={"licenseKeys": ["L1"]})

    assert answer.status_code == 200 and answer.json()["key"] == created["id"]
