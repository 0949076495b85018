"""A peer misbehaving mid-exchange raises the same httpx exception class through AsyncioTransport as
through httpx's own transport, so throttle.py's retry decisions do not change: a reset after the
request (ReadError), a close before any answer or halfway through a body (RemoteProtocolError), and
bytes that are not HTTP (RemoteProtocolError)."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Awaitable, Callable

import httpx
import pytest

from provisioning.target.throttle import RETRYABLE_EXCEPTIONS
from provisioning.target.transport import AsyncioTransport

Writer = asyncio.StreamWriter


def _reset(writer: Writer) -> None:
    sock: socket.socket = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close() sends RST
    writer.transport.abort()


async def reset_after_request(writer: Writer) -> None:
    _reset(writer)


async def close_before_answer(writer: Writer) -> None:
    writer.close()


async def close_mid_body(writer: Writer) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
    await writer.drain()
    writer.close()


async def not_http(writer: Writer) -> None:
    writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
    await writer.drain()
    writer.close()


CASES: list[tuple[Callable[[Writer], Awaitable[None]], type[httpx.TransportError]]] = [
    (reset_after_request, httpx.ReadError),
    (close_before_answer, httpx.RemoteProtocolError),
    (close_mid_body, httpx.RemoteProtocolError),
    (not_http, httpx.RemoteProtocolError),
]


@pytest.mark.parametrize(("misbehave", "expected"), CASES, ids=[c[0].__name__ for c in CASES])
@pytest.mark.parametrize("make", [AsyncioTransport, httpx.AsyncHTTPTransport], ids=["ours", "httpx"])
async def test_same_exception_as_httpx(
    make: type[httpx.AsyncBaseTransport],
    misbehave: Callable[[Writer], Awaitable[None]],
    expected: type[httpx.TransportError],
) -> None:
    async def handle(reader: asyncio.StreamReader, writer: Writer) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await misbehave(writer)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, httpx.AsyncClient(transport=make()) as client:
        with pytest.raises(httpx.TransportError) as raised:
            await client.get(f"http://127.0.0.1:{port}/")
    assert type(raised.value) is expected
    assert isinstance(raised.value, RETRYABLE_EXCEPTIONS)
