"""The CLI's redirect target: a one-shot HTTP listener on 127.0.0.1 (RFC 8252 §7.3, loopback redirect).

It answers GET <callback_path>?code=…&state=… with a short page and hands code and state to the
waiting flow. A callback whose state is not the expected one is answered 400 and ignored (the real
one may still come); other paths get 404. The listener serves nobody but the local browser.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import secrets
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from provisioning.goto_auth.errors import AuthorizationDeniedError, AuthorizationTimeoutError

log = logging.getLogger(__name__)

LOOPBACK_HOST = "127.0.0.1"
_MAX_HEADER_BYTES = 16 * 1024


@dataclass(frozen=True)
class Callback:
    code: str


class LoopbackListener:
    """`async with LoopbackListener(expected_state=…) as listener:` then `await listener.wait(timeout)`."""

    def __init__(self, *, expected_state: str, port: int = 0, callback_path: str = "/callback") -> None:
        if not callback_path.startswith("/"):
            raise ValueError("callback_path must start with '/'")
        self._expected_state = expected_state
        self._port = port
        self.callback_path = callback_path
        self._server: asyncio.Server | None = None
        self._result: asyncio.Future[Callback] | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the listener is not started")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def redirect_uri(self) -> str:
        return f"http://{LOOPBACK_HOST}:{self.port}{self.callback_path}"

    async def __aenter__(self) -> LoopbackListener:
        self._result = asyncio.get_running_loop().create_future()
        self._server = await asyncio.start_server(self._handle, LOOPBACK_HOST, self._port)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        if self._result is not None and not self._result.done():
            self._result.cancel()

    async def wait(self, wait_seconds: float) -> Callback:
        assert self._result is not None, "use the listener in `async with`"
        try:
            return await asyncio.wait_for(asyncio.shield(self._result), wait_seconds)
        except TimeoutError:
            raise AuthorizationTimeoutError(
                f"no answer from GoTo reached {self.redirect_uri} within {wait_seconds:.0f} s: "
                "open the URL in a browser on this machine and sign in as an organization admin"
            ) from None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            status, page = self._answer(await _read_target(reader))
            _respond(writer, status, page)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def _answer(self, target: str) -> tuple[int, str]:
        parts = urlsplit(target)
        if parts.path != self.callback_path:
            return 404, "Not found."
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        state = query.get("state", "")
        if not secrets.compare_digest(state.encode(), self._expected_state.encode()):
            log.warning("ignored a callback on the loopback listener whose state does not match")
            return 400, "This answer does not belong to the pending authorization; it was ignored."
        assert self._result is not None
        if self._result.done():
            return 400, "This authorization was already answered."
        if "error" in query:
            described = query.get("error_description")
            reason = query["error"] + (f": {described}" if described else "")
            self._result.set_exception(AuthorizationDeniedError(f"GoTo did not authorize the app ({reason})"))
            return 200, f"GoTo did not authorize the app ({reason}). You can close this window."
        code = query.get("code")
        if not code:
            return 400, "The answer carries no authorization code."
        self._result.set_result(Callback(code))
        return 200, "GoTo answered. Return to the terminal; you can close this window."


async def _read_target(reader: asyncio.StreamReader) -> str:
    """The request target of a GET; headers are read (and dropped) so the browser sees a clean answer."""
    head = await reader.readuntil(b"\r\n\r\n")
    if len(head) > _MAX_HEADER_BYTES:
        raise ValueError("request head too large")
    method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
    if method != "GET":
        raise ValueError("only GET is served")
    return target


def _respond(writer: asyncio.StreamWriter, status: int, message: str) -> None:
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}[status]
    body = (
        f"<!doctype html><meta charset=utf-8><title>GoTo authorization</title><p>{html.escape(message)}</p>"
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
    )
    writer.write(head.encode("latin-1") + body)
