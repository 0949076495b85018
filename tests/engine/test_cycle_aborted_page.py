"""A page stopped by a 401 mid-way: the creates GoTo already did are on record (audit records and
links), so the rerun adopts nothing twice and no applied action goes unexplained."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from provisioning.engine.apply import TargetUser
from provisioning.errors import UnauthorizedError
from tests.engine.conftest import Bench


async def test_finished_creates_are_recorded_when_a_401_stops_the_page(bench: Bench) -> None:
    bench.source.page_size = 8
    ids = bench.seed(8)
    create = bench.target.create_user
    started = 0

    async def create_then_refuse(values: Mapping[str, Any]) -> TargetUser:
        nonlocal started
        started += 1
        if started == 4:
            await asyncio.sleep(0.01)  # the others finish first
            raise UnauthorizedError("invalid_token", status=401)
        return await create(values)

    bench.target.create_user = create_then_refuse  # type: ignore[method-assign]
    with pytest.raises(UnauthorizedError):
        await bench.cycle()
    created = {a["userName"] for a in bench.target.accounts.values()}
    assert 0 < len(created) < len(ids)

    cycle = (await bench.state.list_cycles(limit=1))[0]
    records = await bench.state.list_audit_records(cycle.id)
    recorded = {r.target_id for r in records if r.action == "create" and r.status.value == "success"}
    assert recorded == set(bench.target.accounts)  # every account GoTo holds is explained
    links = {link.target_id async for link in bench.state.list_links()}
    assert links == set(bench.target.accounts)
