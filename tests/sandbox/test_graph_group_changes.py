"""What the group engine reads from the simulator: a rename and a delete in an incremental groups/delta
round (with more properties selected than displayName and members), and `GET /groups/{id}`.

Checked against graph.md: security groups have no recycle bin, so a deleted group comes back as
`@removed: {"reason": "deleted"}` (a soft delete, "changed", is for restorable objects).
"""

from __future__ import annotations

from typing import Any

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.headers_collection import HeadersCollection
from msgraph import GraphServiceClient
from msgraph.generated.groups.delta.delta_request_builder import DeltaRequestBuilder
from msgraph.generated.groups.item.group_item_request_builder import GroupItemRequestBuilder
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from sandbox.graph import GraphSimulator
from tests.fixtures.graph_sim import read_json

SELECT = ["displayName", "members", "description", "mailNickname"]


async def _round(
    client: GraphServiceClient, link: str | None, *, minimal: bool = False
) -> tuple[list[dict[str, Any]], str]:
    if link is None:
        query = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(select=SELECT)
        request = client.groups.delta.to_get_request_information(RequestConfiguration(query_parameters=query))
    else:
        config: RequestConfiguration[Any] = RequestConfiguration()
        if minimal:
            config.headers = HeadersCollection()
            config.headers.add("Prefer", "return=minimal")
        request = client.groups.delta.with_url(link).to_get_request_information(config)
    entries: list[dict[str, Any]] = []
    while True:
        page = await read_json(client, request)
        entries += page["value"]
        if "@odata.deltaLink" in page:
            return entries, page["@odata.deltaLink"]
        request = client.groups.delta.with_url(page["@odata.nextLink"]).to_get_request_information()


@pytest.mark.parametrize("minimal", [False, True], ids=["full", "minimal"])
async def test_rename_and_delete_in_an_incremental_round(
    graph_sim: GraphSimulator, graph_client: GraphServiceClient, minimal: bool
) -> None:
    tenant = graph_sim.tenant
    ada = tenant.create_user(givenName="Ada", surname="Lovelace")["id"]
    sales = tenant.create_group("Sales", description="Sellers")["id"]
    gone = tenant.create_group("Gone Soon")["id"]
    quiet = tenant.create_group("Quiet")["id"]
    tenant.add_member(sales, ada)

    first, link = await _round(graph_client, None)
    by_id = {e["id"]: e for e in first}
    assert set(by_id) == {sales, gone, quiet}
    assert by_id[sales] == {
        "id": sales,
        "displayName": "Sales",
        "description": "Sellers",
        "mailNickname": "sales",
        "members@delta": [{"@odata.type": "#microsoft.graph.user", "id": ada}],
    }

    tenant.update_group(sales, displayName="Sales EU")
    tenant.update_group(quiet, mail="quiet@contoso.com")  # not selected: not tracked either
    tenant.delete_group(gone)
    second, link = await _round(graph_client, link, minimal=minimal)
    renamed = (
        {"id": sales, "displayName": "Sales EU"}
        if minimal
        else {"id": sales, "displayName": "Sales EU", "description": "Sellers", "mailNickname": "sales"}
    )
    assert sorted(second, key=lambda e: e["id"] == gone) == [
        renamed,
        {"id": gone, "@removed": {"reason": "deleted"}},
    ]

    third, _ = await _round(graph_client, link, minimal=minimal)
    assert third == []  # the tombstone is reported once


async def test_get_group_selects_and_misses(
    graph_sim: GraphSimulator, graph_client: GraphServiceClient
) -> None:
    tenant = graph_sim.tenant
    group = tenant.create_group("Sales", description="Sellers")["id"]
    builder = graph_client.groups.by_group_id(group)
    query = GroupItemRequestBuilder.GroupItemRequestBuilderGetQueryParameters(
        select=["displayName", "DESCRIPTION"]
    )
    body = await read_json(
        graph_client, builder.to_get_request_information(RequestConfiguration(query_parameters=query))
    )
    assert {k: v for k, v in body.items() if "@" not in k} == {
        "id": group,
        "displayName": "Sales",
        "description": "Sellers",
    }
    bad = GroupItemRequestBuilder.GroupItemRequestBuilderGetQueryParameters(select=["members"])
    with pytest.raises(ODataError) as refused:  # members is a navigation property: not on a plain read
        await read_json(
            graph_client, builder.to_get_request_information(RequestConfiguration(query_parameters=bad))
        )
    assert refused.value.response_status_code == 400

    tenant.delete_group(group)
    for missing in (group, "00000000-0000-0000-0000-0000000000cc"):
        with pytest.raises(ODataError) as caught:
            await read_json(
                graph_client, graph_client.groups.by_group_id(missing).to_get_request_information()
            )
        assert caught.value.response_status_code == 404
        assert caught.value.error is not None and caught.value.error.code == "Request_ResourceNotFound"
