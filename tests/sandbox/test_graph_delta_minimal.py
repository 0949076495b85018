"""`Prefer: return=minimal` on a deltaLink round: only the properties that changed (nulls included)."""

from __future__ import annotations

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.users.delta.delta_request_builder import DeltaRequestBuilder

from sandbox.graph import GraphSimulator
from tests.fixtures.graph_sim import read_json

SELECT = ["id", "displayName", "jobTitle", "mobilePhone", "accountEnabled"]


async def test_minimal_returns_only_changed_properties(
    graph_sim: GraphSimulator, graph_client: GraphServiceClient
) -> None:
    tenant = graph_sim.tenant
    tenant.seed(2, 0, seed=1)
    a, b = (u["id"] for u in tenant.users())
    query = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(select=SELECT)
    first = await read_json(
        graph_client,
        graph_client.users.delta.to_get_request_information(RequestConfiguration(query_parameters=query)),
    )
    link = first["@odata.deltaLink"]
    tenant.update_user(a, jobTitle="Staff", mobilePhone=None)
    created = tenant.create_user(givenName="Fresh", surname="Start")

    minimal = RequestConfiguration[DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters]()
    minimal.headers.add("Prefer", "return=minimal")
    page = await read_json(
        graph_client, graph_client.users.delta.with_url(link).to_get_request_information(minimal)
    )
    by_id = {u["id"]: u for u in page["value"]}
    assert by_id[a] == {"id": a, "jobTitle": "Staff", "mobilePhone": None}
    assert set(by_id[created["id"]]) == set(SELECT)  # a new object comes whole
    assert b not in by_id

    full = await read_json(graph_client, graph_client.users.delta.with_url(link).to_get_request_information())
    assert {u["id"]: set(u) for u in full["value"]} == {a: set(SELECT), created["id"]: set(SELECT)}
