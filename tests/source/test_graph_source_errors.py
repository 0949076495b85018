"""GraphSource turns every failure into SourceError / DeltaExpiredError, never leaking a link or token."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from typing import Any

import httpx
import pytest
from werkzeug.wrappers import Request, Response

from provisioning.errors import DeltaExpiredError, SourceError
from provisioning.source.graph import GraphSource
from provisioning.source.graph_client import StaticTokenCredential, create_graph_client
from sandbox._server import ServerThread
from sandbox.graph import SANDBOX_GRAPH_TOKEN, SERVICE_PRINCIPAL_ID, GraphSimulator
from tests.fixtures.graph_sim import make_graph_client

SELECT = ["id", "displayName"]


async def _delta_link(source: GraphSource) -> str:
    link = None
    async for page in source.iter_users_delta(link=None, select=SELECT):
        link = page.delta_link
    assert link is not None
    return link


async def test_throttling_is_retried(graph_sim: GraphSimulator, graph_source: GraphSource) -> None:
    graph_sim.tenant.seed(5, 0)
    graph_sim.faults.configure(retry_after=1)
    graph_sim.faults.queue("throttle", 1)
    assignments = await graph_source.list_assignments(SERVICE_PRINCIPAL_ID)
    assert assignments == []
    assert graph_sim.counters.snapshot() == {"GET /v1.0/servicePrincipals/{id}/appRoleAssignedTo": 2}


async def test_503_burst_outliving_retries_is_a_source_error(
    graph_sim: GraphSimulator, graph_http: httpx.AsyncClient
) -> None:
    source = GraphSource(make_graph_client(graph_sim, graph_http, max_retries=1))
    graph_sim.faults.configure(retry_after=1)
    graph_sim.faults.queue("unavailable", 2)
    with pytest.raises(SourceError) as caught:
        await _delta_link(source)
    error = caught.value
    assert type(error) is SourceError
    assert error.status == 503 and error.code == "serviceNotAvailable"
    assert "users delta" in str(error)
    assert graph_sim.counters.snapshot() == {"GET /v1.0/users/delta": 2}


@pytest.mark.parametrize("gone", [False, True], ids=["syncStateNotFound", "410"])
async def test_expired_links_ask_for_a_resync(
    graph_sim: GraphSimulator, graph_source: GraphSource, gone: bool
) -> None:
    graph_sim.tenant.seed(3, 1)
    users_link = await _delta_link(graph_source)
    groups_link = [p async for p in graph_source.iter_groups_delta(link=None)][-1].delta_link
    graph_sim.tenant.expire_delta_tokens(gone=gone)

    with pytest.raises(DeltaExpiredError) as caught:
        await _delta_link_from(graph_source, users_link)
    assert caught.value.status == (410 if gone else 400)
    assert caught.value.code == ("resyncRequired" if gone else "syncStateNotFound")
    token = users_link.split("=", 1)[1]
    assert token not in str(caught.value) and SANDBOX_GRAPH_TOKEN not in str(caught.value)
    with pytest.raises(DeltaExpiredError):
        [p async for p in graph_source.iter_groups_delta(link=groups_link)]


async def _delta_link_from(source: GraphSource, link: str) -> None:
    async for _ in source.iter_users_delta(link=link, select=SELECT):
        pass


async def test_bad_token_is_a_source_error(graph_sim: GraphSimulator, graph_http: httpx.AsyncClient) -> None:
    source = GraphSource(make_graph_client(graph_sim, graph_http, token="expired-or-wrong"))
    with pytest.raises(SourceError) as caught:
        await source.get_service_principal(SERVICE_PRINCIPAL_ID)
    assert caught.value.status == 401 and caught.value.code == "InvalidAuthenticationToken"
    assert "expired-or-wrong" not in str(caught.value)


def _garbage_app(bodies: dict[str, bytes]) -> Callable[[dict[str, Any], Any], Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = Request(environ).path
        response = Response(bodies.get(path, b"{}"), content_type="application/json")
        return response(environ, start_response)

    return app


async def test_malformed_answers_are_source_errors(graph_http: httpx.AsyncClient) -> None:
    bodies = {
        "/v1.0/users/delta()": b"{not json",
        "/v1.0/groups/delta()": b'{"value": [], "@odata.nextLink": null}',
        f"/v1.0/servicePrincipals/{SERVICE_PRINCIPAL_ID}/appRoleAssignedTo": b'{"value": [{"id": "x"}]}',
    }
    with ServerThread(_garbage_app(bodies)) as server:
        client = create_graph_client(
            base_url=f"{server.url}/v1.0", credential=StaticTokenCredential("t"), http_client=graph_http
        )
        source = GraphSource(client)
        with pytest.raises(SourceError, match="users delta failed: the answer is not JSON"):
            await _delta_link(source)
        with pytest.raises(SourceError, match="exactly one of nextLink and deltaLink"):
            [p async for p in source.iter_groups_delta(link=None)]
        with pytest.raises(SourceError, match="lacks 'principalId'"):
            await source.list_assignments(SERVICE_PRINCIPAL_ID)


async def test_network_errors_are_source_errors(graph_http: httpx.AsyncClient) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the request: nothing listens there
    client = create_graph_client(
        base_url=f"http://127.0.0.1:{port}/v1.0",
        credential=StaticTokenCredential("t"),
        http_client=graph_http,
    )
    with pytest.raises(SourceError, match="network error: ConnectError") as caught:
        await GraphSource(client).get_user("someone", select=["id"])
    assert caught.value.status is None
