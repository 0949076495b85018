"""Crash test: an initial cycle of 150 users (two Graph pages), then an incremental cycle with every
kind of change, are stopped at every k-th external call (Graph, GoTo, Tables) — by an injected
exception, and separately by killing the process. After each kill one rerun must leave GoTo exactly
right: no duplicate, no lost change, and an audit record for every applied action."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from provisioning.config import load_settings
from provisioning.service import open_services
from provisioning.state.tables import TableState
from sandbox.graph import APP_ROLE_USER_ID, DEFAULT_ACCESS_ROLE_ID, Tenant
from sandbox.world import World

pytestmark = pytest.mark.slow

# Every store call is a kill point in tests/engine/test_cycle_crash_matrix.py (in memory, in ms);
# here, on the wire (Azurite and both simulators), a spread of 6 per phase.
KILL_POINTS_PER_PHASE = 6
PROCESS_KILL_POINTS_PER_PHASE = 4
Snapshot = dict[str, tuple[Any, ...]]


class Killed(BaseException):
    """The crash: a BaseException, so no `except Exception` in the product can swallow it."""


def build_tenant(tenant: Tenant) -> dict[str, Any]:
    tenant.seed(150, 6, seed=11)
    groups = [g["id"] for g in tenant.groups()]
    for group in groups[:3]:
        tenant.assign(group, app_role_id=APP_ROLE_USER_ID)
    in_groups = {u for g in groups[:3] for u, _ in tenant.members(g)}
    outside = [u["id"] for u in tenant.users() if u["id"] not in in_groups]
    for user in outside[:10]:
        tenant.assign(user, app_role_id=APP_ROLE_USER_ID)
    tenant.assign(outside[10], app_role_id=DEFAULT_ACCESS_ROLE_ID)
    in_scope = sorted(in_groups | set(outside[:10]))
    tenant.soft_delete_user(in_scope[0])  # restored in the incremental phase
    return {"groups": groups, "direct": outside[:10], "outside": outside[11:], "in_scope": in_scope}


def change_everything(tenant: Tenant, seeded: dict[str, Any]) -> None:
    """One of each kind of change the incremental cycle must carry over."""
    in_scope, groups = seeded["in_scope"], seeded["groups"]
    tenant.restore_user(in_scope[0])
    tenant.update_user(in_scope[1], displayName="Renamed Person", surname="Person")
    tenant.disable_user(in_scope[2])
    tenant.soft_delete_user(in_scope[3])
    tenant.hard_delete_user(in_scope[4])
    tenant.unassign(next(u for u in seeded["direct"] if u not in in_scope[:5]))  # not changed above
    tenant.unassign(groups[2])
    tenant.add_member(groups[0], seeded["outside"][0])
    member = next(
        u for u, _ in tenant.members(groups[1]) if u not in {m for m, _ in tenant.members(groups[0])}
    )
    tenant.remove_member(groups[1], member)
    tenant.assign(seeded["outside"][1], app_role_id=APP_ROLE_USER_ID)


class Crashable:
    """Runs cycles against one world, each in a fresh event loop (a crash leaves no task behind)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.prefix = ""

    def env(self) -> dict[str, str]:
        return self.world.env(GOTO_RATE_LIMIT_PER_SECOND="1000", STATE_TABLE_PREFIX=self.prefix)

    def fresh(self) -> dict[str, Any]:
        self.prefix = "c" + uuid.uuid4().hex[:10]
        self.world.goto.reset()
        self.world.goto.configure(rate_limit_per_second=1000)
        return build_tenant(self.world.graph.tenant)

    def cycle(self, *, kill_at: int | None = None) -> tuple[str, int]:
        """(status or 'killed', external calls made)."""
        calls = 0

        def observe(kind: str) -> None:
            nonlocal calls
            calls += 1
            if calls == kill_at:
                raise Killed(f"stopped at call {calls} ({kind})")

        async def run() -> str:
            settings = load_settings(self.env())
            async with open_services(settings, observe_call=observe) as services:
                result = await services.engine(settings).run_cycle(initiated_by="crash-test")
                return result.cycle.status

        try:
            return asyncio.run(run()), calls
        except Killed:
            return "killed", calls

    def expire_lease(self) -> None:
        """A crashed holder's lease runs out; the test does not wait 90 s for it."""

        async def run() -> None:
            async with TableState.from_connection_string(
                self.world.azurite.connection_string, prefix=self.prefix
            ) as state:
                holder = await state.get_control("lease")
                if holder is not None:
                    await state.release_lease(str(holder["Holder"]))

        asyncio.run(run())

    def goto_state(self) -> Snapshot:
        admin = self.world.goto.store.get_admin()["id"]
        state: Snapshot = {}
        for u in self.world.goto.store.users():
            if u["id"] == admin:
                continue
            name = u.get("name", {})
            emails = tuple(e.get("value") for e in u.get("emails", []))
            key = u["userName"].lower()
            assert key not in state, f"duplicate GoTo account for {key}"
            state[key] = (
                u.get("active"),
                u.get("displayName"),
                name.get("givenName"),
                name.get("familyName"),
                emails,
            )
        return state

    def assert_audited(self) -> None:
        """Every account GoTo holds was created or adopted on record; every inactive one was disabled."""

        async def records() -> list[Any]:
            async with TableState.from_connection_string(
                self.world.azurite.connection_string, prefix=self.prefix
            ) as state:
                found = []
                for cycle in await state.list_cycles(limit=100):
                    found.extend(await state.list_audit_records(cycle.id))
                return found

        done = [r for r in asyncio.run(records()) if r.status.value == "success"]
        written = {r.target_id for r in done if r.action in ("create", "update")}
        disabled = {r.target_id for r in done if r.action == "disable"}
        admin = self.world.goto.store.get_admin()["id"]
        for account in self.world.goto.store.users():
            if account["id"] == admin:
                continue
            assert account["id"] in written, f"no create/update record for {account['userName']}"
            if account.get("active") is False:
                assert account["id"] in disabled, f"no disable record for {account['userName']}"


