"""End-to-end fixtures: the product, in-process, against Azurite and both simulators over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest

from provisioning.config import load_settings
from provisioning.engine.cycle import CycleResult
from provisioning.model import AuditRecord, ObjectType
from provisioning.service import open_services, run_sync, settle_staged
from provisioning.state.tables import TableState
from sandbox.world import World

FAST = "1000"  # the product's GoTo rate for tests that are not about the rate limit


class Harness:
    """Runs cycles exactly as the timer does (settings from environment-style values)."""

    def __init__(self, world: World, **env: str) -> None:
        self.world = world
        self.env = world.env(GOTO_RATE_LIMIT_PER_SECOND=FAST, **env)

    async def cycle(self, *, dry_run: bool = False, **env: str) -> CycleResult:
        settings = load_settings({**self.env, **env})
        return await run_sync(settings, dry_run=dry_run, initiated_by="test")

    async def timer(self, *, at: datetime | None = None, **env: str) -> CycleResult:
        """A cycle as the timer runs it, optionally at a chosen moment (quarantine, retry ladder)."""
        settings = load_settings({**self.env, **env})
        async with open_services(settings) as services:
            engine = services.engine(settings, clock=(lambda: at) if at else None)
            return await engine.run_cycle(dry_run=settings.dry_run, initiated_by="timer")

    async def settle(self, *, approve: bool) -> CycleResult:
        return await settle_staged(load_settings(self.env), approve=approve)

    async def state(self) -> AsyncIterator[TableState]:
        async with TableState.from_connection_string(
            self.world.azurite.connection_string, prefix=self.world.table_prefix
        ) as state:
            yield state

    async def control(self, name: str) -> dict[str, Any] | None:
        async for state in self.state():
            return await state.get_control(name)
        return None

    async def watermark(self, name: str) -> str | None:
        async for state in self.state():
            return await state.get_watermark(name)
        return None

    async def audit(
        self, result: CycleResult, *, object_type: ObjectType | None = ObjectType.USER
    ) -> list[AuditRecord]:
        """The cycle's records about users (groups: `object_type=ObjectType.GROUP`; all: None)."""
        async with TableState.from_connection_string(
            self.world.azurite.connection_string, prefix=self.world.table_prefix
        ) as state:
            records = await state.list_audit_records(result.cycle.id)
        return [r for r in records if object_type is None or r.object_type is object_type]

    def goto_users(self) -> dict[str, dict[str, Any]]:
        """GoTo accounts by userName (lower-cased, as GoTo compares them), the organization's admin aside."""
        admin = self.world.goto.store.get_admin()["id"]
        return {u["userName"].lower(): u for u in self.world.goto.store.users() if u["id"] != admin}

    def entra_user(self, user_id: str) -> dict[str, Any]:
        return self.world.graph.tenant.user(user_id)


@pytest.fixture
def harness(world: World) -> Harness:
    return Harness(world)
