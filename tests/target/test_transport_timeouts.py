"""Each of httpx's timeouts, hit against a real loopback peer, raises the same httpx class through
AsyncioTransport as through httpx's own transport (the throttle retries them as TimeoutException):
connect (a listener whose backlog is full drops the SYN), read (a server that never answers), write
(a server that never reads a large body), pool (the only connection is busy), and a TLS handshake
never answered (a connect timeout, as httpcore counts the handshake as connecting)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from provisioning.target.transport import AsyncioTransport

TRANSPORTS = pytest.mark.parametrize(
    "make", [AsyncioTransport, httpx.AsyncHTTPTransport], ids=["ours", "httpx"]
)


@pytest.fixture
def full_backlog() -> Iterator[int]:
    """A port whose listener accepts nothing more: Linux drops further SYNs, so connect() hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = int(listener.getsockname()[1])
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    yield port
    for sock in [*fillers, listener]:
        sock.close()


@TRANSPORTS
async def test_connect_timeout(make: type[httpx.AsyncBaseTransport], full_backlog: int) -> None:
    timeout = httpx.Timeout(5.0, connect=0.2)
    async with httpx.AsyncClient(transport=make(), timeout=timeout) as client:
        started = time.monotonic()
        with pytest.raises(httpx.ConnectTimeout):
            await client.get(f"http://127.0.0.1:{full_backlog}/")
    assert time.monotonic() - started < 2.0


@TRANSPORTS
async def test_read_timeout(make: type[httpx.AsyncBaseTransport]) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await reader.read()  # never answers; returns when the client gives up and closes
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    timeout = httpx.Timeout(5.0, read=0.2)
    async with server, httpx.AsyncClient(transport=make(), timeout=timeout) as client:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            await client.get(f"http://127.0.0.1:{port}/")
        assert 0.15 < time.monotonic() - started < 2.0


@TRANSPORTS
async def test_write_timeout(make: type[httpx.AsyncBaseTransport]) -> None:
    stop = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await stop.wait()  # reads nothing: the client's send buffer fills
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    timeout = httpx.Timeout(5.0, write=0.2)
    body = b"x" * (64 * 1024 * 1024)  # far more than both kernels' socket buffers
    async with server, httpx.AsyncClient(transport=make(), timeout=timeout) as client:
        with pytest.raises(httpx.WriteTimeout):
            await client.post(f"http://127.0.0.1:{port}/", content=body)
        stop.set()


@TRANSPORTS
async def test_pool_timeout(make: type[httpx.AsyncBaseTransport]) -> None:
    release = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await release.wait()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = make(limits=httpx.Limits(max_connections=1))  # type: ignore[call-arg]
    timeout = httpx.Timeout(5.0, pool=0.2)
    async with server, httpx.AsyncClient(transport=transport, timeout=timeout) as client:
        busy = asyncio.create_task(client.get(f"http://127.0.0.1:{port}/"))
        await asyncio.sleep(0.05)
        with pytest.raises(httpx.PoolTimeout):
            await client.get(f"http://127.0.0.1:{port}/")
        release.set()
        assert (await busy).text == "ok"


@TRANSPORTS
async def test_tls_handshake_timeout_is_a_connect_timeout(make: type[httpx.AsyncBaseTransport]) -> None:
    """A peer that accepts TCP but never answers the ClientHello: the handshake counts as connecting."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # silent until the client gives up
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    timeout = httpx.Timeout(5.0, connect=0.2)
    async with server, httpx.AsyncClient(transport=make(), timeout=timeout) as client:
        started = time.monotonic()
        with pytest.raises(httpx.ConnectTimeout):
            await client.get(f"https://127.0.0.1:{port}/")
        assert time.monotonic() - started < 2.0
