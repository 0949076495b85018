"""Expired or unknown delta tokens: 400 syncStateNotFound, or 410 resyncRequired with a Location."""

from __future__ import annotations

from typing import Any

import pytest
from msgraph import GraphServiceClient
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from sandbox.graph import GraphSimulator
from tests.fixtures.graph_sim import read_json


async def _first_round_links(sim: GraphSimulator, client: GraphServiceClient) -> tuple[str, str]:
    """(nextLink of page 1, deltaLink of the round), for a 3-page round."""
    sim.tenant.seed(6, 0)
    sim.configure(page_size=2)
    url = f"{sim.base_url}/users/delta?$select=displayName"
    page = await read_json(client, client.users.delta.with_url(url).to_get_request_information())
    next_link = page["@odata.nextLink"]
    while "@odata.nextLink" in page:
        page = await read_json(
            client, client.users.delta.with_url(page["@odata.nextLink"]).to_get_request_information()
        )
    return next_link, page["@odata.deltaLink"]


async def test_expired_and_unknown_tokens_say_sync_state_not_found(
    graph_sim: GraphSimulator, graph_client: GraphServiceClient
) -> None:
    next_link, delta_link = await _first_round_links(graph_sim, graph_client)
    assert graph_sim.tenant.expire_delta_tokens() > 0
    unknown = f"{graph_sim.base_url}/users/delta?$deltatoken=never-issued"
    for link in (delta_link, next_link, unknown):
        with pytest.raises(ODataError) as caught:
            await graph_client.users.delta.with_url(link).get()
        assert caught.value.response_status_code == 400
        assert caught.value.error is not None and caught.value.error.code == "syncStateNotFound"

    # a full resync works and its tokens are valid again
    fresh = await graph_client.users.delta.with_url(
        f"{graph_sim.base_url}/users/delta?$select=displayName"
    ).get()
    assert fresh is not None and fresh.odata_next_link


async def test_gone_mode_answers_410_with_location(
    graph_sim: GraphSimulator, graph_client: GraphServiceClient
) -> None:
    _, delta_link = await _first_round_links(graph_sim, graph_client)
    graph_sim.tenant.expire_delta_tokens(gone=True)
    with pytest.raises(ODataError) as caught:
        await graph_client.users.delta.with_url(delta_link).get()
    error = caught.value
    assert error.response_status_code == 410
    assert error.error is not None and error.error.code == "resyncRequired"
    assert error.response_headers is not None
    headers: Any = error.response_headers  # the HTTP adapter stores httpx.Headers here
    assert headers.get("location") == f"{graph_sim.base_url}/users/delta?$select=displayName"
