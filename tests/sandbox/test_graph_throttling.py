"""Faults reach the SDK as Graph sends them: 429/503 with Retry-After are retried by its RetryHandler."""

from __future__ import annotations

import httpx
import pytest
from msgraph import GraphServiceClient
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from sandbox.graph import SANDBOX_GRAPH_TOKEN, SERVICE_PRINCIPAL_ID, GraphSimulator
from tests.fixtures.graph_sim import make_graph_client, read_json


async def test_429_with_retry_after_is_retried(
    graph_sim: GraphSimulator, graph_client: GraphServiceClient
) -> None:
    graph_sim.tenant.seed(3, 0)
    graph_sim.faults.configure(retry_after=1)
    graph_sim.faults.queue("throttle", 1)
    page = await read_json(graph_client, graph_client.users.delta.to_get_request_information())
    assert len(page["value"]) == 3
    assert graph_sim.counters.snapshot() == {"GET /v1.0/users/delta": 2}  # the 429, then the retry
    assert graph_sim.faults.injected["throttle"] == 1


async def test_503_burst_longer_than_the_retries_surfaces(
    graph_sim: GraphSimulator, graph_http: httpx.AsyncClient
) -> None:
    client = make_graph_client(graph_sim, graph_http, max_retries=1)
    graph_sim.faults.configure(retry_after=1)
    graph_sim.faults.queue("unavailable", 3)
    with pytest.raises(ODataError) as caught:
        await client.service_principals.by_service_principal_id(SERVICE_PRINCIPAL_ID).get()
    assert caught.value.response_status_code == 503
    assert caught.value.error is not None and caught.value.error.code == "serviceNotAvailable"
    assert graph_sim.counters.snapshot() == {"GET /v1.0/servicePrincipals/{id}": 2}


def test_fault_answers_on_the_wire(graph_sim: GraphSimulator) -> None:
    """Header and body exactly as a client sees them; control routes are never faulted nor counted."""
    auth = {"Authorization": f"Bearer {SANDBOX_GRAPH_TOKEN}"}
    graph_sim.faults.configure(retry_after=2.5)
    graph_sim.faults.queue("throttle", 1)
    graph_sim.faults.queue("server_error", 1)
    with httpx.Client(base_url=graph_sim.url) as http:
        assert http.get("/_sandbox/health").json() == {"ok": True}  # does not consume a queued fault
        throttled = http.get(f"/v1.0/servicePrincipals/{SERVICE_PRINCIPAL_ID}", headers=auth)
        failed = http.get(f"/v1.0/servicePrincipals/{SERVICE_PRINCIPAL_ID}", headers=auth)
        ok = http.get(f"/v1.0/servicePrincipals/{SERVICE_PRINCIPAL_ID}", headers=auth)
        graph_sim.faults.queue("drop", 1)
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/v1.0/users/delta", headers=auth)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "3"
    error = throttled.json()["error"]
    assert error["code"] == "TooManyRequests"
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
    assert failed.status_code == 500 and "Retry-After" not in failed.headers
    assert ok.status_code == 200
    assert graph_sim.counters.snapshot() == {
        "GET /v1.0/servicePrincipals/{id}": 3,
        "GET /v1.0/users/delta": 1,
    }


def test_fault_shares_apply_to_every_graph_route(graph_sim: GraphSimulator) -> None:
    auth = {"Authorization": f"Bearer {SANDBOX_GRAPH_TOKEN}"}
    graph_sim.faults.configure(unavailable_share=1.0, retry_after=None, latency_ms=20)
    with httpx.Client(base_url=graph_sim.url) as http:
        statuses = [http.get(path, headers=auth) for path in ("/v1.0/users/delta", "/v1.0/groups/delta")]
        assert [(r.status_code, r.headers.get("Retry-After")) for r in statuses] == [(503, None), (503, None)]
        graph_sim.faults.configure(unavailable_share=0.0)
        assert http.get("/v1.0/groups/delta", headers=auth).status_code == 200
    assert graph_sim.faults.injected["unavailable"] == 2
