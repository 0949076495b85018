"""asyncio plumbing the engine and the adapters share."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import Any


async def gather_all(awaitables: Iterable[Awaitable[Any]]) -> list[Any]:
    """Wait for every one, then raise the first error by position (nothing is left running
    unobserved, and the error is the one the same calls made one after another would raise
    first; a TaskGroup would wrap it in an ExceptionGroup, which the callers' `except` misses)."""
    results = await asyncio.gather(*awaitables, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results
