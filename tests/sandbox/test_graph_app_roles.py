"""App roles beyond "User": defined by a test, shown on the service principal, assignable per their
allowedMemberTypes; a role change is a new assignment row, as Entra makes it."""

from __future__ import annotations

import httpx
import pytest
from msgraph import GraphServiceClient

from sandbox.graph import APP_ROLE_USER_ID, DEFAULT_ACCESS_ROLE_ID, SERVICE_PRINCIPAL_ID, GraphSimulator
from sandbox.graph.tenant import Tenant, UnknownObjectError
from tests.fixtures.graph_sim import read_json


async def test_added_roles_are_shown_and_assignable(
    graph_sim: GraphSimulator, graph_client: GraphServiceClient
) -> None:
    tenant = graph_sim.tenant
    organizer = tenant.add_app_role("Organizer", display_name="Meeting organizer")
    fixed = "0b4cfa2e-6d4b-4c1e-9d0a-3a9b8f6e2c11"
    assert tenant.add_app_role("Attendee", id=fixed, allowed=("User",)) == fixed
    user = tenant.create_user(givenName="Ada", surname="Lovelace")["id"]
    group = tenant.create_group("Organizers")["id"]
    tenant.assign(user, app_role_id=organizer)
    tenant.assign(group, app_role_id=organizer)
    tenant.assign(user, app_role_id=fixed)

    sp = await read_json(
        graph_client,
        graph_client.service_principals.by_service_principal_id(
            SERVICE_PRINCIPAL_ID
        ).to_get_request_information(),
    )
    roles = {r["value"]: r for r in sp["appRoles"]}
    assert set(roles) == {"User", "Organizer", "Attendee"}
    assert roles["Organizer"]["id"] == organizer and roles["Organizer"]["displayName"] == "Meeting organizer"
    assert roles["Organizer"]["allowedMemberTypes"] == ["User", "Group"] and roles["Organizer"]["isEnabled"]
    assert roles["Attendee"] == {
        "id": fixed,
        "value": "Attendee",
        "displayName": "Attendee",
        "description": "GoToMeeting Attendee",
        "isEnabled": True,
        "origin": "Application",
        "allowedMemberTypes": ["User"],
    }

    rows = await read_json(
        graph_client,
        graph_client.service_principals.by_service_principal_id(
            SERVICE_PRINCIPAL_ID
        ).app_role_assigned_to.to_get_request_information(),
    )
    assert sorted((r["principalId"], r["principalType"], r["appRoleId"]) for r in rows["value"]) == sorted(
        [(user, "User", organizer), (group, "Group", organizer), (user, "User", fixed)]
    )


def test_roles_refuse_what_entra_refuses() -> None:
    tenant = Tenant()
    users_only = tenant.add_app_role("Attendee", allowed=["User"])
    user = tenant.create_user(givenName="Ada", surname="Lovelace")["id"]
    group = tenant.create_group("Everyone")["id"]
    with pytest.raises(ValueError, match="cannot be assigned to a group"):
        tenant.assign(group, app_role_id=users_only)
    with pytest.raises(ValueError, match="not defined"):
        tenant.assign(user, app_role_id="6f1c3f0e-0000-4000-8000-000000000000")
    with pytest.raises(ValueError, match="already defined"):
        tenant.add_app_role("Attendee")
    with pytest.raises(ValueError, match="already defined"):
        tenant.add_app_role("Other", id=users_only)
    with pytest.raises(ValueError, match="allowedMemberTypes"):
        tenant.add_app_role("Apps", allowed=["Application"])
    with pytest.raises(ValueError, match="GUID"):
        tenant.add_app_role("Bad", id="not-a-guid")
    tenant.assign(group, app_role_id=APP_ROLE_USER_ID)  # the built-in role takes groups
    tenant.assign(group, app_role_id=DEFAULT_ACCESS_ROLE_ID)
    tenant.reset()
    assert [r["value"] for r in tenant.app_roles()] == ["User"]  # a reset forgets added roles


def test_changing_a_role_is_a_new_row() -> None:
    tenant = Tenant()
    organizer = tenant.add_app_role("Organizer")
    attendee = tenant.add_app_role("Attendee", allowed=["User"])
    user = tenant.create_user(givenName="Ada", surname="Lovelace")["id"]
    group = tenant.create_group("Everyone")["id"]
    old = tenant.assign(user, app_role_id=APP_ROLE_USER_ID)
    (before,) = tenant.assignments()

    new = tenant.change_role(user, from_role_id=APP_ROLE_USER_ID, to_role_id=organizer)
    (after,) = tenant.assignments()
    assert new != old and after["id"] == new and after["appRoleId"] == organizer
    assert after["createdDateTime"] > before["createdDateTime"]

    group_row = tenant.assign(group, app_role_id=organizer)
    with pytest.raises(ValueError, match="cannot be assigned to a group"):
        tenant.change_role(group, from_role_id=organizer, to_role_id=attendee)
    assert {r["id"] for r in tenant.assignments()} == {new, group_row}  # a refused change changes nothing
    with pytest.raises(UnknownObjectError):
        tenant.change_role(user, from_role_id=APP_ROLE_USER_ID, to_role_id=attendee)


def test_roles_over_the_control_surface(graph_sim: GraphSimulator) -> None:
    with httpx.Client(base_url=graph_sim.url) as http:
        made = http.post("/_sandbox/appRoles", json={"value": "Organizer", "allowedMemberTypes": ["User"]})
        assert made.status_code == 201
        organizer = made.json()["id"]
        listed = http.get("/_sandbox/appRoles").json()["value"]
        assert [(r["value"], r["allowedMemberTypes"]) for r in listed] == [
            ("User", ["User", "Group"]),
            ("Organizer", ["User"]),
        ]
        assert http.post("/_sandbox/appRoles", json={}).status_code == 400
        assert http.post("/_sandbox/appRoles", json={"value": "Organizer"}).status_code == 400

        user = http.post("/_sandbox/users", json={"givenName": "Ada", "surname": "L"}).json()["id"]
        first = http.post("/_sandbox/assignments", json={"principalId": user}).json()["id"]
        changed = http.post(
            f"/_sandbox/assignments/{user}/role", json={"from": APP_ROLE_USER_ID, "to": organizer}
        )
        assert changed.status_code == 201 and changed.json()["id"] != first
        rows = http.get("/_sandbox/assignments").json()["value"]
        assert [(r["id"], r["appRoleId"]) for r in rows] == [(changed.json()["id"], organizer)]
        assert http.post(f"/_sandbox/assignments/{user}/role", json={"from": organizer}).status_code == 400
