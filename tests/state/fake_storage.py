"""A small HTTP server on 127.0.0.1 that answers every Table Storage request with one error, as Azure
does (status, x-ms-error-code header, OData JSON body), and counts the requests. For the errors
Azurite cannot produce (a missing role, throttling, a service that is down)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeStorage(ThreadingHTTPServer):
    def __init__(self, status: int, code: str, message: str, *, retry_after: str | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Answer)
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after
        self.requests = 0

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Answer(BaseHTTPRequestHandler):
    server: FakeStorage

    def _answer(self) -> None:
        fake = self.server
        fake.requests += 1
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = json.dumps(
            {"odata.error": {"code": fake.code, "message": {"lang": "en-US", "value": fake.message}}}
        ).encode()
        self.send_response(fake.status)
        self.send_header("Content-Type", "application/json;odata=minimalmetadata")
        self.send_header("x-ms-error-code", fake.code)
        if fake.retry_after is not None:
            self.send_header("Retry-After", fake.retry_after)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        return


@contextmanager
def fake_storage(
    status: int, code: str, message: str, *, retry_after: str | None = None
) -> Iterator[FakeStorage]:
    server = FakeStorage(status, code, message, retry_after=retry_after)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
