"""A page's early records wait for the pages recorded before it (the same user may be on both, and
its link must end with the later page's values); a failure there is left for `drain` to raise."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import pytest

from provisioning.engine.pipeline import Pipeline, Recording


async def test_recorded_before_waits_for_the_page_before_and_never_raises() -> None:
    events: list[str] = []

    async def page(name: str, record_seconds: float, fail: bool = False) -> Recording:
        async def record() -> None:
            await asyncio.sleep(record_seconds)
            events.append(f"{name} recorded")
            if fail:
                raise OSError(f"{name}: storage blinked")

        return record()

    async def second(after: Callable[[], Awaitable[None]]) -> Recording:
        await after()
        events.append("second's early records")
        return await page("second", 0)

    async with Pipeline() as pipeline:
        await pipeline.then(page("first", 0.05))
        work: Coroutine[Any, Any, Recording] = second(pipeline.recorded_before())
        await pipeline.then(work)
        await pipeline.drain()
    assert events == ["first recorded", "second's early records", "second recorded"]

    events.clear()
    with pytest.raises(OSError, match="first: storage blinked"):
        async with Pipeline() as pipeline:
            await pipeline.then(page("first", 0.01, fail=True))
            await pipeline.then(second(pipeline.recorded_before()))
            await pipeline.drain()
    assert events[:2] == ["first recorded", "second's early records"]
