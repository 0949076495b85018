"""PATCH in the forms Entra sends; the simulator answers 200 with the updated resource."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandbox.goto import GoToSimulator

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@pytest.fixture(autouse=True)
def _unthrottled(goto_sim: GoToSimulator) -> None:
    goto_sim.configure(rate_limit_per_second=1000)


@pytest.fixture
def user(goto_sim: GoToSimulator) -> dict[str, Any]:
    return goto_sim.store.create_user(
        {
            "userName": "grace@contoso.com",
            "name": {"givenName": "Grace", "familyName": "Hopper"},
            "emails": [
                {"type": "work", "value": "grace@contoso.com", "primary": True},
                {"type": "home", "value": "grace@example.net"},
            ],
            ENTERPRISE: {"department": "Navy"},
        }
    )


def patch(client: httpx.Client, path: str, *operations: dict[str, Any]) -> dict[str, Any]:
    response = client.patch(path, json={"schemas": [PATCH], "Operations": list(operations)})
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == response.json()["meta"]["version"]
    body: dict[str, Any] = response.json()
    assert client.get(path).json() == body  # the answer is the stored resource
    return body


def test_disable_as_entra_sends_it(goto_http: httpx.Client, user: dict[str, Any]) -> None:
    body = patch(goto_http, f"/Users/{user['id']}", {"op": "Replace", "path": "active", "value": False})

    assert body["active"] is False
    assert body["meta"]["version"] != user["meta"]["version"]
    assert body["meta"]["created"] == user["meta"]["created"]


def test_string_booleans_are_accepted_for_active(goto_http: httpx.Client, user: dict[str, Any]) -> None:
    body = patch(goto_http, f"/Users/{user['id']}", {"op": "replace", "path": "active", "value": "False"})

    assert body["active"] is False


def test_paths_into_complex_filtered_and_extension_attributes(
    goto_http: httpx.Client, user: dict[str, Any]
) -> None:
    body = patch(
        goto_http,
        f"/Users/{user['id']}",
        {"op": "Replace", "path": "name.givenName", "value": "Amazing Grace"},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "amazing.grace@contoso.com"},
        {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "Computing"},
        {"op": "add", "path": f"{ENTERPRISE}:employeeNumber", "value": "1906"},
        {"op": "Add", "path": "displayName", "value": "Grace H."},
    )

    assert body["name"] == {"givenName": "Amazing Grace", "familyName": "Hopper"}
    assert body["emails"][0] == {"type": "work", "value": "amazing.grace@contoso.com", "primary": True}
    assert body["emails"][1]["value"] == "grace@example.net"
    assert body[ENTERPRISE] == {"department": "Computing", "employeeNumber": "1906"}
    assert body["displayName"] == "Grace H."


def test_setting_a_missing_work_email_creates_it(goto_sim: GoToSimulator, goto_http: httpx.Client) -> None:
    bare = goto_sim.store.create_user({"userName": "ada@contoso.com"})

    body = patch(
        goto_http,
        f"/Users/{bare['id']}",
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "ada@contoso.com"},
    )

    assert body["emails"] == [{"type": "work", "value": "ada@contoso.com"}]


def test_without_path_the_value_is_an_object_of_attributes(
    goto_http: httpx.Client, user: dict[str, Any]
) -> None:
    body = patch(
        goto_http,
        f"/Users/{user['id']}",
        {
            "op": "Replace",
            "value": {
                "active": False,
                "name.familyName": "Murray Hopper",  # Entra's dotted keys in path-less values
                "externalId": "ghopper",
                f"{ENTERPRISE}:department": "Research",
            },
        },
        {"op": "add", "value": {"name": {"formatted": "Grace Brewster Murray Hopper"}}},
    )

    assert body["active"] is False
    assert body["externalId"] == "ghopper"
    assert body["name"] == {
        "givenName": "Grace",
        "familyName": "Murray Hopper",
        "formatted": "Grace Brewster Murray Hopper",
    }
    assert body[ENTERPRISE]["department"] == "Research"


def test_remove_forms_on_users(goto_http: httpx.Client, user: dict[str, Any]) -> None:
    body = patch(
        goto_http,
        f"/Users/{user['id']}",
        {"op": "Remove", "path": 'emails[type eq "home"]'},
        {"op": "remove", "path": f"{ENTERPRISE}:department"},
        {"op": "remove", "path": "name.familyName"},
        {"op": "remove", "path": "nickName"},  # absent: nothing to do, not an error
    )

    assert [e["type"] for e in body["emails"]] == ["work"]
    assert body[ENTERPRISE] == {}
    assert body["name"] == {"givenName": "Grace"}


@pytest.fixture
def team(goto_sim: GoToSimulator) -> tuple[str, list[str]]:
    ids = [goto_sim.store.create_user({"userName": f"t{i}@contoso.com"})["id"] for i in range(3)]
    group = goto_sim.store.create_group({"displayName": "Team", "members": [{"value": i} for i in ids]})
    return group["id"], ids


def test_entra_member_removal_form(goto_http: httpx.Client, team: tuple[str, list[str]]) -> None:
    group_id, ids = team

    body = patch(
        goto_http,
        f"/Groups/{group_id}",
        {"op": "Remove", "path": "members", "value": [{"value": ids[0]}, {"value": ids[2]}]},
    )

    assert [m["value"] for m in body["members"]] == [ids[1]]


def test_member_removal_with_a_value_filter(goto_http: httpx.Client, team: tuple[str, list[str]]) -> None:
    group_id, ids = team

    body = patch(goto_http, f"/Groups/{group_id}", {"op": "remove", "path": f'members[value eq "{ids[1]}"]'})

    assert [m["value"] for m in body["members"]] == [ids[0], ids[2]]


def test_members_add_replace_and_remove_all(goto_http: httpx.Client, team: tuple[str, list[str]]) -> None:
    group_id, ids = team

    emptied = patch(goto_http, f"/Groups/{group_id}", {"op": "Remove", "path": "members"})
    assert emptied["members"] == []

    added = patch(
        goto_http, f"/Groups/{group_id}", {"op": "Add", "path": "members", "value": [{"value": ids[0]}]}
    )
    assert [m["value"] for m in added["members"]] == [ids[0]]

    replaced = patch(
        goto_http,
        f"/Groups/{group_id}",
        {"op": "Replace", "path": "members", "value": [{"value": ids[1]}, {"value": ids[2]}]},
        {"op": "Replace", "path": "displayName", "value": "Team 2"},
    )
    assert [m["value"] for m in replaced["members"]] == ids[1:]
    assert replaced["displayName"] == "Team 2"


def test_op_names_are_case_insensitive(goto_http: httpx.Client, user: dict[str, Any]) -> None:
    for op in ("REPLACE", "Replace", "replace"):
        body = patch(goto_http, f"/Users/{user['id']}", {"op": op, "path": "title", "value": op})
        assert body["title"] == op
