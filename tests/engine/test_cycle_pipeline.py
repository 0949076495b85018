"""Pages overlap: page N+1 is read (and planned) while page N's operations run, and its operations
start as soon as every operation of page N has started, so GoTo's queue does not run dry at each
page boundary; pages still start one after another, and a checkpoint covers only recorded work
(tests/engine/test_cycle_crash_matrix.py kills the run at every store call with this on)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import pytest

from provisioning.engine.apply import TargetUser
from provisioning.model import AuditRecord, DeltaPage, UserChange
from tests.engine.conftest import Bench


def instrument(bench: Bench, monkeypatch: pytest.MonkeyPatch, events: list[str]) -> None:
    real_delta = bench.source.iter_users_delta
    real_create = bench.target.create_user

    async def delta(*, link: str | None, select: Sequence[str]) -> AsyncIterator[DeltaPage[UserChange]]:
        n = 0
        async for page in real_delta(link=link, select=select):
            n += 1
            events.append(f"read {n}")
            yield page

    async def create(values: Mapping[str, Any]) -> TargetUser:
        events.append(f"create {values['userName']}")
        await asyncio.sleep(0.02)  # GoTo's answer takes a while
        created = await real_create(values)
        events.append(f"created {values['userName']}")
        return created

    monkeypatch.setattr(bench.source, "iter_users_delta", delta)
    monkeypatch.setattr(bench.target, "create_user", create)


async def test_the_next_page_is_read_while_this_one_is_applied(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench.seed(9)  # pages of three users
    events: list[str] = []
    instrument(bench, monkeypatch, events)
    result = await bench.cycle()
    assert result.counts.to_dict() == {"create/success": 9}
    first_page = [e for e in events if e.startswith("created")][:3]
    assert events.index("read 2") < events.index(first_page[-1])  # read before page 1 was done


async def test_a_page_starts_once_every_operation_of_the_page_before_has(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = bench.seed(9)
    events: list[str] = []
    instrument(bench, monkeypatch, events)
    slow = bench.source.users[ids[0]]["userPrincipalName"]  # page 1's first answer takes long
    bench.target.slow_answers[slow] = 0.3
    await bench.cycle()
    names = [bench.source.users[i]["userPrincipalName"] for i in ids]
    created = [e.split(" ", 1)[1] for e in events if e.startswith("created ")]
    started = [e.split(" ", 1)[1] for e in events if e.startswith("create ")]
    assert sorted(created) == sorted(names) and sorted(started) == sorted(names)
    # no operation of a page starts before every operation of the page before has started...
    for page in range(1, 3):
        first_of_next = events.index(f"create {started[3 * page]}")
        assert all(events.index(f"create {name}") < first_of_next for name in started[: 3 * page])
    # ...and the next page does not wait for the slow answer of the page before
    assert events.index(f"create {started[3]}") < events.index(f"created {slow}")


async def test_a_page_is_recorded_while_the_next_ones_operations_run(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = bench.seed(9)
    events: list[str] = []
    instrument(bench, monkeypatch, events)
    real_add = bench.state.add_audit_records

    async def slow_add(records: Sequence[AuditRecord]) -> None:
        events.append(f"recording {len(records)}")
        await asyncio.sleep(0.05)  # Table Storage takes a while too
        await real_add(records)
        events.append("recorded")

    monkeypatch.setattr(bench.state, "add_audit_records", slow_add)
    result = await bench.cycle()
    assert result.counts.to_dict() == {"create/success": 9}
    second_page_first = f"create {bench.source.users[ids[3]]['userPrincipalName']}"
    first_recording_done = events.index("recorded")
    assert events.index(second_page_first) < first_recording_done  # not waiting for the records
    assert len(await bench.state.list_audit_records(result.cycle.id)) == 9  # and every one is there
