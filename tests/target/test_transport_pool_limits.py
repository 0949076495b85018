"""Concurrent requests through AsyncioTransport respect httpx.Limits as httpx's pool does: never more
connections open than `max_connections`, every request answered (the others wait their turn);
concurrent requests get connections of their own, and sequential ones keep reusing the first (no
connection opened for nothing)."""

from __future__ import annotations

import asyncio

import httpx

from provisioning.target.transport import AsyncioTransport


class Peer:
    """Answers each request after `delay`, counting the connections open at once."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.open = 0
        self.most_open = 0
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open += 1
        self.connections += 1
        self.most_open = max(self.most_open, self.open)
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                await asyncio.sleep(self.delay)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
        finally:
            self.open -= 1


async def test_never_more_connections_than_the_limit() -> None:
    peer = Peer(delay=0.02)
    server = await asyncio.start_server(peer.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = AsyncioTransport(limits=httpx.Limits(max_connections=3))
    async with server, httpx.AsyncClient(transport=transport) as client:
        answers = await asyncio.gather(*(client.get(f"http://127.0.0.1:{port}/{i}") for i in range(12)))
    assert [a.text for a in answers] == ["ok"] * 12
    assert peer.most_open == 3
    assert peer.connections == 3  # kept alive and reused, none reopened


async def test_concurrent_requests_spread_and_sequential_ones_reuse() -> None:
    peer = Peer(delay=0.05)
    server = await asyncio.start_server(peer.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = AsyncioTransport(limits=httpx.Limits(max_connections=8))
    async with server, httpx.AsyncClient(transport=transport) as client:
        for _ in range(5):
            await client.get(f"http://127.0.0.1:{port}/")
        assert peer.connections == 1
        started = asyncio.get_running_loop().time()
        await asyncio.gather(*(client.get(f"http://127.0.0.1:{port}/") for _ in range(4)))
        elapsed = asyncio.get_running_loop().time() - started
    assert peer.connections == 4  # the kept-alive one and three new
    assert elapsed < 0.15  # in parallel, not queued behind one connection (4 x 0.05 s)
