"""When each watched call of a cycle started and ended: for tests that say which reads overlap."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

PAUSE = 0.05  # each watched call is held this long first, so calls in sequence cannot overlap


class Spans:
    """`slow(name, call)` wraps a call; `spans[name]` lists (start, end) of each of its calls."""

    def __init__(self, *, pause: float = PAUSE) -> None:
        self.pause = pause
        self.spans: dict[str, list[tuple[float, float]]] = {}

    def slow(self, name: str, call: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def wrapped(*args: Any, **kwargs: Any) -> Any:
            started = time.monotonic()
            await asyncio.sleep(self.pause)
            try:
                return await call(*args, **kwargs)
            finally:
                self.spans.setdefault(name, []).append((started, time.monotonic()))

        return wrapped

    def overlaps(self, span: tuple[float, float], name: str) -> bool:
        """`span` ran while some call of `name` did."""
        start, end = span
        return any(start < b_end and b_start < end for b_start, b_end in self.spans[name])

    def overlap(self, a: str, b: str) -> bool:
        """Some call of `a` ran while some call of `b` did (get_control is also read before)."""
        return any(self.overlaps(span, b) for span in self.spans[a])
