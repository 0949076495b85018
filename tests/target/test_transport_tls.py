"""HTTPS through AsyncioTransport against a loopback server with a self-signed certificate (valid
for 127.0.0.1 and localhost): trusted, the request succeeds and the stream exposes the TLS object
(httpcore asks it for ALPN); a name the certificate does not carry, or no trust in it at all, fails
the handshake as httpx.ConnectError, as with httpx's own transport."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from provisioning.target.transport import AsyncioTransport, default_ssl_context
from sandbox.keyvault.tls import LoopbackCertificate, make_loopback_certificate


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> LoopbackCertificate:
    return make_loopback_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
async def https_port(certificate: LoopbackCertificate) -> AsyncIterator[int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecure")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=certificate.server_context())
    async with server:
        yield server.sockets[0].getsockname()[1]


def _trusting(certificate: LoopbackCertificate) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(Path(certificate.cert_file)))


async def test_trusted_certificate(certificate: LoopbackCertificate, https_port: int) -> None:
    transport = AsyncioTransport(verify=_trusting(certificate))
    async with httpx.AsyncClient(transport=transport) as client:
        first = await client.get(f"https://127.0.0.1:{https_port}/")
        second = await client.get(f"https://127.0.0.1:{https_port}/")
        ssl_object = second.extensions["network_stream"].get_extra_info("ssl_object")
    assert (first.text, second.text) == ("secure", "secure")
    assert isinstance(ssl_object, ssl.SSLObject)
    assert ssl_object.version() in ("TLSv1.2", "TLSv1.3")


@pytest.mark.parametrize("make", [AsyncioTransport, httpx.AsyncHTTPTransport], ids=["ours", "httpx"])
async def test_wrong_server_name_fails_verification(
    make: type[AsyncioTransport], certificate: LoopbackCertificate, https_port: int
) -> None:
    async with httpx.AsyncClient(transport=make(verify=_trusting(certificate))) as client:
        with pytest.raises(httpx.ConnectError, match="certificate verify failed"):
            await client.get(
                f"https://127.0.0.1:{https_port}/", extensions={"sni_hostname": "goto.example.com"}
            )


async def test_untrusted_certificate_fails(https_port: int) -> None:
    async with httpx.AsyncClient(transport=AsyncioTransport()) as client:  # the default CA bundle
        with pytest.raises(httpx.ConnectError, match=r"certificate verify failed"):
            await client.get(f"https://localhost:{https_port}/")


async def test_the_default_context_is_made_once_and_still_verifies(https_port: int) -> None:
    """The CA bundle is loaded once per process (45 ms CPU per client before): every default
    transport shares one verifying context."""
    first, second = AsyncioTransport(), AsyncioTransport()
    assert first._ssl_context is second._ssl_context is default_ssl_context()
    assert first._ssl_context.verify_mode is ssl.CERT_REQUIRED and first._ssl_context.check_hostname
    async with httpx.AsyncClient(transport=second) as client:
        with pytest.raises(httpx.ConnectError, match=r"certificate verify failed"):
            await client.get(f"https://127.0.0.1:{https_port}/")