def _phase(crash: Crashable, *, incremental: bool) -> Callable[[], None]:
    def prepare() -> None:
        seeded = crash.fresh()
        if incremental:
            status, _ = crash.cycle()
            assert status == "succeeded"
            change_everything(crash.world.graph.tenant, seeded)

    return prepare


@pytest.mark.parametrize("incremental", [False, True], ids=["initial-150", "incremental-every-change"])
def test_killed_at_every_kth_call_converges(world: World, incremental: bool) -> None:
    crash = Crashable(world)
    prepare = _phase(crash, incremental=incremental)
    prepare()
    status, total = crash.cycle()
    assert status == "succeeded"
    expected = crash.goto_state()
    stride = max(1, total // KILL_POINTS_PER_PHASE)

    tried = 0
    for kill_at in range(1, total + 1, stride):
        prepare()
        status, _ = crash.cycle(kill_at=kill_at)
        assert status == "killed", kill_at
        crash.expire_lease()
        rerun, _ = crash.cycle()
        assert rerun == "succeeded", kill_at
        assert crash.goto_state() == expected, f"kill at call {kill_at} of {total}"
        crash.assert_audited()
        tried += 1
    print(f"\n{'incremental' if incremental else 'initial'}: {tried} kill points over {total} calls")
    assert tried >= KILL_POINTS_PER_PHASE


@pytest.mark.parametrize("incremental", [False, True], ids=["initial-150", "incremental-every-change"])
def test_killed_process_converges(world: World, incremental: bool) -> None:
    crash = Crashable(world)
    prepare = _phase(crash, incremental=incremental)
    prepare()
    counters = (world.graph.counters, world.goto.counters)
    before = sum(c.total() for c in counters)
    assert crash.cycle()[0] == "succeeded"
    sim_calls = sum(c.total() for c in counters) - before
    expected = crash.goto_state()

    tried = 0
    for n in range(1, PROCESS_KILL_POINTS_PER_PHASE + 1):
        prepare()
        kill_after = before_kill = sum(c.total() for c in counters)
        kill_after += n * sim_calls // (PROCESS_KILL_POINTS_PER_PHASE + 1)
        process = subprocess.Popen(
            [sys.executable, "-m", "provisioning", "sync"],
            env={**os.environ, **crash.env()},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while process.poll() is None and sum(c.total() for c in counters) < kill_after:
            time.sleep(0.001)
        killed = process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        assert killed, f"the process finished before call {kill_after - before_kill}"
        crash.expire_lease()
        assert crash.cycle()[0] == "succeeded"
        assert crash.goto_state() == expected, f"process killed near call {kill_after - before_kill}"
        crash.assert_audited()
        tried += 1
    print(f"\n{'incremental' if incremental else 'initial'}: {tried} process kills")
