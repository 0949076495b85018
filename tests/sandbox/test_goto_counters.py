"""Request counters per route template: what benchmarks and "a quiet cycle sends nothing" tests read."""

from __future__ import annotations

import httpx

from sandbox.goto import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, GoToSimulator
from tests.fixtures.goto_sim import http_client


def test_every_api_request_is_counted_by_route_template(
    goto_sim: GoToSimulator, goto_http: httpx.Client
) -> None:
    goto_sim.configure(rate_limit_per_second=1000)
    user = goto_http.post("/Users", json={"userName": "x@contoso.com"}).json()
    goto_http.get(f"/Users/{user['id']}")
    goto_http.get("/Users/999")  # a 404 counts as well
    goto_http.get("/Users", params={"filter": 'userName eq "x@contoso.com"'})
    goto_http.delete(f"/Users/{user['id']}")
    with http_client(goto_sim.url) as web:
        web.post("/oauth/token", auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET), data={"grant_type": "x"})
        web.get("/oauth/authorize", params={"client_id": "nobody"})
        web.get("/_sandbox/state")  # control routes are not counted

    assert goto_sim.counters.snapshot() == {
        "POST /identity/v1/Users": 1,
        "GET /identity/v1/Users/{id}": 2,
        "GET /identity/v1/Users": 1,
        "DELETE /identity/v1/Users/{id}": 1,
        "POST /oauth/token": 1,
        "GET /oauth/authorize": 1,
    }
    assert goto_sim.counters.total() == 7
    assert goto_sim.counters.total("/identity/v1") == 5


def test_throttled_unauthorized_and_faulted_requests_are_counted(
    goto_sim: GoToSimulator, goto_http: httpx.Client
) -> None:
    goto_sim.configure(rate_limit_per_second=1)
    codes = [goto_http.get("/Groups").status_code for _ in range(3)]
    goto_sim.configure(rate_limit_per_second=1000)
    goto_sim.faults.queue("server_error")
    codes.append(goto_http.get("/Groups").status_code)
    with http_client(goto_sim.scim_base_url) as anonymous:
        codes.append(anonymous.get("/Groups").status_code)

    assert 429 in codes and 500 in codes and 401 in codes
    assert goto_sim.counters.snapshot() == {"GET /identity/v1/Groups": 5}


def test_counters_reset_over_http_and_in_python(goto_sim: GoToSimulator, goto_http: httpx.Client) -> None:
    goto_http.get("/Users/me")
    with http_client(goto_sim.control_url) as control:
        assert control.get("/counters").json() == {"counts": {"GET /identity/v1/Users/me": 1}, "total": 1}
        assert control.delete("/counters").json() == {"counts": {}, "total": 0}
    goto_http.get("/Users/me")
    goto_sim.counters.reset()
    assert goto_sim.counters.total() == 0
