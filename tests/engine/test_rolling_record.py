"""A slow page's outcomes are recorded while the page runs (each waits at most
`record_within_seconds`), a fast page's in one go; every outcome is recorded exactly once, and a
chunk that cannot be written fails the page like its own record would."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from provisioning.engine.plan import Action, Operation
from provisioning.engine.ports import Outcome
from provisioning.engine.rolling import RollingRecord
from provisioning.model import AuditRecord, AuditStatus
from tests.engine.conftest import Bench


def outcome(i: int) -> Outcome:
    return Outcome(Operation(Action.CREATE, f"u{i}", "in scope"), AuditStatus.SUCCESS, "create", f"g{i}")


def watch_writes(bench: Bench, monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Each audit write as (answers GoTo had given by then, records written)."""
    written: list[tuple[int, int]] = []
    answered = [0]
    real, create = bench.state.add_audit_records, bench.target.create_user

    async def add(records: Sequence[AuditRecord]) -> None:
        written.append((answered[0], len(records)))
        await real(records)

    async def answer(*args: Any, **kwargs: Any) -> Any:
        try:
            return await create(*args, **kwargs)
        finally:
            answered[0] += 1

    monkeypatch.setattr(bench.state, "add_audit_records", add)
    monkeypatch.setattr(bench.target, "create_user", answer)
    return written


async def test_chunks_follow_the_clock_and_nothing_is_recorded_twice() -> None:
    now = [0.0]
    chunks: list[list[str]] = []

    async def record(chunk: Sequence[Outcome]) -> None:
        chunks.append([o.operation.source_id for o in chunk])

    rolling = RollingRecord(record, seconds=1.0, clock=lambda: now[0])
    every = [outcome(i) for i in range(6)]
    for i, o in enumerate(every):
        now[0] = [0.0, 0.5, 1.2, 1.3, 2.0, 2.1][i]
        rolling.add(o)
        await asyncio.sleep(0)  # the chunk's task runs
    await rolling.settle()
    assert chunks == [["u0", "u1", "u2"]]  # u3 came 0.1 s after u2's chunk started: not due yet
    now[0] = 3.5
    rolling.add(extra := outcome(9))
    await rolling.settle()
    assert chunks[1] == ["u3", "u4", "u5", "u9"]
    assert rolling.unrecorded([*every, extra]) == []


async def test_a_failed_chunk_is_raised_by_settle_and_stops_further_chunks() -> None:
    now = [0.0]
    calls = [0]

    async def record(chunk: Sequence[Outcome]) -> None:
        calls[0] += 1
        raise OSError("storage blinked")

    rolling = RollingRecord(record, seconds=0.1, clock=lambda: now[0])
    rolling.add(first := outcome(1))
    now[0] = 1.0
    rolling.add(outcome(2))
    await asyncio.sleep(0)
    now[0] = 2.0
    rolling.add(outcome(3))
    with pytest.raises(OSError, match="blinked"):
        await rolling.settle()
    assert calls[0] == 1 and rolling.unrecorded([first]) == [first]


async def test_a_slow_page_is_on_record_before_its_last_answer(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench.source.page_size = 50
    ids = bench.seed(8)
    for n, user_id in enumerate(ids):
        bench.target.slow_answers[f"{user_id}@contoso.example"] = 0.1 * n
    written = watch_writes(bench, monkeypatch)
    result = await bench.cycle(record_within_seconds=0.15)
    assert result.counts.to_dict() == {"create/success": 8}
    assert len(written) >= 3 and sum(n for _, n in written) == 8  # in chunks, each record once
    assert written[0][0] < 8  # the first went down while u07 (0.7 s) was still out
    links = [link async for link in bench.state.list_links()]
    assert sorted(link.source_id for link in links) == sorted(ids)
    records = await bench.state.list_audit_records(result.cycle.id)
    assert sorted(r.source_id for r in records) == sorted(ids)


async def test_a_fast_page_is_recorded_in_one_go(bench: Bench, monkeypatch: pytest.MonkeyPatch) -> None:
    bench.source.page_size = 50
    bench.seed(8)
    calls: list[int] = []
    real = bench.state.add_audit_records

    async def add(records: Sequence[AuditRecord]) -> None:
        calls.append(len(records))
        await real(records)

    monkeypatch.setattr(bench.state, "add_audit_records", add)
    await bench.cycle()
    assert calls == [8]


async def test_hurry_on_a_slow_page_writes_at_once_and_then_each_outcome_after_the_chunk_before() -> None:
    now = [0.0]
    chunks: list[list[str]] = []
    gate = asyncio.Event()

    async def record(chunk: Sequence[Outcome]) -> None:
        chunks.append([o.operation.source_id for o in chunk])
        await gate.wait()

    rolling = RollingRecord(record, seconds=1.0, clock=lambda: now[0])
    now[0] = 1.5
    rolling.add(outcome(0))  # the first of its chunk: it waits its `seconds`
    rolling.add(outcome(1))
    assert chunks == []
    rolling.hurry()  # the page has run 1.5 s: what finished goes now
    await asyncio.sleep(0)
    assert chunks == [["u0", "u1"]]
    rolling.add(outcome(2))  # the chunk before is still being written: it follows that one
    rolling.add(outcome(3))
    gate.set()
    await rolling.settle()
    assert chunks == [["u0", "u1"], ["u2", "u3"]]
    rolling.add(last := outcome(4))  # nothing in flight: written at once
    await rolling.settle()
    assert chunks[-1] == ["u4"] and rolling.unrecorded([last]) == []


async def test_hurry_on_a_fast_page_keeps_its_one_write() -> None:
    now = [0.0]
    chunks: list[list[str]] = []

    async def record(chunk: Sequence[Outcome]) -> None:
        chunks.append([o.operation.source_id for o in chunk])

    rolling = RollingRecord(record, seconds=1.0, clock=lambda: now[0])
    rolling.add(outcome(0))
    now[0] = 0.2
    rolling.hurry()
    rolling.add(outcome(1))
    await rolling.settle()
    assert chunks == []  # left for the page's own record, in one go


async def test_the_last_slow_page_leaves_only_its_last_answer_for_after_it(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench.source.page_size = 50
    ids = bench.seed(8)
    # 4 in flight: the first four hold the page 1.1 s, the next three answer at once, the last 0.3 s
    for user_id, seconds in zip(ids, [1.1] * 4 + [0.0] * 3 + [0.3], strict=True):
        bench.target.slow_answers[f"{user_id}@contoso.example"] = seconds
    written = watch_writes(bench, monkeypatch)
    result = await bench.cycle(record_within_seconds=1.0)
    assert result.counts.to_dict() == {"create/success": 8}
    after_last = [n for answered, n in written if answered == 8]  # once GoTo had answered all 8
    assert sum(after_last) == 1  # the last answer's own record; the 7 before were already written
    records = await bench.state.list_audit_records(result.cycle.id)
    assert sorted(r.source_id for r in records) == sorted(ids)
