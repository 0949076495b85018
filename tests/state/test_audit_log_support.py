"""Shared by the audit-log, logs and status tests (no tests here): records and cycles written
directly, a transport that lists every Table Storage request, and a small world of three cycles."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from azure.core.pipeline.transport import AioHttpTransport
from azure.data.tables.aio import TableClient

from provisioning.model import AuditRecord, AuditStatus, Counts, CycleRecord, CycleStatus, ModifiedProperty
from provisioning.state.audit_log import AuditLog
from provisioning.state.codecs import audit_to_entity
from provisioning.state.tables import TableState

BASE = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


class CountingTransport(AioHttpTransport):
    """Lists every request the Tables SDK sends (method and decoded URL), to prove what a query read."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[tuple[str, str]] = []

    async def send(self, request: Any, **kwargs: Any) -> Any:
        self.requests.append((request.method, unquote(request.url)))
        return await super().send(request, **kwargs)

    def to(self, table: str) -> list[str]:
        """URLs of the requests to one table (`{prefix}audit(...)` and `{prefix}audit?...`)."""
        return [url for _, url in self.requests if f"/{table}(" in url or f"/{table}?" in url]


def guid() -> str:
    return str(uuid.uuid4())


def record(
    cycle_id: str,
    source_id: str,
    at: datetime,
    *,
    action: str = "create",
    status: AuditStatus = AuditStatus.SUCCESS,
    target_id: str | None = None,
    name: str | None = None,
    error: tuple[str, str, str] | None = None,
    changes: tuple[ModifiedProperty, ...] = (),
) -> AuditRecord:
    return AuditRecord(
        id=guid(),
        cycle_id=cycle_id,
        change_id=guid(),
        activity_date_time=at.isoformat(),
        action=action,
        status=status,
        source_id=source_id,
        source_display_name=name,
        target_id=target_id,
        target_display_name=name,
        reason=f"{action} because the test said so",
        error_code=error[0] if error else None,
        error_reason=error[1] if error else None,
        recommended_action=error[2] if error else None,
        modified_properties=changes,
        duration_ms=12,
    )


def cycle(
    cycle_id: str,
    started: datetime,
    *,
    minutes: float = 5,
    status: str = "succeeded",
    counts: dict[str, int] | None = None,
    kind: str = "incremental",
) -> CycleRecord:
    return CycleRecord(
        id=cycle_id,
        started=started.isoformat(),
        kind=kind,
        ended=None if status == "running" else (started + timedelta(minutes=minutes)).isoformat(),
        status=CycleStatus.read(status)[0],
        detail=CycleStatus.read(status)[1],
        counts=Counts.from_dict(counts or {}),
        graph_requests=3,
        goto_requests=4,
    )


@asynccontextmanager
async def opened(
    connection_string: str, prefix: str, transport: CountingTransport | None = None
) -> AsyncIterator[tuple[TableState, AuditLog]]:
    options: dict[str, Any] = {} if transport is None else {"transport": transport}
    async with (
        TableState.from_connection_string(connection_string, prefix=prefix) as state,
        AuditLog.from_connection_string(connection_string, prefix=prefix, **options) as log,
    ):
        yield state, log


async def write_unindexed(connection_string: str, prefix: str, records: list[AuditRecord]) -> None:
    """Audit rows as written before the index existed: in the cycle's partition only."""
    async with TableClient.from_connection_string(connection_string, prefix + "audit") as table:
        for r in records:
            await table.upsert_entity(audit_to_entity(r))


@dataclass
class Seeded:
    """Three cycles an hour apart with records of two users (and one of a third), a skipped cycle
    and a quiet one; `records` newest first, as every query must return them."""

    cycles: list[str]
    users: list[str]
    records: list[AuditRecord] = field(default_factory=list)


async def seed(state: TableState, log: AuditLog) -> Seeded:
    seeded = Seeded(cycles=[guid(), guid(), guid()], users=[guid(), guid(), guid()])
    alice, bob, carol = seeded.users
    for n, cycle_id in enumerate(seeded.cycles):
        start = BASE + timedelta(hours=n)
        rows = [
            record(cycle_id, alice, start + timedelta(seconds=10), action="update", target_id="1001"),
            record(
                cycle_id,
                bob,
                start + timedelta(seconds=20),
                action="create" if n == 0 else "update",
                status=AuditStatus.FAILURE if n == 1 else AuditStatus.SUCCESS,
                target_id="1002",
                error=("SystemForCrossDomainIdentityManagementBadRequest", "bad domain", "fix it")
                if n == 1
                else None,
            ),
        ]
        if n == 2:
            rows.append(
                record(cycle_id, carol, start + timedelta(seconds=30), action="disable", target_id="1003")
            )
        counts: dict[str, int] = {}
        for r in rows:
            key = f"{r.action}/{r.status.value}"
            counts[key] = counts.get(key, 0) + 1
        await state.upsert_cycle(cycle(cycle_id, start, counts=counts))
        await log.add(rows)
        seeded.records = sorted(rows, key=lambda r: r.activity_date_time, reverse=True) + seeded.records
    quiet = BASE + timedelta(hours=1, minutes=30)
    await state.upsert_cycle(cycle(guid(), quiet, counts={}))
    await state.upsert_cycle(
        cycle(guid(), quiet + timedelta(minutes=10), status="skipped: off (PROVISIONING_ENABLED is false)")
    )
    return seeded
