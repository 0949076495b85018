"""RollingRecord: the outcomes of a slow page are put on record while the page still runs.

A page is recorded once all its operations are answered. At GoTo's default 10 requests/s a page
of 100 takes 10 s, so its first outcomes waited 10 s for their audit record and link, and the last
page's writes (three transactions) all came after GoTo's last answer. Here an outcome waits at
most `seconds`: what finished is recorded in the background, one chunk at a time, while the rest
of the page is sent. A fast page (answered within `seconds`) is still recorded in one go, so the
batches stay full; a recording that fails is raised by `settle`, as the page's own would be.
Once a slow last page has nothing more to start (`hurry`), every outcome is written as soon as the
chunk before it is: what finished then would otherwise wait for the last answer, and all of it came
after GoTo's last answer (100 changed users at 10 req/s: 20 records, 0.1-0.2 s of tail on Azurite).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence

from provisioning.engine.ports import Outcome

Record = Callable[[Sequence[Outcome]], Awaitable[None]]


class RollingRecord:
    """Feed it every outcome (`add`); `settle()` before recording the rest (`unrecorded`)."""

    def __init__(
        self, record: Record, *, seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._record = record
        self._seconds = seconds
        self._clock = clock
        self._buffer: list[Outcome] = []
        self._oldest: float | None = None
        self._writing: asyncio.Task[None] | None = None
        self._recorded: set[int] = set()  # id() of outcomes on record (Outcome is not hashable)
        self._since = clock()  # when the page started
        self._hurried = False

    def add(self, outcome: Outcome) -> None:
        now = self._clock()
        self._buffer.append(outcome)
        if self._oldest is None:
            self._oldest = now
        if now - self._oldest >= self._seconds or self._hurried:
            self._start_chunk()

    def hurry(self) -> None:
        """Nothing more will start: on a slow page (running `seconds` or longer), write what
        finished now and each later outcome as soon as the chunk before it is on record. A fast
        page keeps its one write."""
        if self._hurried or self._clock() - self._since < self._seconds:
            return
        self._hurried = True
        if self._buffer:
            self._start_chunk()

    def _start_chunk(self) -> None:
        if self._writing is not None and not self._writing.done():
            return  # one chunk in flight at a time: records keep their order (it takes the rest)
        if self._writing is not None and self._writing.exception() is not None:
            return  # the failure is raised by settle(); nothing more is written after it
        self._writing = asyncio.create_task(self._write(self._take()))

    def _take(self) -> list[Outcome]:
        chunk, self._buffer, self._oldest = self._buffer, [], None
        return chunk

    async def _write(self, chunk: list[Outcome]) -> None:
        while chunk:
            await self._record(chunk)
            self._recorded.update(id(o) for o in chunk)
            # hurried: what came in meanwhile goes next; else it waits for its own `seconds`
            chunk = self._take() if self._hurried else []

    async def settle(self) -> None:
        """Wait for the chunk being written; its failure is raised here."""
        if self._writing is not None:
            await self._writing

    def unrecorded(self, outcomes: Sequence[Outcome]) -> list[Outcome]:
        """Those of `outcomes` that no chunk has put on record (order kept)."""
        return [o for o in outcomes if id(o) not in self._recorded]
