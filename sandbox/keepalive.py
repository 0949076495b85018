"""HTTP/1.1 keep-alive for the simulators, as GoTo's and Graph's own front ends keep connections open.

werkzeug 3's development server sends `Connection: close` on every answer, because after each
request it drains whatever the socket still holds (http.server cannot tell an unread body from
the next request). So each request cost the client a new TCP connection, which neither real GoTo
nor real Graph makes it pay, and benchmarks counted that as the product's CPU. Here the handler reads the
request body (Content-Length bytes) off the socket before the app runs and gives the app and
the drain that copy: the socket is left at the next request, so the connection can stay open.
Chunked request bodies keep werkzeug's behaviour (answer, then close). `stop()` shuts the open
connections, so a stopped simulator stops answering on them too.
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
from typing import Any

from werkzeug.serving import WSGIRequestHandler

from sandbox._server import ServerThread

IDLE_TIMEOUT_SECONDS = 60.0  # an idle connection's thread ends after this
_LOCK = threading.Lock()


class KeepAliveHandler(WSGIRequestHandler):
    """Leaves out werkzeug's `Connection: close` when the body was buffered and the client
    did not ask to close."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT_SECONDS
    _keep = False

    def setup(self) -> None:
        super().setup()
        # An answer goes out as two writes (head, then body); on a kept connection Nagle's algorithm
        # holds the body until the client's delayed ACK of the head (~40 ms per answer).
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with _LOCK:
            _open(self.server).add(self.connection)

    def finish(self) -> None:
        with _LOCK:
            _open(self.server).discard(self.connection)
        super().finish()

    def run_wsgi(self) -> None:
        raw = self.rfile
        length = _content_length(self.headers.get("Content-Length"))
        chunked = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
        asked_close = "close" in (self.headers.get("Connection") or "").lower()
        self._keep = length is not None and not chunked and not asked_close
        if not self._keep:
            super().run_wsgi()
            return
        self.rfile = io.BufferedReader(io.BytesIO(raw.read(length) if length else b""))
        try:
            super().run_wsgi()
        finally:
            self.rfile = raw

    def send_header(self, keyword: str, value: str) -> None:
        if self._keep and keyword.lower() == "connection" and value.lower() == "close":
            return
        super().send_header(keyword, value)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


def _content_length(raw: str | None) -> int | None:
    """0 when absent (a GET), the length when valid, None when it cannot be trusted."""
    if raw is None:
        return 0
    try:
        length = int(raw)
    except ValueError:
        return None
    return length if length >= 0 else None


def _open(server: Any) -> set[socket.socket]:
    connections: set[socket.socket] = server.__dict__.setdefault("open_connections", set())
    return connections


class KeepAliveServer(ServerThread):
    """ServerThread whose connections stay open between requests, and are shut on `stop()`."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(app, host=host, port=port)
        self._server.RequestHandlerClass = KeepAliveHandler

    def stop(self) -> None:
        with _LOCK:
            connections = list(_open(self._server))
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        super().stop()
