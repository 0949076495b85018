"""The whole engine against a fake Entra and a fake GoTo, on the in-memory state store (no I/O,
milliseconds) and on Table Storage (Azurite): the same scenarios on both, so the fast runs prove
what production does. A test that replays many cycles (the crash matrix) asks for memory only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from provisioning.engine.cycle import EngineOptions, SyncEngine
from provisioning.engine.group_sync import GroupPolicy
from provisioning.engine.licenses import LicenseMap
from provisioning.engine.run import CycleResult
from provisioning.mapping.file import load_default
from provisioning.state.tables import TableState
from tests.engine.fakes import SP, FakeGroups, FakeSource, FakeTarget
from tests.fixtures.azurite import STORES, state_store


@dataclass
class Bench:
    """One tenant, one GoTo, one store; `cycle()` runs exactly what the timer runs."""

    state: TableState
    source: FakeSource = field(default_factory=FakeSource)
    target: FakeTarget = field(default_factory=FakeTarget)
    told: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    groups: FakeGroups | None = None  # set: groups are pushed to GoTo (`push_groups()`)
    group_options: dict[str, Any] = field(default_factory=dict)
    licenses: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def push_groups(self, **options: Any) -> FakeGroups:
        """From now on the engine pushes groups (GroupPolicy options: member_cap, deprovision_action)."""
        self.groups = self.groups or FakeGroups(self.target)
        self.group_options = options
        return self.groups

    def engine(self, **options: Any) -> SyncEngine:
        clock = options.pop("clock", None)
        mapping = options.pop("mapping", None)
        extra: dict[str, Any] = {}
        if self.groups is not None:
            policy = GroupPolicy(load_default().groups, **self.group_options)
            extra = {"groups": policy, "group_target": self.groups}
        if self.licenses:
            extra["licenses"] = LicenseMap(self.licenses)

        async def notify(condition: str, details: Any) -> None:
            self.told.append((condition, dict(details)))

        return SyncEngine(
            source=self.source,
            target=self.target,
            state=self.state,
            service_principal_id=SP,
            **({"mapping": mapping} if mapping is not None else {}),
            options=EngineOptions(**options),
            notify=notify,
            clock=clock,
            **extra,
        )

    async def cycle(
        self,
        *,
        dry_run: bool = False,
        initiated_by: str = "timer",
        at: datetime | None = None,
        **options: Any,
    ) -> CycleResult:
        engine = self.engine(clock=(lambda: at) if at else None, **options)
        return await engine.run_cycle(dry_run=dry_run, initiated_by=initiated_by)

    def seed(self, users: int = 8) -> list[str]:
        """`users` users, the first half assigned directly, the rest through group g1; u-extra unassigned."""
        ids = [f"u{i:02d}" for i in range(users)]
        for user_id in ids:
            self.source.add_user(user_id)
        for user_id in ids[: users // 2]:
            self.source.assign(user_id)
        self.source.add_group("g1", *ids[users // 2 :])
        self.source.assign("g1", kind="Group")
        self.source.add_user("u-extra")
        return ids


@pytest.fixture(params=STORES)
async def bench(request: pytest.FixtureRequest, table_prefix: str) -> AsyncIterator[Bench]:
    async with state_store(request, request.param, prefix=table_prefix) as opened:
        yield Bench(opened)
