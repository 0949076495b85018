"""An httpx transport for GoTo on plain asyncio, for the CPU it saves per request.

httpx's default transport goes through httpcore's anyio backend, httpcore's pool and h11. The first
cost half of the product's CPU per created user in the issue-15 profile (a `poll` syscall and more
for every pooled connection's `is_readable`, on every request added or removed); httpcore's pool,
its anyio locks and h11's per-event objects then cost more than the rest of a GoTo request. Here the
network stream is an asyncio protocol that already knows whether the peer sent bytes or closed (the
event loop told it), HTTP/1.1 is provisioning.target.http11 (h11's rules and messages, without its
event objects), and the pool is httpcore's rules without its rescans: httpx.Limits as httpcore reads
them (max_keepalive_connections capped by max_connections), keep-alive expiry, a connection the
peer closed or wrote to while idle is closed before reuse, requests wait for a connection first
come first served (PoolTimeout after the pool timeout), connect retries with httpcore's backoff, and
a request whose body the peer stopped taking still reads an early answer.

Exceptions are httpx's, raised where httpx's own transport raises them (connect: ConnectError /
ConnectTimeout, the TLS handshake counting as connecting; read: ReadError / ReadTimeout; write:
WriteError / WriteTimeout; a peer closing early or sending what is not HTTP: RemoteProtocolError; a
request that is not valid HTTP/1.1: LocalProtocolError), so the retry code in throttle.py sees the
same classes. No proxy (client_transport keeps httpx's transport then) and no HTTP/2, as before.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import itertools
import socket
import ssl
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import httpcore
import httpx

from provisioning.target import http11

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
        self.resume_if_drained()
        return data

    def resume_if_drained(self) -> None:
        """Read the socket again once the reader took the buffer down to the low-water mark."""
        if self._reading_paused and len(self.buffer) <= READ_LOW_WATER and self.transport is not None:
            self._reading_paused = False
            self.transport.resume_reading()

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
# specific class wins, found by walking the raised class's MRO. Only connecting goes through
# httpcore's classes now (AsyncioBackend, AsyncioStream.start_tls).
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


def _expire(waiter: asyncio.Future[Any], error: type[httpx.TimeoutException], seconds: float) -> None:
    if not waiter.done():
        waiter.set_exception(error(f"timed out after {seconds:g} s"))


async def _wait(
    waiter: asyncio.Future[Any], seconds: float | None, error: type[httpx.TimeoutException]
) -> Any:
    """`await waiter`, failed with `error` after `seconds` (a timer handle: cheaper than
    asyncio.timeout's context on every read)."""
    if seconds is None:
        return await waiter
    handle = asyncio.get_running_loop().call_later(seconds, _expire, waiter, error, seconds)
    try:
        return await waiter
    finally:
        handle.cancel()


Origin = tuple[bytes, bytes, int]  # scheme, host, port
_DEFAULT_PORTS = {b"http": 80, b"https": 443, b"ws": 80, b"wss": 443}
_NEW, _ACTIVE, _IDLE, _CLOSED = "new", "active", "idle", "closed"
_BACKOFF_FACTOR = 0.5  # httpcore's connect retries wait 0 s, 0.5 s, 1 s, 2 s, ...


class _Http11Connection:
    """One connection of the pool: one origin, one request at a time (httpcore's states: NEW until
    connected and used, ACTIVE while a request is on it, IDLE when kept alive, CLOSED)."""

    __slots__ = ("expire_at", "origin", "protocol", "state", "stream")

    def __init__(self, origin: Origin) -> None:
        self.origin = origin
        self.protocol: _Connection | None = None
        self.stream: AsyncioStream | None = None
        self.state = _NEW
        self.expire_at: float | None = None

    def expired(self, now: float) -> bool:
        """An idle connection past its keep-alive, or one the peer closed or wrote to meanwhile."""
        if self.expire_at is not None and now > self.expire_at:
            return True
        protocol = self.protocol
        return protocol is not None and (bool(protocol.buffer) or protocol.eof)

    def close(self) -> None:
        self.state = _CLOSED
        protocol = self.protocol
        if protocol is not None and protocol.transport is not None:
            protocol.transport.close()


class _Body(httpx.AsyncByteStream):
    """A response body read off its connection as httpx asks for it; closing it gives the connection
    back to the pool (kept alive when the exchange finished cleanly and both sides allow it)."""

    def __init__(
        self, pool: AsyncioTransport, connection: _Http11Connection, head: http11.ResponseHead, reusable: bool
    ) -> None:
        self._pool = pool
        self._connection = connection
        self._head = head
        self._reusable = reusable and head.keep_alive
        self._complete = head.length == 0
        self._closed = False
        self._read_timeout: float | None = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._complete:
            return
        protocol = self._connection.protocol
        assert protocol is not None
        buffer = protocol.buffer
        length = self._head.length
        try:
            if length is not None and length > 0:
                remaining = length
                while remaining:
                    if buffer:
                        data = protocol.take(remaining)
                        remaining -= len(data)
                        yield data
                    elif protocol.eof:
                        _raise_read_error(protocol)
                        raise httpx.RemoteProtocolError(
                            "peer closed connection without sending complete message body "
                            f"(received {length - remaining} bytes, expected {length})"
                        )
                    else:
                        await _read_more(protocol, self._read_timeout)
            elif length is None:
                reader = http11.ChunkedReader()
                while not reader.done:
                    piece = reader.take(buffer)
                    protocol.resume_if_drained()
                    if piece:
                        yield piece
                    elif piece is None:
                        if protocol.eof:
                            _raise_read_error(protocol)
                            raise httpx.RemoteProtocolError(
                                "peer closed connection without sending complete message body "
                                "(incomplete chunked read)"
                            )
                        await _read_more(protocol, self._read_timeout)
            else:  # until the peer closes
                while True:
                    if buffer:
                        yield protocol.take(len(buffer))
                    elif protocol.eof:
                        _raise_read_error(protocol)
                        break
                    else:
                        await _read_more(protocol, self._read_timeout)
            self._complete = True
        except BaseException:
            self._reusable = False
            raise

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self._pool._release(self._connection, reusable=self._reusable and self._complete)


def _raise_read_error(protocol: _Connection) -> None:
    """At EOF with nothing buffered: the error the connection ended with, as a read would raise it."""
    if protocol.error is not None:
        raise httpx.ReadError(str(protocol.error) or type(protocol.error).__name__)


async def _read_more(protocol: _Connection, seconds: float | None) -> None:
    waiter = asyncio.get_running_loop().create_future()
    protocol._readable = waiter
    await _wait(waiter, seconds, httpx.ReadTimeout)


async def _write(protocol: _Connection, data: bytes, seconds: float | None) -> None:
    transport = protocol.transport
    if transport is None or transport.is_closing() or protocol.error is not None:
        raise httpx.WriteError(str(protocol.error or "the connection is closed"))
    transport.write(data)
    while protocol._writing_paused and protocol.error is None:
        waiter = asyncio.get_running_loop().create_future()
        protocol._writable = waiter
        await _wait(waiter, seconds, httpx.WriteTimeout)
    if protocol.error is not None:
        raise httpx.WriteError(str(protocol.error) or type(protocol.error).__name__)


def _client_context(verify: ssl.SSLContext | str | bool) -> ssl.SSLContext:
    context = httpx.create_ssl_context(verify=verify)
    context.set_alpn_protocols(["http/1.1"])  # as httpcore sets it without HTTP/2
    return context


@functools.cache
def default_ssl_context() -> ssl.SSLContext:
    """The verifying context, made once per process and shared by every transport (an SSLContext is
    made to be shared): loading the CA bundle took 45 ms CPU per client, 90 ms before every cycle's
    first request (Graph's and GoTo's), every cycle again in a warm Functions worker."""
    return _client_context(True)


class AsyncioTransport(httpx.AsyncBaseTransport):
    """`httpx.AsyncHTTPTransport(verify=, limits=, retries=, local_address=, socket_options=)` without a
    proxy and without HTTP/2: httpcore's pool rules (httpx.Limits, keep-alive expiry, requests queued
    first come first served, connect retries) and httpx's exceptions, on AsyncioBackend, speaking
    HTTP/1.1 through provisioning.target.http11."""

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | str | bool = True,
        limits: httpx.Limits = DEFAULT_LIMITS,
        retries: int = 0,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> None:
        self._ssl_context = default_ssl_context() if verify is True else _client_context(verify)
        self._backend = AsyncioBackend()
        self._max_connections = sys.maxsize if limits.max_connections is None else limits.max_connections
        keepalive = limits.max_keepalive_connections
        self._max_keepalive = min(self._max_connections, sys.maxsize if keepalive is None else keepalive)
        self._keepalive_expiry = limits.keepalive_expiry
        self._retries = retries
        self._local_address = local_address
        self._socket_options = socket_options
        self._connections: list[_Http11Connection] = []  # in the order they were opened
        self._waiters: collections.deque[tuple[Origin, asyncio.Future[_Http11Connection]]] = (
            collections.deque()
        )

    # --- the pool (httpcore's AsyncConnectionPool._assign_requests_to_connections, per request)
    def _clean_up(self) -> None:
        """Forget closed connections; close idle ones past keep-alive, dropped by the peer, or above
        the keep-alive allowance."""
        now = time.monotonic()
        connections = self._connections
        over = len(connections) > self._max_keepalive
        for connection in connections:
            state = connection.state
            if state is _CLOSED or (state is _IDLE and (over or connection.expired(now))):
                break
        else:
            return  # the usual case: nothing to do, no copy of the list
        for connection in list(connections):
            if connection.state is _CLOSED:
                connections.remove(connection)
            elif connection.state is _IDLE and (
                connection.expired(now) or len(connections) > self._max_keepalive
            ):
                connections.remove(connection)
                connection.close()

    def _assign(self, origin: Origin) -> _Http11Connection | None:
        """An idle connection to `origin`, else a new one if the limit allows (closing an idle one to
        another origin if need be), else None: the request waits."""
        self._clean_up()
        connections = self._connections
        for connection in connections:
            if connection.state is _IDLE and connection.origin == origin:
                connection.state = _ACTIVE
                connection.expire_at = None
                return connection
        if len(connections) >= self._max_connections:
            idle = next((c for c in connections if c.state is _IDLE), None)
            if idle is None:
                return None
            connections.remove(idle)
            idle.close()
        connection = _Http11Connection(origin)
        connections.append(connection)
        return connection

    def _serve_waiters(self) -> None:
        waiters = self._waiters
        while waiters:
            origin, waiter = waiters[0]
            if waiter.done():  # timed out or cancelled
                waiters.popleft()
                continue
            connection = self._assign(origin)
            if connection is None:
                return
            waiters.popleft()
            waiter.set_result(connection)

    async def _acquire(self, origin: Origin, seconds: float | None) -> _Http11Connection:
        if self._waiters:
            self._serve_waiters()
        if not self._waiters:
            connection = self._assign(origin)
            if connection is not None:
                return connection
        waiter: asyncio.Future[_Http11Connection] = asyncio.get_running_loop().create_future()
        self._waiters.append((origin, waiter))
        try:
            assigned: _Http11Connection = await _wait(waiter, seconds, httpx.PoolTimeout)
            return assigned
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._release(waiter.result(), reusable=True)  # assigned just as we gave up
            raise

    def _release(self, connection: _Http11Connection, *, reusable: bool) -> None:
        """The request on `connection` is over: keep it idle or close it, then serve the queue."""
        if reusable and connection.state is _ACTIVE:
            connection.state = _IDLE
            if self._keepalive_expiry is not None:
                connection.expire_at = time.monotonic() + self._keepalive_expiry
        elif connection.state is _NEW and connection.protocol is None:
            connection.state = _CLOSED  # never connected: the slot is free
        else:
            connection.close()
        if connection.state is _CLOSED and connection in self._connections:
            self._connections.remove(connection)
        self._serve_waiters()

    async def _connect(
        self, connection: _Http11Connection, request: httpx.Request, seconds: float | None
    ) -> None:
        scheme, host, port = connection.origin
        delays = (0.0 if n == 0 else _BACKOFF_FACTOR * 2 ** (n - 1) for n in itertools.count())
        retries_left = self._retries
        while True:
            try:
                with _httpx_exceptions():
                    stream = await self._backend.connect_tcp(
                        host.decode("ascii"),
                        port,
                        timeout=seconds,
                        local_address=self._local_address,
                        socket_options=self._socket_options,
                    )
                    if scheme in (b"https", b"wss"):
                        sni = request.extensions.get("sni_hostname") or host.decode("ascii")
                        stream = await stream.start_tls(
                            self._ssl_context, server_hostname=sni, timeout=seconds
                        )
                break
            except (httpx.ConnectError, httpx.ConnectTimeout):
                if retries_left <= 0:
                    raise
                retries_left -= 1
                await asyncio.sleep(next(delays))
        assert isinstance(stream, AsyncioStream)
        connection.stream = stream
        connection.protocol = stream._connection
        connection.state = _ACTIVE

    # --- one exchange
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.raw_scheme
        if not scheme:
            raise httpx.UnsupportedProtocol("Request URL is missing an 'http://' or 'https://' protocol.")
        default_port = _DEFAULT_PORTS.get(scheme)
        if default_port is None:
            raise httpx.UnsupportedProtocol(
                f"Request URL has an unsupported protocol '{scheme.decode()}://'."
            )
        method = request.method.encode("ascii")
        head, length = http11.request_head(method, url.raw_path, request.headers.raw)
        timeouts = request.extensions.get("timeout", {})
        connection = await self._acquire(
            (scheme, url.raw_host, url.port or default_port), timeouts.get("pool")
        )
        try:
            if connection.protocol is None:
                await self._connect(connection, request, timeouts.get("connect"))
            protocol = connection.protocol
            assert protocol is not None
            sent = await self._send(protocol, head, length, request.stream, timeouts.get("write"))
            answer = await self._read_head(protocol, method, timeouts.get("read"))
        except BaseException:
            self._release(connection, reusable=False)
            raise
        body = _Body(
            self, connection, answer, reusable=sent and not http11.connection_close(request.headers.raw)
        )
        body._read_timeout = timeouts.get("read")
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=body,
            extensions={
                "http_version": b"HTTP/" + answer.http_version,
                "reason_phrase": answer.reason,
                "network_stream": connection.stream,
            },
        )

    @staticmethod
    async def _send(
        protocol: _Connection, head: bytes, length: int | None, stream: Any, seconds: float | None
    ) -> bool:
        """The request, framed as its headers say; False when the peer stopped taking it (a write
        error is not raised: the peer may have answered early, as httpcore lets it)."""
        declared = 0 if length is not None and length < 0 else length  # no framing header: no body
        try:
            if isinstance(stream, httpx.ByteStream):  # the usual case: head and body in one write
                body = b"".join(stream)
                if declared is None:
                    await _write(protocol, head + http11.chunk(body) + http11.LAST_CHUNK, seconds)
                    return True
                _check_length(len(body), declared)
                await _write(protocol, head + body, seconds)
                return True
            await _write(protocol, head, seconds)
            sent = 0
            async for piece in stream:
                if declared is None:
                    if piece:
                        await _write(protocol, http11.chunk(piece), seconds)
                    continue
                sent += len(piece)
                if sent > declared:
                    raise httpx.LocalProtocolError("Too much data for declared Content-Length")
                if piece:
                    await _write(protocol, piece, seconds)
            if declared is None:
                await _write(protocol, http11.LAST_CHUNK, seconds)
            else:
                _check_length(sent, declared)
        except httpx.WriteError:
            return False
        return True

    @staticmethod
    async def _read_head(protocol: _Connection, method: bytes, seconds: float | None) -> http11.ResponseHead:
        """The final answer's head (1xx interim answers skipped), taken off the connection's buffer."""
        buffer = protocol.buffer
        searched = 0
        while True:
            end = http11.head_end(buffer, searched) if buffer else -1
            if end >= 0:
                block = bytes(buffer[:end])
                del buffer[:end]
                protocol.resume_if_drained()
                answer = http11.parse_response_head(block, method)
                if 100 <= answer.status < 200 and answer.status != 101:
                    searched = 0
                    continue
                if answer.status == 101:  # no upgrade is ever asked for: an answer without a body
                    answer.length, answer.keep_alive = 0, False
                return answer
            if http11.obviously_not_http(buffer):
                raise httpx.RemoteProtocolError("illegal request line")
            if len(buffer) > http11.MAX_HEAD_BYTES:
                raise httpx.RemoteProtocolError("Receive buffer too long")
            searched = max(0, len(buffer) - 2)
            if protocol.eof:  # what arrived before EOF is incomplete: then the error it ended with
                _raise_read_error(protocol)
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
            await _read_more(protocol, seconds)

    async def aclose(self) -> None:
        connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()


