"""GraphSource's plain reads: the service principal, assignments, group members, single users."""

from __future__ import annotations

import pytest

from provisioning.errors import SourceNotFoundError
from provisioning.model import AppRole, MemberChange
from provisioning.source.graph import GraphSource
from sandbox.graph import APP_ROLE_USER_ID, DEFAULT_ACCESS_ROLE_ID, SERVICE_PRINCIPAL_ID, GraphSimulator

ROUTE = "GET /v1.0/servicePrincipals/{id}/appRoleAssignedTo"


async def test_service_principal_and_its_roles(graph_sim: GraphSimulator, graph_source: GraphSource) -> None:
    sp = await graph_source.get_service_principal(SERVICE_PRINCIPAL_ID)
    assert sp.id == SERVICE_PRINCIPAL_ID and sp.display_name == "GoToMeeting"
    assert sp.app_roles == (AppRole(id=APP_ROLE_USER_ID, value="User", display_name="User", is_enabled=True),)
    with pytest.raises(SourceNotFoundError) as caught:
        await graph_source.get_service_principal("00000000-0000-0000-0000-0000000000aa")
    assert caught.value.status == 404 and caught.value.code == "Request_ResourceNotFound"


async def test_assignments_in_one_request_below_999(
    graph_sim: GraphSimulator, graph_source: GraphSource
) -> None:
    tenant = graph_sim.tenant
    tenant.seed(30, 2, seed=4)
    users = tenant.users()
    for user in users[:20]:
        tenant.assign(user["id"])
    group = tenant.groups()[0]["id"]
    group_assignment = tenant.assign(group, app_role_id=DEFAULT_ACCESS_ROLE_ID)

    assignments = await graph_source.list_assignments(SERVICE_PRINCIPAL_ID)
    assert graph_sim.counters.snapshot() == {ROUTE: 1}
    assert len(assignments) == 21
    by_principal = {a.principal_id: a for a in assignments}
    assert set(by_principal) == {u["id"] for u in users[:20]} | {group}
    first = by_principal[users[0]["id"]]
    assert first.principal_type == "User" and first.app_role_id == APP_ROLE_USER_ID
    assert first.principal_display_name == users[0]["displayName"] and not first.is_default_access
    assert by_principal[group].id == group_assignment and by_principal[group].is_default_access


async def test_assignments_follow_next_links(graph_sim: GraphSimulator, graph_source: GraphSource) -> None:
    tenant = graph_sim.tenant
    tenant.seed(1100, 0, seed=5)
    for user in tenant.users():
        tenant.assign(user["id"])
    assignments = await graph_source.list_assignments(SERVICE_PRINCIPAL_ID)
    assert len({a.id for a in assignments}) == 1100
    assert graph_sim.counters.snapshot() == {ROUTE: 2}


async def test_group_members_are_direct_only(graph_sim: GraphSimulator, graph_source: GraphSource) -> None:
    tenant = graph_sim.tenant
    outer = tenant.create_group("Outer")["id"]
    inner = tenant.create_group("Inner")["id"]
    direct = tenant.create_user(givenName="Direct", surname="Member")["id"]
    nested = tenant.create_user(givenName="Nested", surname="Member")["id"]
    tenant.add_member(outer, direct)
    tenant.add_member(outer, inner)
    tenant.add_member(inner, nested)

    members = await graph_source.list_group_members(outer)
    assert members == [MemberChange(direct, "user"), MemberChange(inner, "group")]
    with pytest.raises(SourceNotFoundError):
        await graph_source.list_group_members("00000000-0000-0000-0000-0000000000bb")


async def test_get_user_selects_and_misses(graph_sim: GraphSimulator, graph_source: GraphSource) -> None:
    tenant = graph_sim.tenant
    tenant.seed(2, 0, seed=6)
    alive, gone = (u["id"] for u in tenant.users())
    tenant.soft_delete_user(gone)
    user = await graph_source.get_user(alive, select=["id", "displayName", "accountEnabled"])
    expected = tenant.user(alive)
    assert user == {"id": alive, "displayName": expected["displayName"], "accountEnabled": True}
    assert await graph_source.get_user(gone, select=["id"]) is None
