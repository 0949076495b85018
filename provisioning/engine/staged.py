"""Deprovisions staged by the accidental-deletion guard, settled by an admin.

Approval over HTTP is recorded (a control row) and applied by the next cycle under the lease and the
time budget: Flex Consumption cuts HTTP requests at 230 s, and hundreds of GoTo writes take longer.
Applied work is recognised from the links, so an approval cut by the budget goes on where it stopped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from provisioning.engine.plan import Action, Operation
from provisioning.engine.planned import PlannedOperations
from provisioning.engine.records import Held, held_row, load_held, rejected_record, staged_record
from provisioning.engine.run import CycleResult, CycleRun
from provisioning.model import AuditStatus, CycleStatus

if TYPE_CHECKING:
    from provisioning.engine.cycle import SyncEngine

STAGED = "staged"  # deprovisions held for an admin (accidental-deletion threshold, empty source)
STAGED_DECISION = "staged-decision"  # an admin's approval, applied by the next cycle
STAGED_CHUNK = 100  # approvals are applied, and checked against the time budget, in chunks
STAGED_BUSY = "a cycle is running; try again when it has finished"


class StagedDeprovisions:
    def __init__(self, engine: SyncEngine) -> None:
        self.engine = engine
        self.state = engine.state

    async def list(self) -> list[Operation]:
        return [h.operation for h in await load_held(self.state, STAGED)]

    async def stage(self, run: CycleRun, held: Sequence[Held], reason: str, detail: str) -> None:
        """Hold a cycle's deprovisions for an admin (the deletion guard said no): staged rows,
        `stagedDelete` records, the quarantine, and one mail saying how many of each."""
        operations = [h.operation for h in held]
        await self.state.add_held_operations(STAGED, [held_row(h) for h in held])
        records = [staged_record(run.cycle, op, detail) for op in operations]
        run.counts.add("stagedDelete", AuditStatus.SKIPPED, len(records))
        await self.state.add_audit_records(records)
        await self.engine.quarantine.enter(reason, detail)
        deletes = sum(1 for op in operations if op.action is Action.DELETE)
        summary = {
            "reason": reason,
            "detail": detail,
            "disables": len(operations) - deletes,
            "deletes": deletes,
        }
        await self.engine.quarantine.tell("staged_deletes", summary)

    async def request_approval(self, *, initiated_by: str = "admin") -> dict[str, Any]:
        staged = len(await self.state.list_held_operations(STAGED))
        if staged == 0:
            return {"accepted": False, "staged": 0, "detail": "nothing is staged"}
        when = self.engine.clock().isoformat()
        await self.state.set_control(
            STAGED_DECISION, {"Decision": "approve", "By": initiated_by, "At": when, "Staged": staged}
        )
        return {
            "accepted": True,
            "staged": staged,
            "decidedAt": when,
            "detail": "approval recorded: the next timer cycle applies the staged deprovisions",
            "watch": {"status": "GET /api/status", "logs": "GET /api/logs?action=disable"},
        }

    async def approval_pending(self) -> bool:
        decision = await self.state.get_control(STAGED_DECISION)
        return decision is not None and decision.get("Decision") == "approve"

    async def settle(
        self, *, approve: bool, initiated_by: str = "admin", lease_wait: float = 0.0
    ) -> CycleResult:
        engine = self.engine
        kind = "staged-approval" if approve else "staged-rejection"
        run = CycleRun.start(kind, initiated_by=initiated_by, dry_run=False, clock=engine.clock)
        async with engine.lease(run.cycle.id, wait=lease_wait, busy_message=STAGED_BUSY) as lease:
            run.lease = lease
            async with engine.recorded(run):
                await self._settle(run, approve=approve)
        return run.result

    async def _settle(self, run: CycleRun, *, approve: bool) -> None:
        engine = self.engine
        held = await load_held(self.state, STAGED)
        run.result.planned = PlannedOperations(h.operation for h in held)
        if approve:
            todo = [h for h in held if not h.already_done()]
            for start in range(0, len(todo), STAGED_CHUNK):
                if run.elapsed() > engine.options.time_budget_seconds:
                    run.cycle.status = CycleStatus.STOPPED
                    run.cycle.detail = "at the time budget: the next timer cycle goes on approving"
                    return
                chunk = todo[start : start + STAGED_CHUNK]
                links = {h.operation.source_id: h.link for h in chunk if h.link is not None}
                await engine.apply(run, [h.operation for h in chunk], links)
        else:
            records = [rejected_record(run.cycle, h.operation) for h in held]
            run.counts.add("other", AuditStatus.SKIPPED, len(records))
            await self.state.add_audit_records(records)
        run.lease.check()
        await self.state.clear_held_operations(STAGED)
        await self.state.delete_control(STAGED_DECISION)
        await engine.quarantine.lift(held=True)
        run.cycle.status = run.finished()
