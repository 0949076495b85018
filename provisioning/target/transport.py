"""An httpx transport for GoTo whose network layer is plain asyncio, for the CPU it saves per request.

httpx's default transport goes through httpcore's anyio backend. Its pool asks every pooled connection
`has_expired()` each time a request is added or removed, and anyio answers the `is_readable` part of
that with a `poll` syscall, a `getpeername` and a fresh dict of attribute lambdas: half of the
product's CPU per created user in the issue-15 profile. Here the network stream is an asyncio
protocol that already knows whether the peer sent bytes or closed (the event loop told it), so
`is_readable` is an attribute read. The connection pool, HTTP/1.1 and TLS settings stay httpcore's
and httpx's; only the bytes move differently.

The stream raises httpcore's exceptions where the anyio backend raises them (connect: ConnectError /
ConnectTimeout; TLS handshake: the same; read: ReadError / ReadTimeout; write: WriteError /
WriteTimeout), and the transport maps them to httpx's as httpx's own transport does, so the retry code
in throttle.py sees the same classes.

Several small pools instead of one (`pools`): httpcore's pool also rescans all its connections once
per idle connection on each of those events (quadratic in the pool's size), so requests are spread
over pools of a few connections each, to the least busy one.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import ssl
import urllib.request
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from typing import Any

import httpcore
import httpx

SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]

# A reader that has not taken what arrived stops the socket being read past this (asyncio's own
# streams pause at 64 KiB x 2); it resumes once the buffer is down to a quarter.
READ_HIGH_WATER = 256 * 1024
READ_LOW_WATER = READ_HIGH_WATER // 4
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)  # httpx's own default


class _Connection(asyncio.Protocol):
    """What the event loop reported on one connection: bytes not yet read, EOF, the error it ended
    with, and whether writing must wait for the peer."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.eof = False
        self.error: BaseException | None = None
        self._readable: asyncio.Future[None] | None = None
        self._writable: asyncio.Future[None] | None = None
        self._reading_paused = False
        self._writing_paused = False

    # --- the event loop's side
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._wake_reader()
        if len(self.buffer) > READ_HIGH_WATER and not self._reading_paused and self.transport is not None:
            self._reading_paused = True
            self.transport.pause_reading()

    def eof_received(self) -> bool | None:
        self.eof = True
        self._wake_reader()
        return None  # the transport closes itself: nothing more is read, and a write fails as WriteError

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        if exc is not None and self.error is None:
            self.error = exc
        self._wake_reader()
        self.resume_writing()  # a writer waiting finds the error

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        waiter, self._writable = self._writable, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _wake_reader(self) -> None:
        waiter, self._readable = self._readable, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # --- the stream's side
    @property
    def readable(self) -> bool:
        """What poll(POLLIN) would say of the socket: a read would not wait (bytes, EOF or an error)."""
        return bool(self.buffer) or self.eof

    async def wait_readable(self) -> None:
        self._readable = asyncio.get_running_loop().create_future()
        await self._readable

    def take(self, max_bytes: int) -> bytes:
        if len(self.buffer) <= max_bytes:  # the usual case: a whole answer arrived in one piece
            data = bytes(self.buffer)
            self.buffer.clear()
        else:
            data = bytes(self.buffer[:max_bytes])
            del self.buffer[:max_bytes]
        if self._reading_paused and len(self.buffer) <= READ_LOW_WATER and self.transport is not None:
            self._reading_paused = False
            self.transport.resume_reading()
        return data

    async def wait_writable(self) -> None:
        """Returns once the transport's write buffer is below its high-water mark, or the connection
        ended (the caller checks `error`)."""
        while self._writing_paused and self.error is None:
            self._writable = asyncio.get_running_loop().create_future()
            await self._writable


def _timed_out(seconds: float | None, raises: type[Exception], exc: TimeoutError) -> Exception:
    return raises(f"timed out after {seconds:g} s" if seconds is not None else str(exc))


