"""Every Graph route needs the sandbox bearer token; Graph's 401 body and code otherwise."""

from __future__ import annotations

import httpx
import pytest
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from sandbox.graph import GraphSimulator
from tests.fixtures.graph_sim import make_graph_client


async def test_missing_or_wrong_token_is_401(
    graph_sim: GraphSimulator, graph_http: httpx.AsyncClient
) -> None:
    response = await graph_http.get(f"{graph_sim.base_url}/users/delta")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"

    client = make_graph_client(graph_sim, graph_http, token="not-the-sandbox-token")
    with pytest.raises(ODataError) as caught:
        await client.users.delta.get()
    assert caught.value.response_status_code == 401
    assert caught.value.error is not None and caught.value.error.code == "InvalidAuthenticationToken"
    assert graph_sim.counters.snapshot() == {"GET /v1.0/users/delta": 2}  # rejected calls are still traffic
