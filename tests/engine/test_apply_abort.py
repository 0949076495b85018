"""Issue 10, observation 10: when one operation raises (bad credentials mid-run), every write that
happened still gets its Outcome. In-flight siblings are awaited, none new starts, the exception is
re-raised with the finished outcomes attached (`finished_outcomes`).

The target is a fake (pure engine logic, no I/O): it holds each update until told to finish, so
the test controls which operations are in flight when the failure comes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from provisioning.engine.apply import Outcome, TargetUser, apply_operations, finished_outcomes
from provisioning.engine.plan import Action, Change, Operation
from provisioning.errors import UnauthorizedError
from provisioning.mapping.attributes import DEFAULT_USER_MAPPING
from provisioning.model import AuditStatus

WORK = 'emails[type eq "work"].value'


class HeldTarget:
    """update_user waits on a per-user gate; the user named `failing` raises UnauthorizedError."""

    def __init__(self, failing: str) -> None:
        self.failing = failing
        self.gates: dict[str, asyncio.Event] = {}
        self.started: list[str] = []
        self.written: list[str] = []
        self.currents: dict[str, Mapping[str, Any] | None] = {}
        self.failed = asyncio.Event()

    async def find_user(self, *, path: str, value: Any) -> TargetUser | None:
        return None

    async def create_user(self, values: Mapping[str, Any]) -> TargetUser:
        raise AssertionError("not used")

    async def update_user(
        self, target_id: str, values: Mapping[str, Any], *, current: Mapping[str, Any] | None = None
    ) -> None:
        self.started.append(target_id)
        self.currents[target_id] = current
        if target_id == self.failing:
            await asyncio.sleep(0)
            self.failed.set()
            raise UnauthorizedError("update user: GoTo answered HTTP 401", status=401)
        await self.gates.setdefault(target_id, asyncio.Event()).wait()
        self.written.append(target_id)

    async def delete_user(self, target_id: str) -> bool:
        raise AssertionError("not used")


def update(n: int) -> Operation:
    return Operation(Action.UPDATE, f"entra-{n}", "changed", f"goto-{n}", values={"displayName": f"U{n}"})


async def test_in_flight_writes_are_awaited_and_returned_with_the_error() -> None:
    target = HeldTarget(failing="goto-2")
    operations = [update(n) for n in range(6)]
    done: list[Outcome] = []

    async def release_later() -> None:  # the writes in flight finish after the failure happened
        await target.failed.wait()
        for _ in range(5):
            await asyncio.sleep(0)
        for n in (0, 1):
            target.gates.setdefault(f"goto-{n}", asyncio.Event()).set()

    releaser = asyncio.create_task(release_later())
    with pytest.raises(UnauthorizedError) as caught:
        await apply_operations(operations, target, DEFAULT_USER_MAPPING, concurrency=3, on_done=done.append)
    await releaser

    finished = finished_outcomes(caught.value)
    assert [o.operation.source_id for o in finished] == ["entra-0", "entra-1"]
    assert all(o.status is AuditStatus.SUCCESS and o.action == "update" for o in finished)
    assert target.written == ["goto-0", "goto-1"]
    assert target.started == ["goto-0", "goto-1", "goto-2"]  # nothing new started after the failure
    assert done == finished


async def test_updates_carry_the_last_written_values() -> None:
    """The link's last-written values reach the target as `current`: a strict peer needs to know
    whether the work e-mail exists (add it) or not (replace it)."""
    target = HeldTarget(failing="none")
    target.gates["goto-7"] = asyncio.Event()
    target.gates["goto-7"].set()
    op = Operation(
        Action.UPDATE,
        "entra-7",
        "mail set",
        "goto-7",
        values={WORK: "new@contoso.com"},
        changes=(Change(WORK, None, "new@contoso.com"),),
    )
    outcomes = await apply_operations([op], target, DEFAULT_USER_MAPPING, concurrency=1)
    assert outcomes[0].status is AuditStatus.SUCCESS
    assert target.currents["goto-7"] == {WORK: None}


def test_an_exception_that_did_not_come_from_apply_has_no_outcomes() -> None:
    assert finished_outcomes(RuntimeError("x")) == []
