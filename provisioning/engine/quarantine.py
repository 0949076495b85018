"""The quarantine row and the admin's mail: entered on bad credentials, held deprovisions or too many
failures; lifted by a good cycle (or, for held deprovisions, by the admin's decision)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provisioning.engine.decisions import HELD_REASONS, failure_verdict
from provisioning.engine.ports import Notify, StateStore
from provisioning.engine.run import Clock, CycleRun
from provisioning.model import CycleStatus

QUARANTINE = "quarantine"


class Quarantine:
    def __init__(self, state: StateStore, clock: Clock, notify: Notify | None) -> None:
        self.state = state
        self.clock = clock
        self.notify = notify

    async def get(self) -> dict[str, Any] | None:
        return await self.state.get_control(QUARANTINE)

    async def enter(self, reason: str, detail: str) -> None:
        now = self.clock().isoformat()
        existing = await self.get()
        since = existing.get("Since") if existing and existing.get("Reason") == reason else now
        await self.state.set_control(
            QUARANTINE, {"Reason": reason, "Since": since, "LastAttempt": now, "Detail": detail[:1000]}
        )
        if reason == "credentials":
            await self.tell("credentials", {"detail": detail})
        await self.tell("quarantine", {"reason": reason, "since": since, "detail": detail})

    async def lift(self, *, held: bool) -> None:
        """Lift a quarantine of the kind a run may lift: held-for-an-admin ones only when `held`."""
        current = await self.get()
        if current is not None and (current.get("Reason") in HELD_REASONS) == held:
            await self.state.delete_control(QUARANTINE)

    async def settle(self, run: CycleRun) -> None:
        """After a finished cycle: quarantine on too many failures, mail the failed objects, or lift."""
        if run.cycle.status is CycleStatus.STOPPED:
            return
        verdict, detail = failure_verdict(run.counts)
        if verdict == "quarantine":
            await self.enter("too-many-failures", detail or "")
            return
        if verdict == "digest":
            await self.tell("failed_objects", {"cycle": run.cycle.id, "records": run.result.failed_records})
        await self.lift(held=False)

    async def tell(self, condition: str, details: Mapping[str, Any]) -> None:
        if self.notify is not None:
            await self.notify(condition, details)