def _check_length(sent: int, declared: int) -> None:
    if sent > declared:
        raise httpx.LocalProtocolError("Too much data for declared Content-Length")
    if sent < declared:
        raise httpx.LocalProtocolError("Too little data for declared Content-Length")


def proxied_by_environment(url: str) -> bool:
    """True when HTTP(S)_PROXY/ALL_PROXY (and NO_PROXY) send `url` through a proxy: httpx honours those
    only with its default transport, so a client for such a URL keeps it."""
    parsed = httpx.URL(url)
    proxies = urllib.request.getproxies()
    if not (proxies.get(parsed.scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(parsed.host)


def client_transport(*urls: str, max_in_flight: int) -> AsyncioTransport | None:
    """The transport for the product's own clients (GoTo's, Graph's): keep-alive for as many
    connections as requests in flight (httpx's default keeps 20, so at GoTo's cap of 32 connections
    were closed and reopened). None (httpx's default transport) when the environment sends one of
    `urls` through a proxy."""
    if any(proxied_by_environment(url) for url in urls if url):
        return None
    keepalive = max(DEFAULT_LIMITS.max_keepalive_connections or 0, max_in_flight)
    limits = httpx.Limits(
        max_connections=max(DEFAULT_LIMITS.max_connections or 0, max_in_flight),
        max_keepalive_connections=keepalive,
        keepalive_expiry=DEFAULT_LIMITS.keepalive_expiry,
    )
    return AsyncioTransport(limits=limits)
