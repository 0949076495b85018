"""AsyncioTransport keeps a connection alive between requests, as httpx's own transport does: two
requests to a real loopback server arrive on one TCP connection, and the stream reports its
addresses the way httpcore's anyio backend does."""

from __future__ import annotations

import asyncio

import httpx

from provisioning.target.transport import AsyncioTransport


async def test_two_requests_share_one_connection() -> None:
    connections: list[tuple[str, int]] = []
    requests_seen = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal requests_seen
        connections.append(writer.get_extra_info("peername"))
        while not reader.at_eof():
            try:
                await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            requests_seen += 1
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, httpx.AsyncClient(transport=AsyncioTransport()) as client:
        first = await client.get(f"http://127.0.0.1:{port}/a")
        second = await client.get(f"http://127.0.0.1:{port}/b")
        stream = second.extensions["network_stream"]
        server_addr = stream.get_extra_info("server_addr")
        client_addr = stream.get_extra_info("client_addr")
        peer = stream.get_extra_info("socket").getpeername()
        ssl_object = stream.get_extra_info("ssl_object")

    assert (first.text, second.text) == ("ok", "ok")
    assert requests_seen == 2
    assert len(connections) == 1, connections
    assert server_addr == ("127.0.0.1", port)
    assert client_addr == connections[0]
    assert peer == ("127.0.0.1", port)
    assert ssl_object is None  # plain TCP
