"""The simulators' kept-alive connections send without Nagle's delay: werkzeug writes an answer's
head and body apart, and on a kept connection the body waited for the client's delayed ACK of the
head (a 20,000-user dry run against the Graph simulator took 13.5 s of wall time for 5.3 s)."""

from __future__ import annotations

import socket
from typing import Any

import httpx

from sandbox.keepalive import KeepAliveServer, _open


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def test_a_kept_connection_has_tcp_nodelay() -> None:
    with KeepAliveServer(app) as server, httpx.Client(base_url=server.url) as client:
        assert client.get("/").text == "ok"
        assert client.get("/").text == "ok"  # the same connection, kept
        (connection,) = _open(server._server)
        assert connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
