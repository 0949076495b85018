"""A cycle's start-up reads go out side by side: the assignments (stored and Graph's), the groups
watermark, the retry list, the checkpoint and the mapping fingerprint at once; then the groups
delta beside the users delta's first page; and the members of newly assigned groups several
groups at a time. One after another they were a dozen round trips, and at an initial cycle of
10 groups every member page of every group, before the first GoTo request."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from provisioning.engine.groups import RELIST_CONCURRENCY
from tests.engine.conftest import Bench
from tests.engine.spans import PAUSE, Spans


async def test_the_start_up_reads_overlap(bench: Bench, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = bench.seed(6)
    await bench.cycle()
    bench.source.update_user(ids[0], displayName="Renamed")
    spans = Spans()
    for name in ("list_assignments", "get_watermark", "due_retries", "get_control"):
        monkeypatch.setattr(bench.state, name, spans.slow(f"state.{name}", getattr(bench.state, name)))
    monkeypatch.setattr(
        bench.source, "list_assignments", spans.slow("source.list_assignments", bench.source.list_assignments)
    )

    result = await bench.cycle()

    assert result.counts.to_dict() == {"update/success": 1}
    names = ["state.list_assignments", "source.list_assignments", "state.due_retries", "state.get_control"]
    for a in names:
        for b in names:
            assert a == b or spans.overlap(a, b), (a, b, spans.spans)


async def test_the_groups_delta_is_read_beside_the_first_users_page(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = bench.seed(6)
    await bench.cycle()
    bench.source.update_user(ids[0], displayName="Renamed")
    bench.source.add_member("g1", ids[1])
    spans = Spans()
    for name in ("iter_users_delta", "iter_groups_delta"):
        generator = getattr(bench.source, name)

        def opened(*args: Any, _name: str = name, _generator: Any = generator, **kwargs: Any) -> Any:
            async def pages() -> Any:
                started = time.monotonic()
                await asyncio.sleep(PAUSE)
                first = True
                async for page in _generator(*args, **kwargs):
                    if first:
                        spans.spans.setdefault(_name, []).append((started, time.monotonic()))
                        first = False
                    yield page

            return pages()

        monkeypatch.setattr(bench.source, name, opened)

    result = await bench.cycle()

    assert result.counts.to_dict().get("update/success") == 1
    assert spans.overlap("iter_users_delta", "iter_groups_delta"), spans.spans


async def test_newly_assigned_groups_are_read_several_at_a_time(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = RELIST_CONCURRENCY + 2
    for g in range(count):
        bench.source.add_user(f"m{g}")
        bench.source.add_group(f"g{g}", f"m{g}")
        bench.source.assign(f"g{g}", kind="Group")
    in_flight, most = 0, 0
    members = bench.source.list_group_members

    async def counted(group_id: str) -> Any:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        try:
            await asyncio.sleep(PAUSE)
            return await members(group_id)
        finally:
            in_flight -= 1

    monkeypatch.setattr(bench.source, "list_group_members", counted)

    result = await bench.cycle()

    assert result.counts.to_dict() == {"create/success": count}  # every member read, none lost
    assert most == RELIST_CONCURRENCY
