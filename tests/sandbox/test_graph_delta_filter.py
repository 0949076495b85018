"""`$filter=id eq '..' or id eq '..'` scopes a delta round to given objects, in later rounds too."""

from __future__ import annotations

import pytest
from msgraph import GraphServiceClient
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from sandbox.graph import GraphSimulator
from tests.fixtures.graph_sim import read_json


async def test_filter_by_ids_is_kept_in_the_token(
    graph_sim: GraphSimulator, graph_client: GraphServiceClient
) -> None:
    tenant = graph_sim.tenant
    tenant.seed(6, 0, seed=21)
    ids = [u["id"] for u in tenant.users()]
    url = f"{graph_sim.base_url}/users/delta?$select=displayName&$filter=id eq '{ids[1]}' or id eq '{ids[4]}'"
    first = await read_json(graph_client, graph_client.users.delta.with_url(url).to_get_request_information())
    assert [u["id"] for u in first["value"]] == [ids[1], ids[4]]

    for user_id in ids:
        tenant.update_user(user_id, displayName=f"Renamed {user_id[:4]}")
    later = await read_json(
        graph_client,
        graph_client.users.delta.with_url(first["@odata.deltaLink"]).to_get_request_information(),
    )
    assert [u["id"] for u in later["value"]] == [ids[1], ids[4]]

    too_many = " or ".join(f"id eq '{n:08d}'" for n in range(51))
    for bad in ("displayName eq 'x'", too_many):
        with pytest.raises(ODataError) as caught:
            await graph_client.users.delta.with_url(f"{graph_sim.base_url}/users/delta?$filter={bad}").get()
        assert caught.value.response_status_code == 400
