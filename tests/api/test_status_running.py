"""A running cycle (its row says "running" and it holds a live lease) shows with its progress; once
the lease has lapsed the row is an interrupted last cycle, not a running one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest

from provisioning.api.status import build_status
from provisioning.config import Settings
from provisioning.state.tables import TableState
from tests.state.test_audit_log_support import BASE, cycle, guid

SETTINGS = Settings(service_principal_id="x")


@pytest.fixture
async def state(tables_connection_string: str, table_prefix: str) -> AsyncIterator[TableState]:
    async with TableState.from_connection_string(tables_connection_string, prefix=table_prefix) as s:
        yield s


async def test_a_running_cycle_with_a_live_lease(state: TableState) -> None:
    done, running = guid(), guid()
    await state.upsert_cycle(cycle(done, BASE, counts={"create/success": 3}))
    started = BASE + timedelta(minutes=10)
    row = replace(cycle(running, started, status="running"), pages=4, objects_read=1200, operations_done=37)
    await state.upsert_cycle(row)
    assert await state.acquire_lease(running, seconds=90, now=started + timedelta(minutes=2))

    status = await build_status(state=state, settings=SETTINGS, now=started + timedelta(minutes=3))
    assert status["running"] == {
        "id": running,
        "kind": "incremental",
        "initiatedBy": "timer",
        "started": started.isoformat(),
        "pages": 4,
        "objectsRead": 1200,
        "operationsDone": 37,
        "leaseExpires": (started + timedelta(minutes=2, seconds=90)).isoformat(),
    }
    assert status["lastCycle"]["id"] == done and status["lastSuccessfulCycle"]["id"] == done

    lapsed = await build_status(state=state, settings=SETTINGS, now=started + timedelta(minutes=4))
    assert lapsed["running"] is None
    assert lapsed["lastCycle"]["id"] == running
    assert lapsed["lastCycle"]["interrupted"] is True and lapsed["lastCycle"]["ended"] is None
    assert lapsed["lastSuccessfulCycle"]["id"] == done


async def test_a_lease_without_a_running_cycle_row_is_not_a_running_cycle(state: TableState) -> None:
    """On-demand provisioning and staged approvals hold the lease without a running cycle row."""
    await state.upsert_cycle(cycle(guid(), BASE, counts={}))
    assert await state.acquire_lease(guid(), seconds=90, now=BASE + timedelta(hours=1))
    status = await build_status(state=state, settings=SETTINGS, now=BASE + timedelta(hours=1, seconds=5))
    assert status["running"] is None and status["lastCycle"]["status"] == "succeeded"


async def test_an_older_running_row_with_another_holder_is_not_running(state: TableState) -> None:
    crashed, current = guid(), guid()
    await state.upsert_cycle(cycle(crashed, BASE, status="running"))
    await state.upsert_cycle(cycle(current, BASE + timedelta(minutes=10), status="running"))
    assert await state.acquire_lease(current, seconds=90, now=BASE + timedelta(minutes=10))
    status = await build_status(state=state, settings=SETTINGS, now=BASE + timedelta(minutes=11))
    assert status["running"]["id"] == current
    assert status["lastCycle"]["id"] == crashed and status["lastCycle"]["interrupted"] is True
    assert status["lastSuccessfulCycle"] is None
