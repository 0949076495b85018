"""Groups on the GoTo simulator: unique names, at most 100 members, members must be existing users."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandbox.goto import GoToSimulator

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


@pytest.fixture(autouse=True)
def _unthrottled(goto_sim: GoToSimulator) -> None:
    goto_sim.configure(rate_limit_per_second=1000)


def seed_users(sim: GoToSimulator, count: int) -> list[str]:
    return [sim.store.create_user({"userName": f"member{i}@contoso.com"})["id"] for i in range(count)]


def add_members(ids: list[str]) -> dict[str, Any]:
    return {
        "schemas": [PATCH],
        "Operations": [{"op": "Add", "path": "members", "value": [{"value": i} for i in ids]}],
    }


def test_group_is_created_empty_then_patched_as_entra_does(
    goto_sim: GoToSimulator, goto_http: httpx.Client
) -> None:
    [user_id] = seed_users(goto_sim, 1)
    created = goto_http.post(
        "/Groups", json={"schemas": [GROUP], "displayName": "Sales", "externalId": "g-1"}
    )
    assert created.status_code == 201
    group = created.json()
    assert group["members"] == []
    assert group["meta"]["resourceType"] == "Group"

    patched = goto_http.patch(f"/Groups/{group['id']}", json=add_members([user_id]))

    assert patched.status_code == 200
    member = patched.json()["members"][0]
    assert member["value"] == user_id
    assert member["display"] == "member0@contoso.com"
    assert member["$ref"].endswith(f"/Users/{user_id}")


def test_duplicate_display_name_is_409_ignoring_case(goto_http: httpx.Client) -> None:
    assert goto_http.post("/Groups", json={"displayName": "Sales"}).status_code == 201

    response = goto_http.post("/Groups", json={"displayName": "SALES"})

    assert response.status_code == 409
    assert response.json()["scimType"] == "uniqueness"


@pytest.mark.parametrize("group", [{}, {"displayName": ""}, {"displayName": "x" * 129}])
def test_invalid_groups_are_400(goto_http: httpx.Client, group: dict[str, Any]) -> None:
    response = goto_http.post("/Groups", json=group)

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"


def test_100_members_are_accepted_and_the_101st_is_refused(
    goto_sim: GoToSimulator, goto_http: httpx.Client
) -> None:
    ids = seed_users(goto_sim, 101)
    group = goto_http.post(
        "/Groups", json={"displayName": "Big", "members": [{"value": i} for i in ids[:100]]}
    )
    assert group.status_code == 201
    assert len(group.json()["members"]) == 100

    refused = goto_http.patch(f"/Groups/{group.json()['id']}", json=add_members(ids[100:]))

    assert refused.status_code == 400
    assert refused.json()["scimType"] == "invalidValue"
    assert "100" in refused.json()["detail"]
    assert len(goto_http.get(f"/Groups/{group.json()['id']}").json()["members"]) == 100


def test_a_group_created_with_101_members_is_refused(
    goto_sim: GoToSimulator, goto_http: httpx.Client
) -> None:
    ids = seed_users(goto_sim, 101)

    response = goto_http.post(
        "/Groups", json={"displayName": "Too big", "members": [{"value": i} for i in ids]}
    )

    assert response.status_code == 400
    assert goto_sim.store.find_group("Too big") is None


def test_adding_an_existing_member_again_does_not_count_twice(
    goto_sim: GoToSimulator, goto_http: httpx.Client
) -> None:
    ids = seed_users(goto_sim, 100)
    group = goto_http.post(
        "/Groups", json={"displayName": "Full", "members": [{"value": i} for i in ids]}
    ).json()

    response = goto_http.patch(f"/Groups/{group['id']}", json=add_members(ids[:3]))

    assert response.status_code == 200
    assert len(response.json()["members"]) == 100


def test_members_must_be_existing_users(goto_sim: GoToSimulator, goto_http: httpx.Client) -> None:
    group = goto_http.post("/Groups", json={"displayName": "Ghosts"}).json()
    other = goto_http.post("/Groups", json={"displayName": "Other"}).json()

    for unknown in ("123", other["id"]):
        response = goto_http.patch(f"/Groups/{group['id']}", json=add_members([unknown]))
        assert response.status_code == 400
        assert unknown in response.json()["detail"]


def test_deleting_a_user_removes_their_memberships(goto_sim: GoToSimulator, goto_http: httpx.Client) -> None:
    ids = seed_users(goto_sim, 2)
    group = goto_http.post(
        "/Groups", json={"displayName": "Pair", "members": [{"value": i} for i in ids]}
    ).json()

    assert goto_http.delete(f"/Users/{ids[0]}").status_code == 204

    after = goto_http.get(f"/Groups/{group['id']}").json()
    assert [m["value"] for m in after["members"]] == [ids[1]]
    assert after["meta"]["version"] != group["meta"]["version"]


def test_put_replaces_members_and_delete_removes_the_group(
    goto_sim: GoToSimulator, goto_http: httpx.Client
) -> None:
    ids = seed_users(goto_sim, 3)
    group = goto_http.post("/Groups", json={"displayName": "Team", "members": [{"value": ids[0]}]}).json()

    replaced = goto_http.put(
        f"/Groups/{group['id']}", json={"displayName": "Team B", "members": [{"value": i} for i in ids[1:]]}
    )
    assert replaced.status_code == 200
    assert [m["value"] for m in replaced.json()["members"]] == ids[1:]
    assert replaced.json()["displayName"] == "Team B"

    assert goto_http.delete(f"/Groups/{group['id']}").status_code == 204
    assert goto_http.get(f"/Groups/{group['id']}").status_code == 404
    assert goto_sim.store.groups() == []
