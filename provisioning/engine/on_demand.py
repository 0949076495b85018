"""Provision one object now, whatever the watermark: Entra's "Provision on demand".

The same path as a cycle (read, scope, match, plan, apply, record) for one user, reported step by
step in the shape of Entra's provisioningSteps. It takes the single-flight lease, so it never
writes to GoTo at the same time as a cycle, and it clears the object's retry backoff.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from provisioning.engine.apply import apply_operation
from provisioning.engine.cycle import SyncEngine
from provisioning.engine.group_sync import plan_groups
from provisioning.engine.groups import GroupDelta
from provisioning.engine.lease import NoLease
from provisioning.engine.plan import Action, Operation
from provisioning.engine.run import CycleRun
from provisioning.engine.scope import AssignmentIndex
from provisioning.errors import InputError, SourceNotFoundError
from provisioning.model import AuditStatus, CycleStatus, UserChange

MAX_GROUP_MEMBERS = 5  # as Entra's on-demand provisioning of a group
LEASE_WAIT_SECONDS = 20.0
BUSY = "a provisioning cycle is running; try again when it has finished"


@dataclass
class Step:
    name: str
    step_type: str  # import | scoping | matching | processing | export
    status: str  # success | skipped | failure
    description: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "provisioningStepType": self.step_type,
            "status": self.status,
            "description": self.description,
            "details": self.details,
        }


@dataclass
class OnDemandResult:
    entra_id: str
    steps: list[Step] = field(default_factory=list)
    operation: Operation | None = None
    status: str = "skipped"
    target_id: str | None = None
    cycle_id: str | None = None
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        op = self.operation
        return {
            "entraId": self.entra_id,
            "cycleId": self.cycle_id,
            "dryRun": self.dry_run,
            "action": op.action.value if op else "none",
            "status": self.status,
            "targetId": self.target_id,
            "provisioningSteps": [s.as_dict() for s in self.steps],
            "modifiedProperties": [
                {"displayName": c.path, "oldValue": c.old, "newValue": c.new}
                for c in (op.changes if op else ())
            ],
        }


class OnDemand:
    """One object at a time over a SyncEngine's adapters and state."""

    def __init__(self, engine: SyncEngine) -> None:
        self.engine = engine

    async def provision_user(
        self, user_id: str, *, dry_run: bool = False, initiated_by: str = "on-demand"
    ) -> OnDemandResult:
        engine = self.engine
        run = CycleRun.start("on-demand", initiated_by=initiated_by, dry_run=dry_run, clock=engine.clock)
        result = OnDemandResult(user_id, cycle_id=run.cycle.id, dry_run=dry_run)
        source = await engine.source.get_user(user_id, select=engine.select)
        if source is None:
            raise SourceNotFoundError(
                f"user {user_id} does not exist in Entra ID (or is deleted)", status=404
            )
        name = source.get("userPrincipalName") or source.get("displayName")
        result.steps.append(
            Step(
                "EntraImport", "import", "success", f"read user {name} from Microsoft Graph", _public(source)
            )
        )
        lease = (
            NoLease() if dry_run else engine.lease(run.cycle.id, wait=LEASE_WAIT_SECONDS, busy_message=BUSY)
        )
        async with lease:
            run.lease = lease
            async with engine.recorded(run):
                await self._provision(user_id, source, run, result)
                run.cycle.status = (
                    CycleStatus.FINISHED_WITH_FAILURES
                    if result.status == "failure"
                    else CycleStatus.SUCCEEDED
                )
        return result

    async def _provision(
        self, user_id: str, source: dict[str, Any], run: CycleRun, result: OnDemandResult
    ) -> None:
        """Planned from the user as just read: a link's snapshot may be older than Entra."""
        engine = self.engine
        index = await self._index_for(user_id)
        await engine.read_roles()
        link = await engine.state.get_link(user_id)
        fresh = UserChange(user_id, {k: v for k, v in source.items() if k != "id"})
        candidate = await engine.candidate(user_id, fresh, link, index)
        assert candidate is not None  # the user exists (just read)
        scope = candidate.scope
        result.steps.append(
            Step(
                "EntraScoping",
                "scoping",
                "success" if scope.in_scope else "skipped",
                ("in scope: " if scope.in_scope else "out of scope: ") + scope.reason,
                {"appRoleId": scope.app_role_id, "scope": scope.kind.value},
            )
        )
        matched = await self._match_step(candidate.link, dict(candidate.source or {}), result)
        op = await engine.plan(candidate)
        result.operation = op
        if op is None:
            result.steps.append(
                Step("Action", "processing", "skipped", "GoTo already matches Entra: nothing to do")
            )
            result.status = "skipped"
            return
        adopts = " (adopting the matched GoTo account)" if op.action is Action.CREATE and matched else ""
        result.steps.append(
            Step("Action", "processing", "success", f"{op.action.value}{adopts}: {op.reason}")
        )
        if run.dry_run:
            result.steps.append(Step("Export", "export", "skipped", "dry run: nothing was written to GoTo"))
            result.status = "dry-run"
            await engine.recorder.record_dry_run(run, [op])
            return
        run.lease.check()
        outcome = await apply_operation(op, engine.writer(run), engine.mapping, owners=engine.state)
        run.applied(outcome, link)
        snapshots = {user_id: dict(candidate.source or {})}
        await engine.recorder.record(run, [outcome], {user_id: link}, snapshots=snapshots)
        result.target_id = outcome.target_id
        result.status = outcome.status.value
        description = f"{outcome.action} in GoTo" + (f" ({outcome.note})" if outcome.note else "")
        if outcome.status is AuditStatus.FAILURE:
            description = f"{outcome.error_code}: {outcome.error_reason}"
        result.steps.append(
            Step("Export", "export", outcome.status.value, description, {"targetId": outcome.target_id})
        )

    async def provision_group(
        self, group_id: str, *, member_ids: list[str] | None = None, dry_run: bool = False
    ) -> dict[str, Any]:
        """A group's direct user members (at most 5, as Entra allows), each through provision_user."""
        members = [
            m.member_id
            for m in await self.engine.source.list_group_members(group_id)
            if m.member_type == "user"
        ]
        chosen = members if member_ids is None else [m for m in member_ids if m in members]
        unknown = sorted(set(member_ids or []) - set(members))
        if unknown:
            raise InputError("memberIds", f"{unknown[0]} is not a direct user member of group {group_id}")
        if len(chosen) > MAX_GROUP_MEMBERS:
            limit = f"choose at most {MAX_GROUP_MEMBERS} with memberIds, as Entra allows"
            raise InputError("memberIds", f"the group has {len(chosen)} user members; {limit}")
        results = [await self.provision_user(m, dry_run=dry_run) for m in chosen]
        return {
            "entraId": group_id,
            "dryRun": dry_run,
            "group": await self._push_group(
                group_id, set(members), dry_run=dry_run, planned=[r.operation for r in results if r.operation]
            ),
            "members": [r.as_dict() for r in results],
        }

    async def _push_group(
        self, group_id: str, members: set[str], *, dry_run: bool, planned: list[Operation]
    ) -> dict[str, Any]:
        """The group itself, after its chosen members: created, renamed, refilled or removed, with
        the members this function provisions (all of them, not only those chosen now). A dry run
        counts the members it would have created (`planned`)."""
        engine = self.engine
        if engine.groups is None:
            return {"status": "skipped", "action": "none", "description": "groups are not pushed to GoTo"}
        run = CycleRun.start("on-demand", initiated_by="on-demand", dry_run=dry_run, clock=engine.clock)
        assignments = [
            a
            for a in await engine.source.list_assignments(engine.sp_id)
            if a.principal_type in ("User", "Group")
        ]
        index = AssignmentIndex(assignments, {group_id: members})
        if dry_run:
            run.result.planned.extend(planned)
        delta = GroupDelta(relisted={group_id})
        lease = (
            NoLease() if dry_run else engine.lease(run.cycle.id, wait=LEASE_WAIT_SECONDS, busy_message=BUSY)
        )
        async with lease:
            run.lease = lease
            async with engine.recorded(run):

                async def index_for() -> AssignmentIndex:
                    return index

                work = await plan_groups(
                    engine.source,
                    engine.state,
                    engine.groups,
                    run,
                    assignments,
                    index_for,
                    delta,
                    retries=set(),
                    only={group_id},
                )
                operations = [*work.operations, *(h.operation for h in work.held)]
                if run.dry_run:
                    await engine.recorder.record_dry_run(run, operations)
                elif operations:
                    await engine.apply(run, operations, work.links, snapshots=work.snapshots)
                run.cycle.status = (
                    CycleStatus.FINISHED_WITH_FAILURES if run.failures() else CycleStatus.SUCCEEDED
                )
        if not operations:
            return {
                "status": "skipped",
                "action": "none",
                "cycleId": run.cycle.id,
                "description": "GoTo already matches Entra: nothing to do",
            }
        op = operations[0]
        record = run.result.failed_records[0] if run.result.failed_records else None
        status = "dry-run" if dry_run else ("failure" if record else "success")
        return {
            "status": status,
            "action": op.action.value,
            "cycleId": run.cycle.id,
            "targetId": op.target_id,
            "description": (f"{record.error_code}: {record.error_reason}" if record else op.reason),
            "members": op.members.describe() if op.members else None,
            "modifiedProperties": [
                {"displayName": c.path, "oldValue": c.old, "newValue": c.new} for c in op.changes
            ],
        }

    async def _index_for(self, user_id: str) -> AssignmentIndex:
        """Fresh assignments, and the user's membership of each assigned group read now."""
        engine = self.engine
        assignments = [
            a
            for a in await engine.source.list_assignments(engine.sp_id)
            if a.principal_type in ("User", "Group")
        ]
        members: dict[str, set[str]] = {}
        for group_id in {a.principal_id for a in assignments if a.principal_type == "Group"}:
            found = await engine.source.list_group_members(group_id)
            members[group_id] = {
                m.member_id for m in found if m.member_type == "user" and m.member_id == user_id
            }
        return AssignmentIndex(assignments, members)

    async def _match_step(self, link: Any, source: dict[str, Any], result: OnDemandResult) -> str | None:
        engine = self.engine
        if link is not None:
            result.steps.append(
                Step(
                    "GoToMatching",
                    "matching",
                    "success",
                    f"linked to GoTo account {link.target_id}",
                    {"targetId": link.target_id, "matchedBy": "link"},
                )
            )
            return None
        values = engine.mapping.map_user(source, creating=True)
        for row in engine.mapping.matching:
            value = values.get(row.target)
            if value is None:
                continue
            found = await engine.target.find_user(path=row.target, value=value)
            if found is not None:
                result.steps.append(
                    Step(
                        "GoToMatching",
                        "matching",
                        "success",
                        f"matched GoTo account {found.id} on {row.target}",
                        {"targetId": found.id, "matchedBy": row.target},
                    )
                )
                return found.id
        result.steps.append(
            Step("GoToMatching", "matching", "success", "no GoTo account matches: it would be created")
        )
        return None


def _public(source: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in source.items() if not k.startswith("@")}
