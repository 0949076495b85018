"""Pages overlap: the next users-delta page is read while this one is planned and applied, a page's
operations start while the next page is planned, and a page is written down (audit records,
links, retries) while the next one's operations run, so GoTo's queue does not wait at page
boundaries. Order is kept where it matters: one page is applied at a time, pages are recorded one
after another in order, and `drain()` waits for all of it before a checkpoint or a watermark."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any, Self

from provisioning.model import DeltaPage, UserChange

Recording = Coroutine[Any, Any, None]


class Pipeline:
    """At most one page read ahead, one page applied and one being recorded, beside the planning."""

    def __init__(self) -> None:
        self._reading: asyncio.Task[DeltaPage[UserChange] | None] | None = None
        self._applying: asyncio.Task[Recording] | None = None
        self._recording: asyncio.Task[None] | None = None

    def read_ahead(self, pages: AsyncIterator[DeltaPage[UserChange]] | None) -> None:
        """Start reading the next page now (None: this page is the last)."""
        self._reading = asyncio.ensure_future(anext(pages, None)) if pages is not None else None

    async def next_page(self) -> DeltaPage[UserChange] | None:
        reading, self._reading = self._reading, None
        return await reading if reading is not None else None

    async def then(self, work: Coroutine[Any, Any, Recording]) -> None:
        """Apply a page once the page before is applied (its recording goes on meanwhile); `work`
        applies and hands back its recording. Raises what stopped the page before."""
        try:
            await self._applied()
        except BaseException:
            work.close()
            raise
        self._applying = asyncio.ensure_future(work)

    async def _applied(self) -> None:
        """Wait for the page being applied, then record it after the pages before it."""
        applying, self._applying = self._applying, None
        if applying is None:
            return
        record = await applying
        before = self._recording

        async def in_order() -> None:
            if before is not None:
                try:
                    await before
                except BaseException:
                    # what GoTo did for this page goes on record if it still can; the first error wins
                    with contextlib.suppress(Exception):
                        await record
                    raise
            await record

        self._recording = asyncio.ensure_future(in_order())

    async def recorded_before(self) -> None:
        """Wait until the pages recorded before now are on record (their failure is raised by
        `drain`): a page's early records must not overtake the page before (the same user can be in
        both, and its link must end with the later values)."""
        recording = self._recording
        if recording is not None:
            with contextlib.suppress(BaseException):
                await asyncio.shield(recording)

    async def drain(self) -> None:
        """Everything applied and recorded; a failure (a 401, a lost lease, storage) is raised here."""
        await self._applied()
        recording, self._recording = self._recording, None
        if recording is not None:
            await recording

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        """On the way out (also on an error): stop reading ahead, let the page being applied finish
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
