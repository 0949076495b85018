"""A server that closes a kept-alive connection while it sits idle in the pool (GoTo's front end does
so after its own idle timeout): the next request goes out on a new connection without an error.
The pool learns the connection is dead from the stream's `is_readable`, which AsyncioTransport
answers from what the event loop already saw (EOF) instead of a poll syscall."""

from __future__ import annotations

import asyncio

import httpx

from provisioning.target.transport import AsyncioTransport


async def test_the_request_after_an_idle_close_reconnects() -> None:
    connections = 0
    closed = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        # keep-alive promised (no Connection: close), then the server drops the idle connection
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        closed.set()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, httpx.AsyncClient(transport=AsyncioTransport()) as client:
        first = await client.get(f"http://127.0.0.1:{port}/")
        stream = first.extensions["network_stream"]
        await closed.wait()
        for _ in range(100):  # the FIN reaches the client's event loop within a few iterations
            if stream.get_extra_info("is_readable"):
                break
            await asyncio.sleep(0.005)
        assert stream.get_extra_info("is_readable") is True
        closed.clear()
        second = await client.get(f"http://127.0.0.1:{port}/")

    assert (first.status_code, second.status_code) == (200, 200)
    assert connections == 2


async def test_an_open_idle_connection_is_not_readable() -> None:
    """The other half of `is_readable`: a live idle connection says False, so the pool keeps it."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        await reader.read()  # until the client closes
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, httpx.AsyncClient(transport=AsyncioTransport()) as client:
        response = await client.get(f"http://127.0.0.1:{port}/")
        await asyncio.sleep(0.05)
        assert response.extensions["network_stream"].get_extra_info("is_readable") is False
