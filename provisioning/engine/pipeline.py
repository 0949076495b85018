"""Pages overlap: the next users-delta page is read while this one is planned and applied, a page's
operations start as soon as every operation of the page before has started (so GoTo's queue never
drains at a page boundary), and a page is written down (audit records, links, retries) while the
next one's operations run. Order is kept where it matters: one operation per object at a time
(engine.apply.Flight), pages recorded one after another in order, and `drain()` waits for all of
it before a checkpoint or a watermark; `applied()` waits only for GoTo's answers (the group phase
starts then, while the last records are written)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Self

from provisioning.model import DeltaPage, UserChange

Recording = Coroutine[Any, Any, None]


@dataclass
class _Page:
    applying: asyncio.Task[Recording]
    started: asyncio.Event  # set once each of its operations has a slot
    recorded: asyncio.Task[None]  # this page and every page before it on record


class Pipeline:
    """At most one page read ahead, and pages applied one after another: the next starts once
    every operation of the one before has its slot (in flight or done), so GoTo's queue does not
    drain at a page boundary; each page recorded once it is applied and the pages before are."""

    def __init__(self) -> None:
        self._reading: asyncio.Task[DeltaPage[UserChange] | None] | None = None
        self._last: _Page | None = None
        self._applying: list[asyncio.Task[Recording]] = []  # pages not yet known to be applied

    def read_ahead(self, pages: AsyncIterator[DeltaPage[UserChange]] | None) -> None:
        """Start reading the next page now (None: this page is the last)."""
        self._reading = asyncio.ensure_future(anext(pages, None)) if pages is not None else None

    async def next_page(self) -> DeltaPage[UserChange] | None:
        reading, self._reading = self._reading, None
        return await reading if reading is not None else None

    def recorded_before(self) -> Callable[[], Awaitable[None]]:
        """For the page about to be handed to `then`: wait until every page before it is on record
        (their failure is left for `drain` to raise). A page's early records must not overtake the
        pages before: the same user can be on both, and its link must end with the later values."""
        before = self._last.recorded if self._last is not None else None

        async def wait() -> None:
            if before is not None:
                with contextlib.suppress(BaseException):
                    await asyncio.shield(before)

        return wait

    async def then(
        self, work: Coroutine[Any, Any, Recording], *, started: asyncio.Event | None = None
    ) -> None:
        """Apply a page once every operation of the page before has started (`started`, set by the
        work; without it, once that page is applied); `work` applies and hands back its recording.
        Raises what stopped a page before."""
        before = self._last
        try:
            if before is not None:
                await _started(before)
                _raise_if_failed(before.applying)
                _raise_if_failed(before.recorded)
        except BaseException:
            work.close()
            raise
        applying = asyncio.ensure_future(work)
        self._applying = [*(t for t in self._applying if not t.done()), applying]
        recorded_before = before.recorded if before is not None else None

        async def in_order() -> None:
            try:
                record = await applying
            except BaseException:
                if recorded_before is not None:
                    with contextlib.suppress(BaseException):
                        await recorded_before
                raise
            if recorded_before is not None:
                try:
                    await recorded_before
                except BaseException:
                    # what GoTo did for this page goes on record if it still can; the first error wins
                    with contextlib.suppress(Exception):
                        await record
                    raise
            await record

        self._last = _Page(applying, started or asyncio.Event(), asyncio.ensure_future(in_order()))

    async def applied(self) -> None:
        """Every page's operations answered by GoTo; their records may still be being written
        (`drain` waits for those). A page that failed raises here, as it would in `drain`."""
        applying, self._applying = self._applying, []
        if applying:
            await asyncio.wait(applying)
        for task in applying:
            _raise_if_failed(task)

    async def drain(self) -> None:
        """Everything applied and recorded; a failure (a 401, a lost lease, storage) is raised here."""
        last, self._last = self._last, None
        if last is not None:
            await last.recorded

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        """On the way out (also on an error): stop reading ahead, let the pages being applied finish
        and everything applied be recorded. An error raised by the body wins over one of a page."""
        reading, self._reading = self._reading, None
        if reading is not None:
            reading.cancel()
            with contextlib.suppress(BaseException):
                await reading
        if exc[0] is None:
            await self.drain()
            return
        with contextlib.suppress(BaseException):
            await self.drain()


async def _started(page: _Page) -> None:
    """Until every operation of `page` has its slot, or the page is over (applied or failed)."""
    if page.started.is_set() or page.applying.done():
        return
    waiting = asyncio.ensure_future(page.started.wait())
    try:
        await asyncio.wait({waiting, page.applying}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiting.cancel()


def _raise_if_failed(task: asyncio.Task[Any]) -> None:
    if task.done() and not task.cancelled() and task.exception() is not None:
        raise task.exception()  # type: ignore[misc]
