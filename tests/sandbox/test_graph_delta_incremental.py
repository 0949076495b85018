"""Later users/delta rounds carry exactly what changed since the link, computed from a stable snapshot."""

from __future__ import annotations

from typing import Any

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.users.delta.delta_request_builder import DeltaRequestBuilder

from sandbox.graph import GraphSimulator
from tests.fixtures.graph_sim import read_json

SELECT = ["id", "displayName", "accountEnabled", "jobTitle"]


async def _round(client: GraphServiceClient, link: str | None) -> tuple[list[dict[str, Any]], str]:
    """All entries of one round (SDK models) and the deltaLink that ends it."""
    if link is None:
        query = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(select=SELECT)
        page = await client.users.delta.get(RequestConfiguration(query_parameters=query))
    else:
        page = await client.users.delta.with_url(link).get()
    entries: list[dict[str, Any]] = []
    while True:
        assert page is not None and page.value is not None
        for user in page.value:
            entry: dict[str, Any] = {"id": user.id}
            if user.display_name is not None:
                entry["displayName"] = user.display_name
            if user.account_enabled is not None:
                entry["accountEnabled"] = user.account_enabled
            if user.job_title is not None:
                entry["jobTitle"] = user.job_title
            entry.update(user.additional_data)
            entries.append(entry)
        if page.odata_delta_link:
            return entries, page.odata_delta_link
        assert page.odata_next_link
        page = await client.users.delta.with_url(page.odata_next_link).get()


async def test_second_round_returns_exactly_the_changes(
    graph_sim: GraphSimulator, graph_client: GraphServiceClient
) -> None:
    graph_sim.tenant.seed(12, 0, seed=3)
    graph_sim.configure(page_size=5)
    first, link = await _round(graph_client, None)
    assert len(first) == 12
    ids = [u["id"] for u in graph_sim.tenant.users()]

    tenant = graph_sim.tenant
    tenant.update_user(ids[0], jobTitle="Chief Tester")
    tenant.disable_user(ids[1])
    created = tenant.create_user(givenName="New", surname="Hire", jobTitle="Intern")
    tenant.update_user(ids[2], jobTitle=tenant.user(ids[2])["jobTitle"])  # same value: not a change

    second, link2 = await _round(graph_client, link)
    by_id = {e["id"]: e for e in second}
    assert set(by_id) == {ids[0], ids[1], created["id"]}
    assert by_id[ids[0]]["jobTitle"] == "Chief Tester"
    assert by_id[ids[1]]["accountEnabled"] is False
    assert by_id[created["id"]]["displayName"] == "New Hire"

    quiet, link3 = await _round(graph_client, link2)
    assert quiet == []
    replay, _ = await _round(
        graph_client, link
    )  # an old link replays its changes: fine for idempotent readers
    assert {e["id"] for e in replay} == set(by_id)
    assert link3 != link2


async def test_changes_during_a_round_show_up_in_the_next(
    graph_sim: GraphSimulator, graph_client: GraphServiceClient
) -> None:
    graph_sim.tenant.seed(9, 0, seed=4)
    graph_sim.configure(page_size=3)
    ids = [u["id"] for u in graph_sim.tenant.users()]
    query = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(select=SELECT)
    request = graph_client.users.delta.to_get_request_information(
        RequestConfiguration(query_parameters=query)
    )
    page = await read_json(graph_client, request)

    graph_sim.tenant.update_user(ids[8], displayName="Renamed Mid Round")
    graph_sim.tenant.hard_delete_user(ids[7])
    seen = list(page["value"])
    while "@odata.nextLink" in page:
        page = await read_json(
            graph_client,
            graph_client.users.delta.with_url(page["@odata.nextLink"]).to_get_request_information(),
        )
        seen.extend(page["value"])

    assert len(seen) == 9  # the snapshot taken at the round's start
    assert next(u for u in seen if u["id"] == ids[8])["displayName"] != "Renamed Mid Round"
    assert all("@removed" not in u for u in seen)

    after, _ = await _round(graph_client, page["@odata.deltaLink"])
    assert {e["id"]: e.get("@removed") for e in after} == {ids[8]: None, ids[7]: {"reason": "deleted"}}
    assert next(e for e in after if e["id"] == ids[8])["displayName"] == "Renamed Mid Round"
