"""Shared by the logs and status API tests (no tests here): two real cycles against Azurite and
both simulators; the engine writes their audit records (and the index by Entra id) itself."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from provisioning.api.http import ApiRequest, ApiResponse
from provisioning.api.logs import handle_logs
from provisioning.engine.cycle import CycleResult
from provisioning.model import AuditRecord
from provisioning.state.audit_log import AuditLog
from provisioning.state.tables import TableState, inverted_ticks
from sandbox.graph import APP_ROLE_USER_ID
from sandbox.world import World
from tests.e2e.conftest import Harness


@dataclass
class Scene:
    """Cycle 1 creates the demo tenant's users; cycle 2 renames one, disables one and fails one."""

    harness: Harness
    state: TableState
    log: AuditLog
    first: CycleResult
    second: CycleResult
    renamed: str
    disabled: str
    failed: str
    records: list[AuditRecord]  # both cycles, newest first

    async def get(self, **params: str) -> ApiResponse:
        return await handle_logs(ApiRequest("GET", "/api/logs", params=params), log=self.log)


def newest_first(records: list[AuditRecord]) -> list[AuditRecord]:
    """The order of the RowKeys: inverted timestamp, then change id."""
    return sorted(
        records, key=lambda r: (inverted_ticks(datetime.fromisoformat(r.activity_date_time)), r.change_id)
    )


async def records_of(state: TableState, *results: CycleResult) -> list[AuditRecord]:
    records: list[AuditRecord] = []
    for result in results:
        records += await state.list_audit_records(result.cycle.id)
    return records


@asynccontextmanager
async def opened(world: World) -> AsyncIterator[tuple[TableState, AuditLog]]:
    cs, prefix = world.azurite.connection_string, world.table_prefix
    async with (
        TableState.from_connection_string(cs, prefix=prefix) as state,
        AuditLog.from_connection_string(cs, prefix=prefix) as log,
    ):
        yield state, log


@asynccontextmanager
async def scene(world: World) -> AsyncIterator[Scene]:
    harness = Harness(world)
    tenant = world.graph.tenant
    seeded = world.seed_demo_tenant(users=16, groups=3)
    first = await harness.cycle()
    renamed, disabled = seeded["in_scope"][1], seeded["in_scope"][2]
    tenant.update_user(renamed, displayName="Renamed Person")
    tenant.disable_user(disabled)
    failed = tenant.create_user(userPrincipalName="x0@fabrikam.example", mail="x0@fabrikam.example")["id"]
    tenant.assign(failed, app_role_id=APP_ROLE_USER_ID)
    second = await harness.cycle()
    assert second.counts.to_dict() == {"create/failure": 1, "disable/success": 1, "update/success": 1}
    async with opened(world) as (state, log):
        records = await records_of(state, first, second)
        yield Scene(harness, state, log, first, second, renamed, disabled, failed, newest_first(records))


def body(response: ApiResponse) -> Mapping[str, Any]:
    data = response.json()
    assert isinstance(data, dict)
    return data
