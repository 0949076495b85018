"""The client factory: a static-token credential, and the token sent to the base URL's host only."""

from __future__ import annotations

import httpx
import pytest

from provisioning.errors import SourceError
from provisioning.source.graph import GraphSource
from provisioning.source.graph_client import StaticTokenCredential, create_graph_client
from sandbox.graph import SANDBOX_GRAPH_TOKEN, GraphSimulator


async def test_static_credential_hands_out_its_token() -> None:
    async with StaticTokenCredential("abc") as credential:
        token = await credential.get_token("https://graph.microsoft.com/.default")
    assert token.token == "abc"
    assert "abc" not in repr(credential)
    with pytest.raises(ValueError):
        StaticTokenCredential("")
    with pytest.raises(ValueError):
        create_graph_client(base_url="/v1.0", credential=StaticTokenCredential("abc"))


async def test_token_goes_to_the_base_url_host_only(
    graph_sim: GraphSimulator, graph_http: httpx.AsyncClient
) -> None:
    """A link naming another host is followed without the bearer token (so it cannot leak)."""
    graph_sim.tenant.seed(3, 0)
    credential = StaticTokenCredential(SANDBOX_GRAPH_TOKEN)
    here = GraphSource(
        create_graph_client(base_url=graph_sim.base_url, credential=credential, http_client=graph_http)
    )
    assert await here.get_user(graph_sim.tenant.users()[0]["id"], select=["id"]) is not None

    other_base = graph_sim.base_url.replace(
        "127.0.0.1", "localhost"
    )  # never contacted: only its host matters
    other = GraphSource(
        create_graph_client(base_url=other_base, credential=credential, http_client=graph_http)
    )
    link = f"{graph_sim.base_url}/users/delta?$deltatoken=latest"
    with pytest.raises(SourceError) as caught:
        async for _ in other.iter_users_delta(link=link, select=["id"]):
            pass
    assert caught.value.status == 401
