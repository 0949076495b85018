"""Pages overlap: the next users-delta page is read while this one is planned and applied, and a
page's operations start while the next page is planned, so GoTo's queue does not run dry at every
page boundary. Order is kept where it matters: one page is applied (and recorded) at a time, in
order, and `drain()` waits for the last, before a checkpoint or a watermark may move."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any, Self

from provisioning.model import DeltaPage, UserChange


class Pipeline:
    """At most one page being read ahead and one page being applied, beside the planning."""

    def __init__(self) -> None:
        self._reading: asyncio.Task[DeltaPage[UserChange] | None] | None = None
        self._applying: asyncio.Task[None] | None = None

    def read_ahead(self, pages: AsyncIterator[DeltaPage[UserChange]] | None) -> None:
        """Start reading the next page now (None: this page is the last)."""
        self._reading = asyncio.ensure_future(anext(pages, None)) if pages is not None else None

    async def next_page(self) -> DeltaPage[UserChange] | None:
        reading, self._reading = self._reading, None
        return await reading if reading is not None else None

    async def then(self, work: Coroutine[Any, Any, None]) -> None:
        """Apply a page after the one before it is applied and recorded; raises what stopped that."""
        try:
            await self.drain()
        except BaseException:
            work.close()
            raise
        self._applying = asyncio.ensure_future(work)

    async def drain(self) -> None:
        """Wait for the page being applied; its failure (a 401, a lost lease) is raised here."""
        applying, self._applying = self._applying, None
        if applying is not None:
            await applying

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        """On the way out (also on an error): let the page being applied finish and be recorded,
        and stop reading ahead. An error raised by the body wins over one of the page."""
        reading, self._reading = self._reading, None
        if reading is not None:
            reading.cancel()
            with contextlib.suppress(BaseException):
                await reading
        applying, self._applying = self._applying, None
        if applying is not None:
            if exc[0] is None:
                await applying
            else:
                with contextlib.suppress(BaseException):
                    await applying