_TRANSPORT_INFO = {"ssl_object": "ssl_object", "client_addr": "sockname", "server_addr": "peername"}


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One TCP (or TLS) connection for httpcore, read and written through the asyncio protocol."""

    def __init__(self, connection: _Connection) -> None:
        self._connection = connection

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        connection = self._connection
        if not connection.readable:
            try:
                async with asyncio.timeout(timeout):
                    while not connection.readable:
                        await connection.wait_readable()
            except TimeoutError as exc:
                raise _timed_out(timeout, httpcore.ReadTimeout, exc) from exc
        if connection.buffer:
            return connection.take(max_bytes)
        if connection.error is not None:
            raise httpcore.ReadError(str(connection.error) or type(connection.error).__name__)
        return b""  # the peer closed: httpcore decides what that means

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        if not buffer:
            return
        connection = self._connection
        transport = connection.transport
        if transport is None or transport.is_closing() or connection.error is not None:
            raise httpcore.WriteError(str(connection.error or "the connection is closed"))
        transport.write(buffer)
        try:
            async with asyncio.timeout(timeout):
                await connection.wait_writable()
        except TimeoutError as exc:
            raise _timed_out(timeout, httpcore.WriteTimeout, exc) from exc
        if connection.error is not None:
            raise httpcore.WriteError(str(connection.error) or type(connection.error).__name__)

    async def aclose(self) -> None:
        if self._connection.transport is not None:
            self._connection.transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
    ) -> httpcore.AsyncNetworkStream:
        connection = self._connection
        assert connection.transport is not None
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                tls = await loop.start_tls(
                    connection.transport, connection, ssl_context, server_hostname=server_hostname
                )
        except TimeoutError as exc:
            await self.aclose()
            raise _timed_out(timeout, httpcore.ConnectTimeout, exc) from exc
        except (ssl.SSLError, OSError) as exc:
            await self.aclose()
            raise httpcore.ConnectError(str(exc)) from exc
        except BaseException:
            await self.aclose()
            raise
        if tls is None:  # pragma: no cover - asyncio returns None only for a closed loop
            await self.aclose()
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        assert isinstance(tls, asyncio.Transport)
        connection.transport = tls
        return AsyncioStream(connection)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return self._connection.readable
        transport = self._connection.transport
        key = _TRANSPORT_INFO.get(info, "socket" if info == "socket" else None)
        return None if transport is None or key is None else transport.get_extra_info(key)


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend on the running asyncio loop, without anyio in between."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = None if local_address is None else (local_address, 0)
        try:
            async with asyncio.timeout(timeout):
                transport, connection = await loop.create_connection(
                    _Connection, host, port, local_addr=local
                )
        except TimeoutError as exc:  # also the kernel's ETIMEDOUT, as anyio's backend maps it
            raise _timed_out(timeout, httpcore.ConnectTimeout, exc) from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        _apply_socket_options(transport, socket_options)
        return AsyncioStream(connection)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport, connection = await loop.create_unix_connection(_Connection, path)
        except TimeoutError as exc:
            raise _timed_out(timeout, httpcore.ConnectTimeout, exc) from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        _apply_socket_options(transport, socket_options)
        return AsyncioStream(connection)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def _apply_socket_options(transport: asyncio.BaseTransport, options: Iterable[SocketOption] | None) -> None:
    sock: socket.socket | None = transport.get_extra_info("socket")
    for option in options or ():
        if sock is not None:
            sock.setsockopt(*option)


# httpcore's exceptions as httpx's own transport maps them (httpx/_transports/default.py); the most
# specific class wins, found by walking the raised class's MRO.
_HTTPX_EXCEPTIONS: dict[type[Exception], type[httpx.TransportError]] = {
    httpcore.ConnectTimeout: httpx.ConnectTimeout,
    httpcore.ReadTimeout: httpx.ReadTimeout,
    httpcore.WriteTimeout: httpx.WriteTimeout,
    httpcore.PoolTimeout: httpx.PoolTimeout,
    httpcore.TimeoutException: httpx.TimeoutException,
    httpcore.ConnectError: httpx.ConnectError,
    httpcore.ReadError: httpx.ReadError,
    httpcore.WriteError: httpx.WriteError,
    httpcore.NetworkError: httpx.NetworkError,
    httpcore.ProxyError: httpx.ProxyError,
    httpcore.UnsupportedProtocol: httpx.UnsupportedProtocol,
    httpcore.LocalProtocolError: httpx.LocalProtocolError,
    httpcore.RemoteProtocolError: httpx.RemoteProtocolError,
    httpcore.ProtocolError: httpx.ProtocolError,
}


@contextlib.contextmanager
def _httpx_exceptions() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for cls in type(exc).__mro__:
            mapped = _HTTPX_EXCEPTIONS.get(cls)
            if mapped is not None:
                raise mapped(str(exc)) from exc
        raise


class _ResponseStream(httpx.AsyncByteStream):
    """httpcore's response body for httpx: its errors mapped, and the pool's busy count released once
    httpx closes it (read to the end, or given up)."""

    def __init__(self, stream: AsyncIterable[bytes], release: Callable[[], None]) -> None:
        self._stream = stream
        self._release = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _httpx_exceptions():
            async for part in self._stream:
                yield part

    async def aclose(self) -> None:
        try:
            aclose = getattr(self._stream, "aclose", None)
            if aclose is not None:
                with _httpx_exceptions():
                    await aclose()
        finally:
            self._release()


class AsyncioTransport(httpx.AsyncBaseTransport):
    """`httpx.AsyncHTTPTransport(verify=, limits=, retries=, local_address=, socket_options=)` without a
    proxy: the same httpcore pool settings and the same exceptions, on `AsyncioBackend`, with
    `limits.max_connections` spread over `pools` pools (each gets its share of the connections and of
    the keep-alive allowance; a request goes to the pool with the fewest requests in progress)."""

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | str | bool = True,
        limits: httpx.Limits = DEFAULT_LIMITS,
        retries: int = 0,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
        pools: int = 1,
    ) -> None:
        if pools < 1:
            raise ValueError(f"pools must be at least 1, not {pools}")
        context = httpx.create_ssl_context(verify=verify)
        backend = AsyncioBackend()
        count = pools if limits.max_connections is None else max(1, min(pools, limits.max_connections))
        per_pool = None if limits.max_connections is None else math.ceil(limits.max_connections / count)
        keepalive = limits.max_keepalive_connections
        per_pool_keepalive = None if keepalive is None else max(1, math.ceil(keepalive / count))
        self._pools = [
            httpcore.AsyncConnectionPool(
                ssl_context=context,
                max_connections=per_pool,
                max_keepalive_connections=per_pool_keepalive,
                keepalive_expiry=limits.keepalive_expiry,
                retries=retries,
                local_address=local_address,
                socket_options=socket_options,
                network_backend=backend,
            )
            for _ in range(count)
        ]
        self._busy = [0] * count

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        index = self._busy.index(min(self._busy))
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        self._busy[index] += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._busy[index] -= 1

        try:
            with _httpx_exceptions():
                response = await self._pools[index].handle_async_request(core_request)
        except BaseException:
            release()
            raise
        assert isinstance(response.stream, AsyncIterable)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream, release),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        with _httpx_exceptions():
            for pool in self._pools:
                await pool.aclose()


def proxied_by_environment(url: str) -> bool:
    """True when HTTP(S)_PROXY/ALL_PROXY (and NO_PROXY) send `url` through a proxy: httpx honours those
    only with its default transport, so a client for such a URL keeps it."""
    parsed = httpx.URL(url)
    proxies = urllib.request.getproxies()
    if not (proxies.get(parsed.scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(parsed.host)


CONNECTIONS_PER_POOL = 4  # past a handful, httpcore's per-event rescan of its pool shows in the profile


def goto_transport(*urls: str, max_in_flight: int) -> AsyncioTransport | None:
    """The transport for GoTo's client: keep-alive for as many connections as the throttle keeps
    requests in flight (httpx's default keeps 20, so at a cap of 32 connections were closed and
    reopened), over pools of CONNECTIONS_PER_POOL. None (httpx's default transport) when the
    environment sends one of `urls` through a proxy."""
    if any(proxied_by_environment(url) for url in urls if url):
        return None
    keepalive = max(DEFAULT_LIMITS.max_keepalive_connections or 0, max_in_flight)
    limits = httpx.Limits(
        max_connections=max(DEFAULT_LIMITS.max_connections or 0, max_in_flight),
        max_keepalive_connections=keepalive,
        keepalive_expiry=DEFAULT_LIMITS.keepalive_expiry,
    )
    return AsyncioTransport(limits=limits, pools=math.ceil(keepalive / CONNECTIONS_PER_POOL))
