"""Paging: following continuation tokens returns every record exactly once, newest first, in each
read path; a token that is malformed, forged or from another query is refused."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from provisioning.model import AuditRecord, AuditStatus
from provisioning.state.audit_log import AuditLog, AuditQuery, ContinuationTokenError
from provisioning.state.tables import TableState
from tests.state.test_audit_log_support import BASE, cycle, guid, opened, record

CYCLES, USERS = 4, 9


async def seed_many(log: AuditLog, state: TableState) -> tuple[list[AuditRecord], list[str], str]:
    """Four cycles of nine users; the user `busy` appears in every cycle."""
    busy, everyone = guid(), list[AuditRecord]()
    for n in range(CYCLES):
        cycle_id, start = guid(), BASE + timedelta(hours=n)
        rows = [record(cycle_id, busy, start + timedelta(seconds=1))] + [
            record(cycle_id, guid(), start + timedelta(seconds=2 + i), status=AuditStatus.SKIPPED)
            for i in range(USERS - 1)
        ]
        await state.upsert_cycle(cycle(cycle_id, start, counts={"create/success": len(rows)}))
        await log.add(rows)
        everyone = sorted(rows, key=lambda r: r.activity_date_time, reverse=True) + everyone
    return everyone, [r.cycle_id for r in everyone[::USERS]], busy


async def read_all(log: AuditLog, query: AuditQuery, top: int) -> tuple[list[AuditRecord], int]:
    records, pages, token = [], 0, None
    while True:
        page = await log.query(query, top=top, continuation_token=token)
        records += page.records
        pages += 1
        assert len(page.records) <= top
        token = page.continuation_token
        if token is None:
            return records, pages


async def test_paging_across_cycles_returns_each_record_once(
    tables_connection_string: str, table_prefix: str
) -> None:
    async with opened(tables_connection_string, table_prefix) as (state, log):
        everyone, _, _ = await seed_many(log, state)
        for top in (1, 4, 9, 10, 36, 1000):
            records, pages = await read_all(log, AuditQuery(), top)
            assert [r.id for r in records] == [r.id for r in everyone], top
            assert pages == -(-len(everyone) // top)  # no empty last page: a token means there is more


async def test_paging_within_a_cycle_and_an_object(tables_connection_string: str, table_prefix: str) -> None:
    async with opened(tables_connection_string, table_prefix) as (state, log):
        everyone, cycles, busy = await seed_many(log, state)
        in_cycle, _ = await read_all(log, AuditQuery(cycle_id=cycles[1]), top=2)
        of_busy, pages = await read_all(log, AuditQuery(entra_id=busy), top=3)
    assert [r.id for r in in_cycle] == [r.id for r in everyone if r.cycle_id == cycles[1]]
    assert [r.id for r in of_busy] == [r.id for r in everyone if r.source_id == busy]
    assert pages == 2 and len(of_busy) == CYCLES


async def test_paging_with_filters(tables_connection_string: str, table_prefix: str) -> None:
    async with opened(tables_connection_string, table_prefix) as (state, log):
        everyone, _, _ = await seed_many(log, state)
        since = BASE + timedelta(hours=1)
        records, _ = await read_all(log, AuditQuery(status=AuditStatus.SKIPPED, since=since), top=5)
    want = [
        r for r in everyone if r.status is AuditStatus.SKIPPED and r.activity_date_time >= since.isoformat()
    ]
    assert [r.id for r in records] == [r.id for r in want] and len(want) == 3 * (USERS - 1)


def forge(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


async def test_bad_tokens_are_refused(tables_connection_string: str, table_prefix: str) -> None:
    async with opened(tables_connection_string, table_prefix) as (state, log):
        _, cycles, busy = await seed_many(log, state)
        walk = (await log.query(AuditQuery(), top=2)).continuation_token
        by_cycle = (await log.query(AuditQuery(cycle_id=cycles[0]), top=2)).continuation_token
        assert walk and by_cycle
        decoded = json.loads(base64.urlsafe_b64decode(walk))
        bad = [
            "not a token!",
            "bm90IGpzb24",  # base64 of "not json"
            forge([1, 2]),
            forge({**decoded, "v": 2}),
            forge({**decoded, "r": "' or 1 eq 1"}),
            forge({**decoded, "c": None}),  # a walk needs the cycle it stopped in
            forge({**decoded, "extra": 1}),
            "A" * 2000,
        ]
        for token in bad:
            with pytest.raises(ContinuationTokenError):
                await log.query(AuditQuery(), top=2, continuation_token=token)
        with pytest.raises(ContinuationTokenError, match="different query"):
            await log.query(AuditQuery(action="create"), top=2, continuation_token=walk)
        with pytest.raises(ContinuationTokenError):
            await log.query(AuditQuery(entra_id=busy), top=2, continuation_token=by_cycle)
        with pytest.raises(ContinuationTokenError):  # a partition query's token holds no cycle
            await log.query(
                AuditQuery(cycle_id=cycles[0]),
                top=2,
                continuation_token=forge(
                    {**decoded, "q": json.loads(base64.urlsafe_b64decode(by_cycle))["q"]}
                ),
            )
