"""A TCP proxy on 127.0.0.1 that tests switch between passing, resetting, refusing and hanging.

It stands in front of Azurite (or any TCP server) so a test can make Table Storage blink at a
chosen moment, as a real network does: connection resets (RST, on new and on pooled connections),
refused connections (nothing listens), hangs (accepted, never answered), and lost answers (the
request reaches the server, the answer never reaches the client). It runs its own event loop in a
thread, so a test's own loop may block on the client without stalling the proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from enum import StrEnum
from types import TracebackType

from sandbox.azurite import free_port

_CHUNK = 65536


class Mode(StrEnum):
    PASS = "pass"  # forward both ways
    RESET = "reset"  # every connection, new or open, is reset (RST)
    REFUSE = "refuse"  # nothing listens: connect() is refused; open connections are reset
    HANG = "hang"  # connections are accepted and read, nothing is forwarded or answered


class FaultProxy:
    """`port` forwards to `upstream_port`; `set_mode`, `blink` and `lose_answers` change what the
    client sees. Counters say what happened (so a test can prove its fault was hit)."""

    def __init__(
        self, upstream_port: int, *, upstream_host: str = "127.0.0.1", port: int | None = None
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = port or free_port()
        self.mode = Mode.PASS
        self.accepted = 0  # connections accepted
        self.resets = 0  # connections reset by the proxy
        self.answers_lost = 0  # answers dropped by lose_answers
        self._lose = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._connections: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter | None]] = set()
        self._revert: asyncio.TimerHandle | None = None

    # lifecycle (called from the test's thread) -----------------------------------------------------

    def start(self) -> FaultProxy:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            loop.run_until_complete(self._listen())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._shutdown())
            loop.close()

        self._thread = threading.Thread(target=run, name=f"fault-proxy-{self.port}", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError(f"the fault proxy did not listen on 127.0.0.1:{self.port}")
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop = None
        self._thread = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # switching (thread-safe; returns once the proxy has switched) ---------------------------------

    def set_mode(self, mode: Mode) -> None:
        self._call(self._switch, mode)

    def blink(self, mode: Mode, seconds: float) -> None:
        """Switch to `mode` now and back to PASS after `seconds`, timed by the proxy itself."""
        self._call(self._blink, mode, seconds)

    def lose_answers(self, count: int = 1) -> None:
        """The next `count` answers from upstream are dropped and their client connections reset:
        the server did the work, the client cannot know."""
        self._call(self._set_lose, count)

    def _call(self, fn: object, *args: object) -> None:
        if self._loop is None:
            raise RuntimeError("the fault proxy is not running")
        done = threading.Event()

        def apply() -> None:
            try:
                fn(*args)  # type: ignore[operator]
            finally:
                done.set()

        self._loop.call_soon_threadsafe(apply)
        if not done.wait(10):
            raise RuntimeError("the fault proxy did not switch")

    # inside the proxy's loop ----------------------------------------------------------------------

    def _set_lose(self, count: int) -> None:
        self._lose = count

    def _blink(self, mode: Mode, seconds: float) -> None:
        assert self._loop is not None
        self._switch(mode)
        self._revert = self._loop.call_later(seconds, self._switch, Mode.PASS)

    def _switch(self, mode: Mode) -> None:
        if self._revert is not None:
            self._revert.cancel()
            self._revert = None
        previous, self.mode = self.mode, mode
        if mode in (Mode.RESET, Mode.REFUSE):
            for client, upstream in list(self._connections):
                self._reset(client)
                if upstream is not None:
                    upstream.transport.abort()
            self._connections.clear()
        if mode is Mode.REFUSE and self._server is not None:
            self._server.close()
            self._server = None
        if previous is Mode.REFUSE and mode is not Mode.REFUSE:
            assert self._loop is not None
            self._loop.create_task(self._listen())

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for client, upstream in list(self._connections):
            client.transport.abort()
            if upstream is not None:
                upstream.transport.abort()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _reset(self, writer: asyncio.StreamWriter) -> None:
        """Close with RST (linger 0), as a crashed or restarted server's host does."""
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
        self.resets += 1

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self.mode is not Mode.PASS and self.mode is not Mode.HANG:
            self._reset(writer)
            return
        if self.mode is Mode.HANG:
            await self._swallow(reader, writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            self._reset(writer)
            return
        entry = (writer, up_writer)
        self._connections.add(entry)
        try:
            await asyncio.gather(
                self._pump(reader, up_writer, writer, upstream_to_client=False),
                self._pump(up_reader, writer, writer, upstream_to_client=True),
            )
        finally:
            self._connections.discard(entry)
            for w in (writer, up_writer):
                w.transport.abort()

    async def _swallow(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        entry = (writer, None)
        self._connections.add(entry)
        try:
            while await reader.read(_CHUNK):
                pass
        except OSError:
            pass
        finally:
            self._connections.discard(entry)
            writer.transport.abort()

    async def _pump(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        client: asyncio.StreamWriter,
        *,
        upstream_to_client: bool,
    ) -> None:
        try:
            while data := await source.read(_CHUNK):
                if self.mode is Mode.HANG:
                    continue  # read and dropped: the other side waits for ever
                if upstream_to_client and self._lose > 0:
                    self._lose -= 1
                    self.answers_lost += 1
                    self._reset(client)
                    return
                sink.write(data)
                await sink.drain()
        except OSError:
            pass
        finally:
            sink.transport.abort()
