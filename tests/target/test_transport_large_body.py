"""Large bodies both ways through AsyncioTransport: a 32 MiB answer streamed to a slow reader arrives
whole and in order (the socket is paused while the reader lags, so the buffer stays bounded), and a
16 MiB upload reaches the server whole."""

from __future__ import annotations

import asyncio
import hashlib

import httpx

from provisioning.target import transport as transport_module
from provisioning.target.transport import AsyncioTransport

ANSWER = bytes(range(256)) * (128 * 1024)  # 32 MiB, position-dependent so reordering would show
UPLOAD = hashlib.sha256(b"seed").digest() * (512 * 1024)  # 16 MiB


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = await reader.readexactly(length)
            if length:
                digest = hashlib.sha256(body).hexdigest().encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(digest), digest))
            else:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(ANSWER))
                writer.write(ANSWER)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


async def test_large_answer_streamed_to_a_slow_reader() -> None:
    server = await asyncio.start_server(_handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    largest_buffer = 0
    original = transport_module._Connection.data_received

    def watched(self: transport_module._Connection, data: bytes) -> None:
        nonlocal largest_buffer
        original(self, data)
        largest_buffer = max(largest_buffer, len(self.buffer))

    transport_module._Connection.data_received = watched  # type: ignore[method-assign]
    try:
        async with server, httpx.AsyncClient(transport=AsyncioTransport()) as client:
            digest = hashlib.sha256()
            size = 0
            async with client.stream("GET", f"http://127.0.0.1:{port}/") as response:
                async for chunk in response.aiter_raw():
                    digest.update(chunk)
                    size += len(chunk)
                    if size < 4 * 1024 * 1024:
                        await asyncio.sleep(0.001)  # a slow reader at first: the socket must pause
            again = await client.get(f"http://127.0.0.1:{port}/")  # the connection is still good
    finally:
        transport_module._Connection.data_received = original  # type: ignore[method-assign]
    assert size == len(ANSWER)
    assert digest.hexdigest() == hashlib.sha256(ANSWER).hexdigest()
    assert again.content == ANSWER
    # bounded by the high-water mark plus what one event-loop read brings (256 KiB)
    assert largest_buffer <= transport_module.READ_HIGH_WATER + 256 * 1024, largest_buffer


async def test_large_upload() -> None:
    server = await asyncio.start_server(_handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, httpx.AsyncClient(transport=AsyncioTransport()) as client:
        response = await client.post(f"http://127.0.0.1:{port}/", content=UPLOAD)
    assert response.text == hashlib.sha256(UPLOAD).hexdigest()
