"""ServiceProviderConfig is read once per client, before the first write: GoTo documents the
plural `/ServiceProviderConfigs`, RFC 7644 the singular; a peer with neither is assumed to take PATCH."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from provisioning.errors import UnauthorizedError
from provisioning.target import ScimClient, ScimDialect, build_user
from tests.target.conftest import Peer, fast_throttle, record_wire

SPC = ("ServiceProviderConfigs", "ServiceProviderConfig")


async def test_discover_reads_the_peers_config(default_peer: Peer) -> None:
    capabilities = await default_peer.client.discover()
    assert capabilities.discovered and capabilities.patch is True
    # GoTo's plural where the peer has it (the simulator), else the RFC's singular
    assert capabilities.config_path == (
        "ServiceProviderConfigs" if default_peer.sim else "ServiceProviderConfig"
    )


async def test_config_is_read_once_before_the_first_write(default_peer: Peer) -> None:
    peer = default_peer
    wire = record_wire(peer.http)
    users = await asyncio.gather(
        *(peer.client.create_user(build_user({"userName": f"u{i}@contoso.com"})) for i in range(3))
    )
    await peer.client.update_user_values(str(users[0]["id"]), {"displayName": "U"})
    config_reads = [(m, p) for m, p, _ in wire.calls if p.rsplit("/", 1)[-1] in SPC]
    first_write = next(i for i, (m, _, _) in enumerate(wire.calls) if m != "GET")
    assert 1 <= len(config_reads) <= 2  # the plural, then (404) the singular
    assert all(i < first_write for i, (m, p, _) in enumerate(wire.calls) if p.rsplit("/", 1)[-1] in SPC)


async def test_a_peer_without_the_endpoint_is_assumed_to_take_patch() -> None:
    """A MockTransport stands in for a peer with no ServiceProviderConfig at all (none of ours lacks it)."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        if request.url.path.endswith(SPC):
            return httpx.Response(404, json={"detail": "no such endpoint"})
        return httpx.Response(204)

    async with httpx.AsyncClient(
        transport=httpx.MockTransport(handler), base_url="https://peer/scim"
    ) as http:
        client = ScimClient(http, dialect=ScimDialect.goto(), throttle=fast_throttle())
        await client.update_user_values("u1", {"active": False})
    assert client.capabilities.discovered and client.capabilities.patch is True
    assert client.capabilities.config_path is None
    assert seen == [
        "GET /scim/ServiceProviderConfigs",
        "GET /scim/ServiceProviderConfig",
        "PATCH /scim/Users/u1",
    ]


async def test_discovery_reports_bad_credentials(default_peer: Peer) -> None:
    default_peer.http.headers["Authorization"] = "Bearer not-the-token"
    with pytest.raises(UnauthorizedError):
        await default_peer.client.discover()
    assert not default_peer.client.capabilities.discovered
