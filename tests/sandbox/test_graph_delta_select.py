"""`$select` belongs to the first call only (it lives in the token) and limits what is tracked."""

from __future__ import annotations

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.users.delta.delta_request_builder import DeltaRequestBuilder

from sandbox.graph import GraphSimulator
from tests.fixtures.graph_sim import read_json


def _query(
    select: list[str],
) -> RequestConfiguration[DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters]:
    return RequestConfiguration(
        query_parameters=DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(select=select)
    )


async def test_select_is_kept_in_the_token_and_limits_tracking(
    graph_sim: GraphSimulator, graph_client: GraphServiceClient
) -> None:
    tenant = graph_sim.tenant
    tenant.seed(3, 0, seed=9)
    a, b, c = (u["id"] for u in tenant.users())
    first = await read_json(
        graph_client, graph_client.users.delta.to_get_request_information(_query(["displayName"]))
    )
    assert {frozenset(u) for u in first["value"]} == {
        frozenset({"id", "displayName"})
    }  # id always comes back

    tenant.update_user(a, department="Moved")  # not selected: not tracked
    tenant.update_user(b, displayName="Selected Change")
    tenant.disable_user(c)  # accountEnabled not selected either
    # a $select sent with the link is ignored: the token decides
    link = first["@odata.deltaLink"]
    second = await read_json(
        graph_client,
        graph_client.users.delta.with_url(link).to_get_request_information(_query(["department"])),
    )
    assert second["value"] == [{"id": b, "displayName": "Selected Change"}]


async def test_default_properties_without_select(
    graph_sim: GraphSimulator, graph_client: GraphServiceClient
) -> None:
    graph_sim.tenant.seed(1, 0)
    page = await read_json(graph_client, graph_client.users.delta.to_get_request_information())
    (user,) = page["value"]
    assert "userPrincipalName" in user and "mobilePhone" in user
    assert "accountEnabled" not in user and "department" not in user  # not in Graph's default set


async def test_unknown_property_is_refused(
    graph_sim: GraphSimulator, graph_client: GraphServiceClient
) -> None:
    with pytest.raises(ODataError) as caught:
        await graph_client.users.delta.get(_query(["displayName", "shoeSize"]))
    assert caught.value.response_status_code == 400
    assert caught.value.error is not None and "shoeSize" in (caught.value.error.message or "")
