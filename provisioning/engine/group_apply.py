"""Apply planned group operations to GoTo: create empty then fill, adopt on an exact name, relink.

As for users (apply.py), each operation ends as an `Outcome`; one group's failure never stops the
others, and bad credentials stop the run. A 409 on the name adopts the existing GoTo group only when
its displayName is exactly the Entra group's and no other Entra group is linked to it; then only
the members this function provisions are added (members someone else put there are left alone).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from provisioning.engine.apply import LinkOwners, MatchFailure, Outcome, outcome_of, with_finished
from provisioning.engine.group_plan import MEMBER_TOTAL, MEMBERS
from provisioning.engine.group_target import GroupTarget, TargetGroup
from provisioning.engine.plan import Action, MemberPlan, Operation
from provisioning.errors import ConflictError, NotFoundError
from provisioning.model import AuditStatus, ObjectType

GROUP_NAME_TAKEN = "GroupNameTaken"
GROUP_CONFLICT = "GroupMatchingConflict"


async def apply_group_operations(
    operations: Iterable[Operation],
    target: GroupTarget,
    *,
    owners: LinkOwners | None,
    concurrency: int | Callable[[], int] = 4,
    on_done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Groups side by side (each one's requests in order); UnauthorizedError stops the rest."""
    operations = list(operations)
    limit = concurrency() if callable(concurrency) else concurrency
    gate = asyncio.Semaphore(max(1, limit))

    async def run(op: Operation) -> Outcome:
        async with gate:
            outcome = await apply_group_operation(op, target, owners=owners)
        if on_done is not None:
            on_done(outcome)
        return outcome

    results = await asyncio.gather(*(run(op) for op in operations), return_exceptions=True)
    finished = [r for r in results if isinstance(r, Outcome)]
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise with_finished(errors[0], finished)
    return finished


async def apply_group_operation(op: Operation, target: GroupTarget, *, owners: LinkOwners | None) -> Outcome:
    return await outcome_of(op, _apply(op, target, owners))


async def _apply(op: Operation, target: GroupTarget, owners: LinkOwners | None) -> Outcome:
    if op.action is Action.SKIP:
        return Outcome(op, AuditStatus.SKIPPED, "other", op.target_id)
    if op.action is Action.DELETE:
        assert op.target_id is not None
        existed = await target.delete_group(op.target_id)
        return Outcome(
            op,
            AuditStatus.SUCCESS,
            "delete",
            op.target_id,
            note=None if existed else "GoTo group already gone",
        )
    members = op.members or MemberPlan(())
    if op.action is Action.CREATE:
        return await _create_or_adopt(op, target, owners, members)
    if op.action is Action.UPDATE:
        assert op.target_id is not None
        try:
            if op.values:
                await target.update_group(op.target_id, op.values)
            if members.remove:
                await target.remove_members(op.target_id, members.remove)
            if members.add:
                await target.add_members(op.target_id, members.add)
        except NotFoundError:
            return await _create_or_adopt(op, target, owners, members, note="the linked GoTo group was gone")
        return _done(op, "update", op.target_id, members)
    raise ValueError(f"unknown action {op.action!r}")


async def _create_or_adopt(
    op: Operation,
    target: GroupTarget,
    owners: LinkOwners | None,
    members: MemberPlan,
    *,
    note: str | None = None,
) -> Outcome:
    """Created empty, then filled by PATCH (as Entra does); a taken name adopts an exact match only."""
    desired = dict(op.desired)
    try:
        created = await target.create_group(desired)
    except ConflictError:
        found = await _exact(op, target, desired)
        await _not_anothers(op, found, owners)
        changed = {p: v for p, v in desired.items() if p != "displayName" and v is not None}
        if changed:
            await target.update_group(found.id, changed)
        there = set(found.members)
        missing = [g for g in members.pushed if g not in there]
        if missing:
            await target.add_members(found.id, missing)
        adopted = f"adopted the existing GoTo group named exactly {found.display_name!r}"
        return _done(op, "update", found.id, members, note=f"{note}; {adopted}" if note else adopted)
    if members.pushed:
        await target.add_members(created.id, members.pushed)
    return _done(op, "create", created.id, members, note=note)


async def _exact(op: Operation, target: GroupTarget, desired: dict[str, Any]) -> TargetGroup:
    name = str(desired.get("displayName") or "")
    found = await target.find_group(display_name=name)
    if found is None or found.display_name != name:
        raise MatchFailure(
            GROUP_NAME_TAKEN,
            f"GoTo refused to create group {name!r} (the name is taken, GoTo compares names without "
            "case) and holds no group named exactly so: nothing was adopted or written",
            "Rename the Entra group or the GoTo group so the names match exactly (to adopt it) or "
            "differ (to create a new one); the group is retried in later cycles.",
        )
    return found


async def _not_anothers(op: Operation, found: TargetGroup, owners: LinkOwners | None) -> None:
    link = await owners.get_link_by_target(found.id, object_type=ObjectType.GROUP) if owners else None
    if link is not None and link.source_id != op.source_id:
        raise MatchFailure(
            GROUP_CONFLICT,
            f"Entra groups {op.source_id} and {link.source_id} both match GoTo group {found.id} "
            f"({found.display_name!r}); it is linked to {link.source_id}, so it was not adopted",
            "Two Entra groups assigned to the app have the same name: rename one of them in Entra ID; "
            "the group is retried in later cycles.",
        )


def _done(
    op: Operation, action: str, target_id: str, members: MemberPlan, *, note: str | None = None
) -> Outcome:
    """A truncated group is a warning, never a silent success."""
    written = {**op.desired, MEMBERS: list(members.pushed), MEMBER_TOTAL: members.eligible}
    status = AuditStatus.SUCCESS
    if members.truncated:
        status = AuditStatus.WARNING
        cut = (
            f"truncated: {members.eligible} provisioned members in Entra, {len(members.pushed)} pushed "
            f"(GROUP_MEMBER_CAP={members.cap})"
        )
        note = f"{note}; {cut}" if note else cut
    return Outcome(op, status, action, target_id, written, note=note)
