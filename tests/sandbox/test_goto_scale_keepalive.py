"""The GoTo simulator keeps HTTP/1.1 connections open, as GoTo's front end does: a client pays
one TCP connection for many requests, not one per request (which benchmarks would count as the
product's CPU). A body the app never reads (a 429 before the handler) must not leak into the
next request on the connection; a stopped simulator must stop answering on open connections."""

from __future__ import annotations

import http.client
import json

import pytest

from sandbox.goto import SANDBOX_GOTO_TOKEN, GoToSimulator

AUTH = {"Authorization": f"Bearer {SANDBOX_GOTO_TOKEN}", "Content-Type": "application/scim+json"}


def user(n: int) -> str:
    address = f"keep{n}@contoso.com"
    body = {
        "userName": address,
        "name": {"givenName": "Keep", "familyName": "Alive"},
        "emails": [{"type": "work", "value": address, "primary": True}],
        "active": True,
    }
    return json.dumps(body)


def connect(sim: GoToSimulator) -> http.client.HTTPConnection:
    host, port = sim.url.removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=10)


def exchange(conn: http.client.HTTPConnection, method: str, path: str, body: str | None = None) -> int:
    conn.request(method, "/identity/v1" + path, body=body, headers=AUTH)
    response = conn.getresponse()
    response.read()
    assert response.getheader("Connection") is None
    return response.status


def test_one_connection_carries_many_requests() -> None:
    with GoToSimulator(rate_limit_per_second=1000) as sim:
        conn = connect(sim)
        assert exchange(conn, "POST", "/Users", user(1)) == 201
        sock = conn.sock
        assert sock is not None
        assert exchange(conn, "POST", "/Users", user(2)) == 201
        assert exchange(conn, "GET", "/Users?count=1") == 200
        assert exchange(conn, "POST", "/Users", user(1)) == 409  # an error answer keeps it open too
        assert conn.sock is sock
        conn.close()


def test_an_unread_body_does_not_reach_the_next_request() -> None:
    with GoToSimulator(rate_limit_per_second=1) as sim:
        conn = connect(sim)
        assert exchange(conn, "POST", "/Users", user(1)) == 201
        assert exchange(conn, "POST", "/Users", user(2)) == 429  # throttled before the body is read
        sim.configure(rate_limit_per_second=1000)
        assert exchange(conn, "GET", "/Users?count=1") == 200
        assert exchange(conn, "POST", "/Users", user(3)) == 201
        assert sim.store.find_user("keep2@contoso.com") is None
        conn.close()


def test_a_chunked_body_still_closes_the_connection() -> None:
    with GoToSimulator(rate_limit_per_second=1000) as sim:
        conn = connect(sim)
        conn.request("POST", "/identity/v1/Users", body=iter([user(1).encode()]), headers=AUTH)
        response = conn.getresponse()
        response.read()
        assert response.status == 201
        assert response.getheader("Connection") == "close"
        conn.close()


def test_stop_closes_open_connections() -> None:
    sim = GoToSimulator(rate_limit_per_second=1000).start()
    conn = connect(sim)
    assert exchange(conn, "GET", "/Users?count=1") == 200
    sim.stop()
    with pytest.raises((http.client.HTTPException, OSError)):
        conn.request("GET", "/identity/v1/Users?count=1", headers=AUTH)
        conn.getresponse()
    conn.close()
