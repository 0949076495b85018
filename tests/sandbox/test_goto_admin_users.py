"""Creating users through the simulator's Admin API: with licenses, 409 on an e-mail conflict
(or 200 with the conflicting entry lacking `key` under allOrNothing=false), seats checked first."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.goto import SANDBOX_ACCOUNT_KEY, SANDBOX_GOTO_TOKEN, GoToSimulator
from tests.fixtures.goto_sim import http_client

USERS = f"/accounts/{SANDBOX_ACCOUNT_KEY}/users"


@pytest.fixture
def admin(goto_sim: GoToSimulator) -> Iterator[httpx.Client]:
    goto_sim.configure(rate_limit_per_second=1000)
    goto_sim.licenses.add_license("L1", seats=2)
    with http_client(goto_sim.admin_base_url, token=SANDBOX_GOTO_TOKEN) as client:
        yield client


def _body(*emails: str) -> dict[str, object]:
    users = [{"email": e, "firstName": "F", "lastName": "L"} for e in emails]
    return {"users": users, "licenseKeys": ["L1"], "suppressEmail": True}


def test_create_with_a_license(admin: httpx.Client, goto_sim: GoToSimulator) -> None:
    answer = admin.post(USERS, json=_body("dee@contoso.com"))

    assert answer.status_code == 201
    (entry,) = answer.json()
    assert entry["email"] == "dee@contoso.com" and entry["key"]
    assert goto_sim.store.get_user(entry["key"])["userName"] == "dee@contoso.com"  # one store with SCIM
    assert goto_sim.licenses.user_licenses(entry["key"]) == ["L1"]


def test_an_email_conflict_is_409_and_creates_nobody(admin: httpx.Client, goto_sim: GoToSimulator) -> None:
    admin.post(USERS, json=_body("dee@contoso.com"))
    before = len(goto_sim.store.users())

    answer = admin.post(USERS, json=_body("eve@contoso.com", "DEE@contoso.com"))

    assert answer.status_code == 409 and answer.json()["errorCode"] == "CONFLICT"
    assert len(goto_sim.store.users()) == before


def test_all_or_nothing_false_answers_200_without_the_conflicting_key(
    admin: httpx.Client, goto_sim: GoToSimulator
) -> None:
    admin.post(USERS, json=_body("dee@contoso.com"))

    answer = admin.post(
        USERS, params={"allOrNothing": "false"}, json=_body("eve@contoso.com", "dee@contoso.com")
    )

    assert answer.status_code == 200
    eve, dee = answer.json()
    assert eve["key"] and "key" not in dee


def test_not_enough_seats_creates_nobody(admin: httpx.Client, goto_sim: GoToSimulator) -> None:
    answer = admin.post(USERS, json=_body("a@contoso.com", "b@contoso.com", "c@contoso.com"))

    assert answer.status_code == 409 and answer.json()["errorCode"] == "NO_SEATS_AVAILABLE"
    assert goto_sim.store.find_user("a@contoso.com") is None


def test_a_new_user_needs_a_license_or_an_admin_role(admin: httpx.Client) -> None:
    answer = admin.post(USERS, json={"users": [{"email": "f@contoso.com"}]})

    assert answer.status_code == 400 and "license" in answer.json()["message"]


def test_find_by_email_needs_spaces_as_percent_20(admin: httpx.Client, goto_sim: GoToSimulator) -> None:
    created = admin.post(USERS, json=_body("gil@contoso.com")).json()[0]

    found = admin.get(f"{USERS}?filter=email%20eq%20%22GIL%40contoso.com%22")
    plus = admin.get(f"{USERS}?filter=email+eq+%22gil%40contoso.com%22")
    none = admin.get(f"{USERS}?filter=email%20eq%20%22nobody%40contoso.com%22")

    assert found.status_code == 200
    assert [(u["key"], u["licenseKeys"]) for u in found.json()["results"]] == [(created["key"], ["L1"])]
    assert plus.status_code == 400 and "%20" in plus.json()["message"]
    assert none.json()["results"] == [] and none.json()["total"] == 0
