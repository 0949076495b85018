"""AuditLog.query: each filter alone and together, newest first, in all three read paths (by Entra
id, by cycle, across cycles); time bounds are inclusive."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest

from provisioning.model import AuditRecord, AuditStatus
from provisioning.state.audit_log import AuditLog, AuditQuery
from tests.state.test_audit_log_support import BASE, Seeded, cycle, guid, opened, record, seed

Keep = Callable[[AuditRecord], bool]
HOUR_1 = BASE + timedelta(hours=1)  # the middle cycle's start; its records are at +10 s and +20 s


def at_or_after(seconds: int) -> Keep:
    return lambda r: r.activity_date_time >= (HOUR_1 + timedelta(seconds=seconds)).isoformat()


def at_or_before(seconds: int) -> Keep:
    return lambda r: r.activity_date_time <= (HOUR_1 + timedelta(seconds=seconds)).isoformat()


FILTERS: dict[str, tuple[dict[str, Any], Keep]] = {
    "action": ({"action": "update"}, lambda r: r.action == "update"),
    "status": ({"status": AuditStatus.FAILURE}, lambda r: r.status is AuditStatus.FAILURE),
    "gotoId": ({"goto_id": "1002"}, lambda r: r.target_id == "1002"),
    # the bounds fall exactly on records: both ends are inclusive
    "since": ({"since": HOUR_1 + timedelta(seconds=20)}, at_or_after(20)),
    "until": ({"until": HOUR_1 + timedelta(seconds=10)}, at_or_before(10)),
    "range": (
        {"since": HOUR_1 + timedelta(seconds=10), "until": HOUR_1 + timedelta(seconds=20)},
        lambda r: at_or_after(10)(r) and at_or_before(20)(r),
    ),
    "action+status": (
        {"action": "update", "status": AuditStatus.SUCCESS},
        lambda r: r.action == "update" and r.status is AuditStatus.SUCCESS,
    ),
    "action+gotoId+since": (
        {"action": "update", "goto_id": "1002", "since": HOUR_1},
        lambda r: r.action == "update" and r.target_id == "1002" and at_or_after(0)(r),
    ),
}


@pytest.fixture
async def world(tables_connection_string: str, table_prefix: str) -> AsyncIterator[tuple[AuditLog, Seeded]]:
    async with opened(tables_connection_string, table_prefix) as (state, log):
        yield log, await seed(state, log)


def ids(records: list[AuditRecord]) -> list[str]:
    return [r.id for r in records]


async def test_no_filter_reads_every_cycle_newest_first(world: tuple[AuditLog, Seeded]) -> None:
    log, seeded = world
    page = await log.query(AuditQuery())
    assert ids(page.records) == ids(seeded.records)
    assert len(page.records) == 7 and page.continuation_token is None
    times = [r.activity_date_time for r in page.records]
    assert times == sorted(times, reverse=True)


async def test_each_filter_and_combinations_in_every_read_path(
    world: tuple[AuditLog, Seeded], subtests: pytest.Subtests
) -> None:
    log, seeded = world
    bob, middle = seeded.users[1], seeded.cycles[1]
    paths: dict[str, tuple[dict[str, Any], Keep]] = {
        "walk": ({}, lambda r: True),
        "cycle": ({"cycle_id": middle}, lambda r: r.cycle_id == middle),
        "object": ({"entra_id": bob}, lambda r: r.source_id == bob),
    }
    for path, (scope, in_scope) in paths.items():
        for name, (given, keep) in FILTERS.items():
            with subtests.test(f"{path}: {name}"):
                page = await log.query(AuditQuery(**scope, **given))
                want = [r.id for r in seeded.records if in_scope(r) and keep(r)]
                assert want, "the seeded data must hold a match, or the test proves nothing"
                assert len(want) < len(seeded.records)
                assert ids(page.records) == want


async def test_entra_id_and_cycle_together(world: tuple[AuditLog, Seeded]) -> None:
    log, seeded = world
    alice, newest = seeded.users[0], seeded.cycles[2]
    page = await log.query(AuditQuery(entra_id=alice, cycle_id=newest))
    assert [(r.source_id, r.cycle_id) for r in page.records] == [(alice, newest)]


async def test_no_match_is_an_empty_page(world: tuple[AuditLog, Seeded]) -> None:
    log, _ = world
    for query in (
        AuditQuery(entra_id=guid()),
        AuditQuery(cycle_id=guid()),
        AuditQuery(action="stagedDelete"),
        AuditQuery(until=BASE - timedelta(days=1)),
    ):
        page = await log.query(query)
        assert page.records == [] and page.continuation_token is None


async def test_a_running_cycle_is_read(tables_connection_string: str, table_prefix: str) -> None:
    """A running (or crashed) cycle has not saved its counts yet: its records are read all the same."""
    async with opened(tables_connection_string, table_prefix) as (state, log):
        running = guid()
        await state.upsert_cycle(cycle(running, BASE, status="running"))
        written = record(running, guid(), BASE + timedelta(seconds=1))
        await log.add([written])
        assert (await log.query(AuditQuery())).records == [written]


async def test_time_range_reaches_a_long_cycle_that_started_before_it(
    tables_connection_string: str, table_prefix: str
) -> None:
    async with opened(tables_connection_string, table_prefix) as (state, log):
        long_one = guid()
        await state.upsert_cycle(cycle(long_one, BASE, minutes=90, counts={"create/success": 1}))
        late = record(long_one, guid(), BASE + timedelta(minutes=80))
        await log.add([late])
        assert (await log.query(AuditQuery(since=BASE + timedelta(minutes=60)))).records == [late]


async def test_times_without_a_zone_are_utc(world: tuple[AuditLog, Seeded]) -> None:
    log, seeded = world
    naive = (HOUR_1 + timedelta(seconds=20)).replace(tzinfo=None)
    page = await log.query(AuditQuery(since=naive))
    assert ids(page.records) == [r.id for r in seeded.records if at_or_after(20)(r)]


async def test_top_out_of_range_is_refused(world: tuple[AuditLog, Seeded]) -> None:
    log, _ = world
    for top in (0, 1001):
        with pytest.raises(ValueError, match="top"):
            await log.query(AuditQuery(), top=top)
