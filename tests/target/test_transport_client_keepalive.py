"""The clients' transport (client_transport) keeps alive as many connections as the throttle keeps requests
in flight: two bursts of 32 concurrent requests use 32 connections, all still open afterwards, where
httpx's default limits (20 kept alive) close a dozen of them after each burst."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from provisioning.target.transport import AsyncioTransport, client_transport

IN_FLIGHT = 32


async def _two_bursts(transport: httpx.AsyncBaseTransport | None) -> tuple[int, int]:
    """(connections accepted, connections still open once both bursts are answered)."""
    connections = still_open = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections, still_open
        connections += 1
        still_open += 1
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                await asyncio.sleep(0.02)
                writer.write(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            still_open -= 1
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, httpx.AsyncClient(transport=transport) as client:
        for _ in range(2):
            await asyncio.gather(*(client.post(f"http://127.0.0.1:{port}/Users") for _ in range(IN_FLIGHT)))
        await asyncio.sleep(0.05)  # the server sees the closes the pool made
        return connections, still_open


async def test_every_connection_in_flight_is_kept_alive() -> None:
    transport = client_transport("http://127.0.0.1/scim/", max_in_flight=IN_FLIGHT)
    assert isinstance(transport, AsyncioTransport)
    assert await _two_bursts(transport) == (IN_FLIGHT, IN_FLIGHT)


async def test_httpx_defaults_close_connections() -> None:
    """The comparison the first test rests on: httpx's default pool keeps 20 of the 32."""
    accepted, still_open = await _two_bursts(None)
    assert accepted >= IN_FLIGHT
    assert still_open == 20


def test_a_proxied_environment_keeps_httpx_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert client_transport("http://127.0.0.1/scim/", "https://api.getgo.com/admin/", max_in_flight=4) is None
