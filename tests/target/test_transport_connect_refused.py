"""Nothing listening on the port: AsyncioTransport raises httpx.ConnectError, as httpx's own transport
does, so the throttle's retry treats it as a network error (retryable) exactly as before."""

from __future__ import annotations

import socket

import httpx
import pytest

from provisioning.target.throttle import RETRYABLE_EXCEPTIONS
from provisioning.target.transport import AsyncioTransport


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("make", [AsyncioTransport, httpx.AsyncHTTPTransport], ids=["ours", "httpx"])
async def test_connection_refused_is_connect_error(make: type[httpx.AsyncBaseTransport]) -> None:
    port = _closed_port()
    async with httpx.AsyncClient(transport=make()) as client:
        with pytest.raises(httpx.ConnectError) as raised:
            await client.get(f"http://127.0.0.1:{port}/scim/v2/Users")
    assert isinstance(raised.value, RETRYABLE_EXCEPTIONS)
    assert raised.value.request.url.path == "/scim/v2/Users"
