"""HTTP/1.1 framing through AsyncioTransport (provisioning.target.http11) gives what httpx's own
transport (h11) gives, against a loopback peer sending exact bytes: the same status, reason,
headers, body and connection reuse for chunked bodies, bodies read until the peer closes,
bodyless answers (HEAD, 204, 304), interim 1xx answers, folded header lines, `Connection: close`
and HTTP/1.0; the same exception class for answers h11 refuses; and requests sent the same way
(chunked uploads, Host first), or refused the same way (a header value with a line break)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from provisioning.target.transport import AsyncioTransport

TRANSPORTS = pytest.mark.parametrize(
    "make", [AsyncioTransport, httpx.AsyncHTTPTransport], ids=["ours", "httpx"]
)


CLOSE = b"<close>"  # an answer ending with this is sent without it, then the peer closes


class Peer:
    """Answers the n-th request with the n-th of `answers` (raw bytes; ending with CLOSE: then the
    connection is closed). Records what arrived and on how many connections."""

    def __init__(self, answers: list[bytes]) -> None:
        self.answers = list(answers)
        self.connections = 0
        self.received: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while self.answers:
                head = await reader.readuntil(b"\r\n\r\n")
                body = b""
                lowered = head.lower()
                if b"content-length:" in lowered:
                    length = int(lowered.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
                    body = await reader.readexactly(length)
                elif b"transfer-encoding: chunked" in lowered:
                    body = await reader.readuntil(b"0\r\n\r\n")
                self.received.append(head + body)
                answer = self.answers.pop(0)
                writer.write(answer.removesuffix(CLOSE))
                await writer.drain()
                if answer.endswith(CLOSE):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


async def _exchange(
    make: type[httpx.AsyncBaseTransport], answers: list[bytes], method: str = "GET", requests: int = 2
) -> tuple[list[tuple[int, str, list[tuple[str, str]], bytes]], int]:
    """`requests` requests in a row; (status, reason, headers, body) of each, and connections used."""
    peer = Peer(answers)
    server = await asyncio.start_server(peer.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    seen = []
    async with server, httpx.AsyncClient(transport=make()) as client:
        for _ in range(requests):
            response = await client.request(method, f"http://127.0.0.1:{port}/x")
            seen.append(
                (
                    response.status_code,
                    response.reason_phrase,
                    list(response.headers.items()),
                    response.content,
                )
            )
    return seen, peer.connections


async def _both(answers: list[bytes], method: str = "GET", requests: int = 2) -> tuple[object, object]:
    ours = await _exchange(AsyncioTransport, list(answers), method, requests)
    theirs = await _exchange(httpx.AsyncHTTPTransport, list(answers), method, requests)
    return ours, theirs


CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
    b'4\r\n{"a"\r\n5;ext=1\r\n: 12}\r\n0\r\nX-Trailer: t\r\n\r\n'
)
PLAIN = b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}"

SAME_ANSWERS = {
    "chunked body, trailer, kept alive": ([CHUNKED, PLAIN], "GET", 2),
    "chunk sizes in upper-case hex": (
        [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n", PLAIN],
        "GET",
        2,
    ),
    "body until the peer closes": ([b"HTTP/1.1 200 OK\r\n\r\nall of it" + CLOSE, PLAIN], "GET", 2),
    "HEAD ignores Content-Length": ([b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n", PLAIN], "HEAD", 2),
    "204 and 304 have no body": (
        [b"HTTP/1.1 204 No Content\r\n\r\n", b"HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n"],
        "GET",
        2,
    ),
    "interim 100 skipped": ([b"HTTP/1.1 100 Continue\r\n\r\n" + PLAIN, PLAIN], "GET", 2),
    "folded header line, no reason, bare LF": (
        [b"HTTP/1.1 200\nX-Long: one\n  two\nContent-Length: 2\n\nok", PLAIN],
        "GET",
        2,
    ),
    "Connection: close answer reconnects": (
        [b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok" + CLOSE, PLAIN],
        "GET",
        2,
    ),
    "HTTP/1.0 answer reconnects": (
        [b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok" + CLOSE, PLAIN],
        "GET",
        2,
    ),
    "repeated equal Content-Length": (
        [b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok", PLAIN],
        "GET",
        2,
    ),
}


@pytest.mark.parametrize(("answers", "method", "requests"), SAME_ANSWERS.values(), ids=SAME_ANSWERS.keys())
async def test_same_answer_as_httpx(answers: list[bytes], method: str, requests: int) -> None:
    ours, theirs = await _both(answers, method, requests)
    assert ours == theirs


REFUSED = {
    "conflicting Content-Length": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
    "unknown Transfer-Encoding": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok",
    "bad chunk size": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n",
    "bad chunk footer": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX0\r\n\r\n",
    "header line without a colon": b"HTTP/1.1 200 OK\r\nbroken header\r\nContent-Length: 2\r\n\r\nok",
    "bad status line": b"HTTP/1.1 2000 OK\r\n\r\n",
    "chunked body cut short": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab" + CLOSE,
}


@pytest.mark.parametrize("answer", REFUSED.values(), ids=REFUSED.keys())
@TRANSPORTS
async def test_refused_answer_raises_as_httpx(make: type[httpx.AsyncBaseTransport], answer: bytes) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        await _exchange(make, [answer + CLOSE], requests=1)


async def _sent(make: type[httpx.AsyncBaseTransport], **request: object) -> bytes:
    """What the peer received, its port (in the Host header) spelled PORT."""
    peer = Peer([PLAIN])
    server = await asyncio.start_server(peer.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, httpx.AsyncClient(transport=make()) as client:
        await client.post(f"http://127.0.0.1:{port}/scim/Users?x=1", **request)  # type: ignore[arg-type]
    return peer.received[0].replace(b":%d\r\n" % port, b":PORT\r\n")


async def _pieces() -> AsyncIterator[bytes]:
    for piece in (b"ab", b"", b"cde"):
        yield piece


async def test_requests_go_out_byte_for_byte_as_httpx_sends_them() -> None:
    for request in (
        {"content": b'{"userName": "a"}', "headers": {"Content-Type": "application/scim+json"}},
        {"content": _pieces},
    ):
        made = [
            await _sent(make, **{k: (v() if callable(v) else v) for k, v in request.items()})
            for make in (AsyncioTransport, httpx.AsyncHTTPTransport)
        ]
        assert made[0] == made[1]
        assert made[0].startswith(b"POST /scim/Users?x=1 HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\n")


@TRANSPORTS
async def test_a_header_value_with_a_line_break_is_refused(make: type[httpx.AsyncBaseTransport]) -> None:
    peer = Peer([PLAIN])
    server = await asyncio.start_server(peer.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, httpx.AsyncClient(transport=make()) as client:
        with pytest.raises(httpx.LocalProtocolError):
            await client.get(f"http://127.0.0.1:{port}/", headers={"X-Bad": "one\r\nInjected: two"})
    assert peer.received == []  # nothing of it went out
