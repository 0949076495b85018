"""`@removed`: reason "changed" for a soft delete (restorable), "deleted" for a hard delete."""

from __future__ import annotations

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.users.delta.delta_request_builder import DeltaRequestBuilder
from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder

from sandbox.graph import GraphSimulator

QUERY = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(select=["id", "displayName"])


async def test_removed_reasons_and_restore(
    graph_sim: GraphSimulator, graph_client: GraphServiceClient
) -> None:
    tenant = graph_sim.tenant
    tenant.seed(4, 0, seed=5)
    a, b, c, d = (u["id"] for u in tenant.users())
    tenant.soft_delete_user(d)

    first = await graph_client.users.delta.get(RequestConfiguration(query_parameters=QUERY))
    assert first is not None and first.value is not None and first.odata_delta_link
    removed_first = {u.id: u.additional_data.get("@removed") for u in first.value}
    assert removed_first == {a: None, b: None, c: None, d: {"reason": "changed"}}  # recycle bin shows up too

    tenant.soft_delete_user(a)
    tenant.hard_delete_user(b)
    tenant.restore_user(d)
    second = await graph_client.users.delta.with_url(first.odata_delta_link).get()
    assert second is not None and second.value is not None and second.odata_delta_link
    by_id = {u.id: u for u in second.value}
    assert set(by_id) == {a, b, d}
    assert by_id[a].additional_data == {"@removed": {"reason": "changed"}}
    assert by_id[b].additional_data == {"@removed": {"reason": "deleted"}}
    assert by_id[d].additional_data == {} and by_id[d].display_name == tenant.user(d)["displayName"]

    # Graph answers 404 for both kinds of deleted user
    for gone in (a, b):
        with pytest.raises(ODataError) as caught:
            await graph_client.users.by_user_id(gone).get()
        assert caught.value.response_status_code == 404
        assert caught.value.error is not None and caught.value.error.code == "Request_ResourceNotFound"
    cfg = RequestConfiguration(
        query_parameters=UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(
            select=["id", "surname"]
        )
    )
    restored = await graph_client.users.by_user_id(d).get(cfg)
    assert restored is not None and restored.surname == tenant.user(d)["surname"]
    assert restored.display_name is None  # not selected
