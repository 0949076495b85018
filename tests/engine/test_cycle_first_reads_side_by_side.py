"""The first page with users waits for the assigned groups' members and for its own links at once,
not one after the other (on Azurite, 10 groups of 1,000 members and a page's links were 0.5 s and
0.16 s before an incremental cycle's first GoTo request)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

import pytest

from provisioning.model import Link, ObjectType
from tests.engine.conftest import Bench


async def test_members_and_the_first_pages_links_are_read_together(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = bench.seed(8)
    await bench.cycle()
    bench.source.update_user(ids[0], displayName="Renamed")
    spans: dict[str, list[tuple[float, float]]] = {"members": [], "links": []}
    members, links = bench.state.list_members, bench.state.get_links

    async def slow_members(group_ids: Iterable[str]) -> dict[str, set[str]]:
        started = time.monotonic()
        await asyncio.sleep(0.2)
        found = await members(group_ids)
        spans["members"].append((started, time.monotonic()))
        return found

    async def slow_links(
        source_ids: Iterable[str], *, object_type: ObjectType = ObjectType.USER
    ) -> dict[str, Link]:
        started = time.monotonic()
        await asyncio.sleep(0.2)
        found = await links(source_ids, object_type=object_type)
        spans["links"].append((started, time.monotonic()))
        return found

    monkeypatch.setattr(bench.state, "list_members", slow_members)
    monkeypatch.setattr(bench.state, "get_links", slow_links)
    result = await bench.cycle()
    assert result.counts.to_dict() == {"update/success": 1}
    (link_start, link_end), *_ = spans["links"]
    assert any(start < link_end and link_start < end for start, end in spans["members"])
