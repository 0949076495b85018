"""Plain (non-delta) reads: the service principal, paged appRoleAssignedTo and group members."""

from __future__ import annotations

from typing import Any

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.groups.item.members.members_request_builder import MembersRequestBuilder
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.service_principals.item.app_role_assigned_to import (
    app_role_assigned_to_request_builder as assigned_to,
)

from sandbox.graph import (
    APP_ROLE_USER_ID,
    DEFAULT_ACCESS_ROLE_ID,
    SERVICE_PRINCIPAL_ID,
    GraphSimulator,
)
from tests.fixtures.graph_sim import read_json


async def test_service_principal_and_paged_assignments(
    graph_sim: GraphSimulator, graph_client: GraphServiceClient
) -> None:
    tenant = graph_sim.tenant
    tenant.seed(250, 2, seed=8)
    users = tenant.users()
    for user in users:
        tenant.assign(user["id"])
    group = tenant.groups()[0]
    tenant.assign(group["id"], app_role_id=DEFAULT_ACCESS_ROLE_ID)
    tenant.soft_delete_user(users[0]["id"])  # hidden while in the recycle bin

    sp = await graph_client.service_principals.by_service_principal_id(SERVICE_PRINCIPAL_ID).get()
    assert sp is not None and sp.app_roles is not None
    assert [(str(r.id), r.value) for r in sp.app_roles] == [(APP_ROLE_USER_ID, "User")]

    builder = graph_client.service_principals.by_service_principal_id(
        SERVICE_PRINCIPAL_ID
    ).app_role_assigned_to
    rows: list[dict[str, Any]] = []
    page = await read_json(graph_client, builder.to_get_request_information())  # default $top=100
    sizes = [len(page["value"])]
    rows.extend(page["value"])
    while "@odata.nextLink" in page:
        page = await read_json(
            graph_client, builder.with_url(page["@odata.nextLink"]).to_get_request_information()
        )
        sizes.append(len(page["value"]))
        rows.extend(page["value"])
    assert sizes == [100, 100, 50]
    assert "@odata.deltaLink" not in page

    by_principal = {r["principalId"]: r for r in rows}
    assert set(by_principal) == {u["id"] for u in users[1:]} | {group["id"]}
    assert by_principal[group["id"]]["principalType"] == "Group"
    assert by_principal[group["id"]]["appRoleId"] == DEFAULT_ACCESS_ROLE_ID
    row = by_principal[users[1]["id"]]
    assert row["principalType"] == "User" and row["appRoleId"] == APP_ROLE_USER_ID
    assert (
        row["principalDisplayName"] == users[1]["displayName"] and row["resourceId"] == SERVICE_PRINCIPAL_ID
    )
    assert {"id", "createdDateTime"} <= set(row)

    query = assigned_to.AppRoleAssignedToRequestBuilder.AppRoleAssignedToRequestBuilderGetQueryParameters(
        top=999
    )
    one = await read_json(
        graph_client, builder.to_get_request_information(RequestConfiguration(query_parameters=query))
    )
    assert len(one["value"]) == 250 and "@odata.nextLink" not in one
    with pytest.raises(ODataError) as caught:
        query.top = 1000
        await builder.get(RequestConfiguration(query_parameters=query))
    assert caught.value.response_status_code == 400


async def test_group_members_paged_with_select(
    graph_sim: GraphSimulator, graph_client: GraphServiceClient
) -> None:
    tenant = graph_sim.tenant
    group = tenant.create_group("Staff")["id"]
    nested = tenant.create_group("Nested")["id"]
    users = [tenant.create_user(givenName="Staff", surname=f"S{n}")["id"] for n in range(5)]
    for user_id in users:
        tenant.add_member(group, user_id)
    tenant.add_member(group, nested)
    inner = tenant.create_user(givenName="Only", surname="Nested")["id"]
    tenant.add_member(nested, inner)

    builder = graph_client.groups.by_group_id(group).members
    query = MembersRequestBuilder.MembersRequestBuilderGetQueryParameters(top=4, select=["id", "displayName"])
    page = await read_json(
        graph_client, builder.to_get_request_information(RequestConfiguration(query_parameters=query))
    )
    rows = list(page["value"])
    assert len(rows) == 4
    page = await read_json(
        graph_client, builder.with_url(page["@odata.nextLink"]).to_get_request_information()
    )
    rows.extend(page["value"])
    assert "@odata.nextLink" not in page
    assert [r["id"] for r in rows] == [*users, nested]  # direct members only: `inner` is not expanded
    assert rows[0] == {"@odata.type": "#microsoft.graph.user", "id": users[0], "displayName": "Staff S0"}
    assert rows[-1]["@odata.type"] == "#microsoft.graph.group"

    models = await builder.get()
    assert models is not None and models.value is not None
    assert [m.odata_type for m in models.value] == ["#microsoft.graph.user"] * 5 + ["#microsoft.graph.group"]

    with pytest.raises(ODataError) as caught:
        await graph_client.groups.by_group_id("00000000-0000-0000-0000-00000000dead").members.get()
    assert caught.value.response_status_code == 404
