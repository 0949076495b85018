"""`$deltatoken=latest`: no objects, only a deltaLink that tracks changes from now on."""

from __future__ import annotations

from msgraph import GraphServiceClient

from sandbox.graph import GraphSimulator
from tests.fixtures.graph_sim import read_json


async def test_latest_tracks_from_now(graph_sim: GraphSimulator, graph_client: GraphServiceClient) -> None:
    tenant = graph_sim.tenant
    tenant.seed(20, 3, seed=11)
    first_group = tenant.groups()[0]["id"]
    url = f"{graph_sim.base_url}/groups/delta?$select=displayName,members&$deltatoken=latest"
    page = await read_json(graph_client, graph_client.groups.delta.with_url(url).to_get_request_information())
    assert page["value"] == [] and "@odata.nextLink" not in page
    assert page["@odata.context"].endswith("#groups(displayName,members)")

    tenant.update_group(first_group, displayName="Renamed", description="not selected")
    later = await read_json(
        graph_client,
        graph_client.groups.delta.with_url(page["@odata.deltaLink"]).to_get_request_information(),
    )
    assert later["value"] == [{"id": first_group, "displayName": "Renamed"}]
