"""Paging edge cases a well-behaved server never shows: 1.x list keys, page caps, missing totals."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from provisioning.errors import TargetError
from provisioning.target import RetryPolicy, ScimClient, ScimDialect, Throttle

USERS = [{"id": str(i), "userName": f"u{i}@contoso.com"} for i in range(1, 8)]


class Pager:
    """Serves USERS by startIndex/count under `key`, capping pages at `cap`, with or without totals."""

    def __init__(self, *, key: str = "Resources", cap: int = 100, totals: bool = True) -> None:
        self.key, self.cap, self.totals = key, cap, totals
        self.asked: list[tuple[int, int]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        start, count = int(request.url.params["startIndex"]), int(request.url.params["count"])
        self.asked.append((start, count))
        page = USERS[start - 1 : start - 1 + min(count, self.cap)]
        body: dict[str, Any] = {self.key: page}
        if self.totals:
            body |= {"totalResults": len(USERS), "startIndex": start, "itemsPerPage": len(page)}
        return httpx.Response(200, json=body)


def client_for(pager: Pager, dialect: ScimDialect) -> ScimClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(pager), base_url="https://goto.test/identity/v1")
    throttle = Throttle(rate_per_second=1000, burst=100, retry=RetryPolicy(max_attempts=1))
    return ScimClient(http, dialect=dialect, throttle=throttle)


async def test_goto_reads_scim_1x_resources() -> None:
    pager = Pager(key="resources")
    listed = [u["id"] async for u in client_for(pager, ScimDialect.goto()).list_users(page_size=3)]
    assert listed == [u["id"] for u in USERS]
    assert pager.asked == [(1, 3), (4, 3), (7, 3)]


async def test_a_strict_dialect_refuses_scim_1x_resources() -> None:
    with pytest.raises(TargetError, match="unreadable list response"):
        [u async for u in client_for(Pager(key="resources"), ScimDialect.rfc7644()).list_users()]


async def test_page_size_is_capped_by_the_dialect_and_short_pages_are_followed() -> None:
    """GoTo's cap is assumed: if the real one is lower, paging by what came back still reads everything."""
    pager = Pager(cap=2)
    listed = [u["id"] async for u in client_for(pager, ScimDialect.goto()).list_users(page_size=500)]
    assert listed == [u["id"] for u in USERS]
    assert pager.asked == [(1, 100), (3, 100), (5, 100), (7, 100)]


async def test_without_totals_paging_goes_on_until_an_empty_page() -> None:
    """A short page may be the peer's own cap rather than the end: only an empty page ends the list."""
    pager = Pager(totals=False, cap=3)
    listed = [u["id"] async for u in client_for(pager, ScimDialect.goto()).list_users(page_size=5)]
    assert listed == [u["id"] for u in USERS]
    assert pager.asked == [(1, 5), (4, 5), (7, 5), (8, 5)]


async def test_page_size_must_be_positive() -> None:
    with pytest.raises(ValueError):
        [u async for u in client_for(Pager(), ScimDialect.goto()).list_users(page_size=0)]
