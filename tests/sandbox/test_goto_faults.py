"""Injected faults on the API routes: 5xx, 429, timeouts (504 or hang), dropped connections, latency."""

from __future__ import annotations

import httpx
import pytest

from sandbox.goto import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_GOTO_TOKEN, GoToSimulator
from tests.fixtures.goto_sim import http_client


@pytest.fixture(autouse=True)
def _unthrottled(goto_sim: GoToSimulator) -> None:
    goto_sim.configure(rate_limit_per_second=1000)


def test_server_error_share_of_one_fails_everything(goto_http: httpx.Client, goto_sim: GoToSimulator) -> None:
    goto_sim.configure(server_error_share=1.0)

    responses = [goto_http.get("/Users") for _ in range(5)]

    assert [r.status_code for r in responses] == [500] * 5
    assert responses[0].json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert goto_sim.faults.injected["server_error"] == 5


def test_a_share_fails_some_requests_and_not_others(goto_http: httpx.Client, goto_sim: GoToSimulator) -> None:
    goto_sim.configure(unavailable_share=0.5)

    codes = [goto_http.get("/Users").status_code for _ in range(40)]

    assert 5 <= codes.count(503) <= 35
    assert codes.count(503) + codes.count(200) == 40
    assert goto_sim.faults.injected["unavailable"] == codes.count(503)


def test_next_n_calls_fail_then_service_resumes(goto_http: httpx.Client, goto_sim: GoToSimulator) -> None:
    goto_sim.faults.queue("unavailable", 2)

    responses = [goto_http.get("/Users") for _ in range(3)]

    assert [r.status_code for r in responses] == [503, 503, 200]
    assert responses[0].headers["Retry-After"] == "1"


def test_injected_429_follows_the_fault_retry_after_setting(
    goto_http: httpx.Client, goto_sim: GoToSimulator
) -> None:
    goto_sim.configure(retry_after=7)
    goto_sim.faults.queue("throttle")
    with_header = goto_http.get("/Users")
    goto_sim.configure(retry_after=None)
    goto_sim.faults.queue("throttle")
    without = goto_http.get("/Users")

    assert (with_header.status_code, with_header.headers["Retry-After"]) == (429, "7")
    assert without.status_code == 429 and "Retry-After" not in without.headers


def test_timeout_holds_then_answers_504(goto_http: httpx.Client, goto_sim: GoToSimulator) -> None:
    goto_sim.configure(timeout_seconds=0.2)
    goto_sim.faults.queue("timeout")

    response = goto_http.get("/Users")

    assert response.status_code == 504
    assert response.json()["status"] == "504"


def test_timeout_in_hang_mode_never_answers(goto_sim: GoToSimulator) -> None:
    goto_sim.configure(timeout_mode="hang", timeout_seconds=30)
    goto_sim.faults.queue("timeout")

    with (
        http_client(goto_sim.scim_base_url, token=SANDBOX_GOTO_TOKEN, timeout=0.3) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.get("/Users")  # the held request is released when the simulator stops


def test_hang_mode_closes_the_connection_after_the_hold(goto_sim: GoToSimulator) -> None:
    goto_sim.configure(timeout_mode="hang", timeout_seconds=0.1)
    goto_sim.faults.queue("timeout")

    with http_client(goto_sim.scim_base_url, token=SANDBOX_GOTO_TOKEN) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/Users")
        assert client.get("/Users").status_code == 200


def test_dropped_connection_gets_no_answer_and_the_next_call_works(
    goto_http: httpx.Client, goto_sim: GoToSimulator
) -> None:
    goto_http.get("/Users/me")  # an open keep-alive connection, to be dropped
    goto_sim.faults.queue("drop")

    with pytest.raises(httpx.RemoteProtocolError):
        goto_http.get("/Users")
    assert goto_http.get("/Users").status_code == 200
    assert goto_sim.faults.injected["drop"] == 1


def test_drop_share_applies_to_writes_too(goto_http: httpx.Client, goto_sim: GoToSimulator) -> None:
    goto_sim.configure(drop_share=1.0)

    with pytest.raises(httpx.TransportError):
        goto_http.post("/Users", json={"userName": "lost@contoso.com"})
    goto_sim.configure(drop_share=0.0)
    assert goto_sim.store.find_user("lost@contoso.com") is None  # dropped before it was handled


def test_faults_reach_the_token_endpoint_in_oauth_dialect(goto_sim: GoToSimulator) -> None:
    goto_sim.faults.queue("server_error")
    with http_client(goto_sim.url) as web:
        response = web.post(
            "/oauth/token",
            auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET),
            data={"grant_type": "refresh_token", "refresh_token": goto_sim.oauth.issue()["refresh_token"]},
        )

    assert response.status_code == 500
    assert response.json()["error"] == "server_error"


def test_control_routes_do_not_consume_queued_faults(
    goto_sim: GoToSimulator, goto_http: httpx.Client
) -> None:
    goto_sim.faults.queue("server_error")
    with http_client(goto_sim.control_url) as control:
        assert control.get("/state").status_code == 200

    assert goto_http.get("/Users").status_code == 500
    assert goto_http.get("/Users").status_code == 200


def test_latency_delays_every_answer(goto_sim: GoToSimulator) -> None:
    goto_sim.configure(latency_ms=2000)

    with (
        http_client(goto_sim.scim_base_url, token=SANDBOX_GOTO_TOKEN, timeout=0.2) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.get("/Users/me")


def test_unknown_fault_settings_are_refused(goto_sim: GoToSimulator) -> None:
    with pytest.raises(ValueError, match="unknown setting"):
        goto_sim.configure(server_error_rate=0.5)
    with pytest.raises(ValueError, match="unknown fault kind"):
        goto_sim.faults.queue("explode", 1)  # type: ignore[arg-type]
