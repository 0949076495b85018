"""A kept-alive connection idle for longer than httpx.Limits.keepalive_expiry is closed, not reused,
through AsyncioTransport as through httpx's own transport: the next request opens a new one, while
one sent within the expiry reuses it."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from provisioning.target.transport import AsyncioTransport


@pytest.mark.parametrize("make", [AsyncioTransport, httpx.AsyncHTTPTransport], ids=["ours", "httpx"])
async def test_an_expired_idle_connection_is_not_reused(make: type[AsyncioTransport]) -> None:
    connections = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = make(limits=httpx.Limits(keepalive_expiry=0.2))
    async with server, httpx.AsyncClient(transport=transport) as client:
        await client.get(f"http://127.0.0.1:{port}/")
        await client.get(f"http://127.0.0.1:{port}/")  # within the expiry
        assert connections == 1
        await asyncio.sleep(0.4)
        await client.get(f"http://127.0.0.1:{port}/")
    assert connections == 2
