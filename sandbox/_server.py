"""Run a WSGI app as a real HTTP server on loopback, in a background thread.

The simulators are real servers (not transports) so that msgraph-sdk, httpx and any other client
exercise their actual network code paths against them.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    """Keeps per-request access lines out of test output; errors still reach the log."""

    protocol_version = "HTTP/1.1"  # keep-alive, as real Graph and GoTo front ends do

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class ServerThread:
    """A WSGI app served on 127.0.0.1:port (0 = a free port) until `stop()`."""

    def __init__(
        self, app: Any, *, host: str = "127.0.0.1", port: int = 0, poll_interval: float = 0.02
    ) -> None:
        self._poll_interval = poll_interval  # serve_forever's default (0.5 s) would make every stop() slow
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=_QuietHandler
        )
        self._server.daemon_threads = True  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self.serve_forever, name=f"sandbox-{port}", daemon=True)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Blocking variant for `python -m sandbox.<name>`; also the body of the background thread."""
        self._server.serve_forever(poll_interval=self._poll_interval)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
