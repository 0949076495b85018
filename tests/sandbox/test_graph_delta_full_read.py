"""A first users/delta round over 2,000 users: several pages, each user once, a final deltaLink."""

from __future__ import annotations

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.users.delta.delta_request_builder import DeltaRequestBuilder

from sandbox.graph import GraphSimulator
from tests.fixtures.graph_sim import read_json

SELECT = ["id", "userPrincipalName", "displayName", "accountEnabled", "employeeId"]


async def test_full_read_of_2000_users_over_pages(
    graph_sim: GraphSimulator, graph_client: GraphServiceClient
) -> None:
    graph_sim.tenant.seed(2000, 10, seed=7)
    graph_sim.configure(page_size=300)
    query = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(select=SELECT)
    request = graph_client.users.delta.to_get_request_information(
        RequestConfiguration(query_parameters=query)
    )

    pages = []
    while True:
        page = await read_json(graph_client, request)
        pages.append(page)
        assert page["@odata.context"].startswith(graph_sim.base_url + "/$metadata#users(")
        next_link = page.get("@odata.nextLink")
        if next_link is None:
            break
        assert "@odata.deltaLink" not in page
        assert next_link.startswith(graph_sim.base_url + "/users/delta?")
        request = graph_client.users.delta.with_url(next_link).to_get_request_information()

    assert len(pages) == 7  # 6 x 300 + 200
    assert all(len(p["value"]) == 300 for p in pages[:-1])
    assert pages[-1]["@odata.deltaLink"].startswith(graph_sim.base_url + "/users/delta?$deltatoken=")
    users = [u for p in pages for u in p["value"]]
    assert len(users) == 2000
    assert {u["id"] for u in users} == {u["id"] for u in graph_sim.tenant.users()}
    assert all(set(u) == set(SELECT) for u in users)
    first = graph_sim.tenant.user(users[0]["id"])
    assert users[0] == {name: first[name] for name in SELECT}
    assert graph_sim.counters.snapshot() == {"GET /v1.0/users/delta": 7}
