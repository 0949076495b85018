"""The group planner: from an Entra group, its link and its provisioned members, the one operation.

Pure, like plan.py. A group's GoTo members are the GoTo accounts of its direct Entra user members
that this function provisions; at most GROUP_MEMBER_CAP of them are pushed, those already in GoTo
first and then by Entra object id, so a group over the cap does not churn from cycle to cycle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from provisioning.engine.plan import Action, Change, MemberPlan, Operation
from provisioning.mapping.attributes import GroupMapping
from provisioning.model import Link, ObjectType

GroupDeprovisionAction = Literal["delete", "keep"]
MEMBERS = "members"  # where a group link keeps the GoTo ids it pushed
MEMBER_TOTAL = "memberTotal"  # how many members were eligible when last pushed (truncation)
REASON_ASSIGNED = "assigned to the app"
REASON_UNASSIGNED = "no longer assigned to the app"
REASON_DELETED = "deleted in Entra"
KEPT = "GROUP_DEPROVISION_ACTION=keep leaves the GoTo group as it is, no longer managed"


@dataclass(frozen=True, slots=True)
class GroupCandidate:
    """One group to decide on. `members`: Entra user id -> GoTo id of its provisioned direct members."""

    group_id: str
    source: Mapping[str, Any] | None  # the Entra group's attributes (None when gone)
    link: Link | None
    assigned: bool
    deleted: bool = False
    members: Mapping[str, str] | None = None


def member_plan(eligible: Mapping[str, str], pushed: Sequence[str], *, cap: int) -> MemberPlan:
    """What to push: members already pushed first (no churn), then by Entra id, at most `cap`."""
    wanted = set(eligible.values())
    kept = [g for g in pushed if g in wanted]
    if len(kept) > cap:  # the cap was lowered: keep a stable part of what is there
        order = {goto: entra for entra, goto in eligible.items()}
        kept = sorted(kept, key=lambda g: order[g])[:cap]
    have = set(kept)
    fresh = [eligible[e] for e in sorted(eligible) if eligible[e] not in have]
    chosen = sorted({*kept, *fresh[: max(0, cap - len(kept))]})
    before = set(pushed)
    return MemberPlan(
        pushed=tuple(chosen),
        add=tuple(g for g in chosen if g not in before),
        remove=tuple(sorted(before - set(chosen))),
        eligible=len(wanted),
        cap=cap,
    )


def plan_group(
    candidate: GroupCandidate,
    mapping: GroupMapping,
    *,
    cap: int,
    deprovision_action: GroupDeprovisionAction = "delete",
) -> Operation | None:
    """The one operation this group needs now, or None when GoTo already matches."""
    link, gid = candidate.link, candidate.group_id
    display = _display_name(candidate)
    if candidate.deleted or not candidate.assigned:
        if link is None or not link.active:
            return None
        reason = REASON_DELETED if candidate.deleted else REASON_UNASSIGNED
        if deprovision_action == "keep":
            return _group_op(Action.SKIP, gid, f"{reason}; {KEPT}", link.target_id, display)
        return _group_op(Action.DELETE, gid, reason, link.target_id, display)
    if candidate.source is None or candidate.members is None:
        raise ValueError(f"group {gid} is assigned but its attributes or members are unknown")
    source = {"id": gid, **candidate.source}
    if link is None:
        values = mapping.map_group(source, creating=True)
        members = member_plan(candidate.members, (), cap=cap)
        changes = tuple(Change(p, None, v) for p, v in values.items() if v is not None)
        changes += _member_change(None, members)
        return _group_op(Action.CREATE, gid, REASON_ASSIGNED, None, display, values, changes, values, members)
    pushed = [str(g) for g in link.written.get(MEMBERS) or ()]
    members = member_plan(candidate.members, pushed, cap=cap)
    values = mapping.map_group(source, creating=not link.active)
    changed = {p: v for p, v in values.items() if link.written.get(p) != v or not link.active}
    total_moved = link.written.get(MEMBER_TOTAL) != members.eligible and members.truncated
    if not changed and not members.add and not members.remove and not total_moved and link.active:
        return None
    changes = tuple(Change(p, link.written.get(p), v) for p, v in changed.items())
    changes += _member_change(pushed, members)
    reason = f"re-managed: {REASON_ASSIGNED}" if not link.active else "changed in Entra"
    desired = mapping.map_group(source, creating=True)
    return _group_op(Action.UPDATE, gid, reason, link.target_id, display, changed, changes, desired, members)


def _member_change(pushed: Sequence[str] | None, members: MemberPlan) -> tuple[Change, ...]:
    if pushed is None and not members.pushed:
        return ()
    if not members.add and not members.remove and not members.truncated:
        return ()
    old = f"{len(pushed)} members" if pushed is not None else None
    return (Change(MEMBERS, old, members.describe()),)


def _group_op(
    action: Action,
    group_id: str,
    reason: str,
    target_id: str | None,
    display: str | None,
    values: Mapping[str, Any] | None = None,
    changes: tuple[Change, ...] = (),
    desired: Mapping[str, Any] | None = None,
    members: MemberPlan | None = None,
) -> Operation:
    return Operation(
        action,
        group_id,
        reason,
        target_id,
        display,
        dict(values or {}),
        changes,
        dict(desired or {}),
        ObjectType.GROUP,
        members,
    )


def _display_name(candidate: GroupCandidate) -> str | None:
    for known in (candidate.source, candidate.link.source if candidate.link else None):
        if known and known.get("displayName"):
            return str(known["displayName"])
    return None
