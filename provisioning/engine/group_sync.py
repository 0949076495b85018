"""A cycle's group phase: which groups need work, and their operations.

It runs once the cycle's users are applied and recorded, so every account a membership names
exists (a membership change never waits a cycle for its user). Only groups something happened to
are looked at: a change in Entra (members, attributes, deletion), an assignment that came or went,
a member whose GoTo account came, moved or went, a retry that is due, a group never pushed. A
quiet cycle reads the group links (one query) and sends nothing to GoTo.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from provisioning.engine.group_plan import GroupCandidate, GroupDeprovisionAction, plan_group
from provisioning.engine.groups import GroupDelta
from provisioning.engine.plan import Action, Operation
from provisioning.engine.ports import Source, StateStore
from provisioning.engine.records import Held
from provisioning.engine.run import CycleRun
from provisioning.engine.scope import AssignmentIndex
from provisioning.mapping.attributes import GroupMapping
from provisioning.model import Assignment, Link, ObjectType

NEW_ACCOUNT = "(new)"  # a dry run's placeholder GoTo id for a user it would create


@dataclass(slots=True)
class GroupWork:
    """The group phase's plan: operations to apply now, deletes for the deletion guard."""

    operations: list[Operation] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)
    links: dict[str, Link] = field(default_factory=dict)
    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GroupPolicy:
    mapping: GroupMapping
    member_cap: int = 100
    deprovision_action: GroupDeprovisionAction = "delete"

    @property
    def select(self) -> list[str]:
        """What the groups delta and a group read ask Graph for (members rides on the delta)."""
        return [*self.mapping.graph_select(extra=()), "members"]


async def plan_groups(
    source: Source,
    state: StateStore,
    policy: GroupPolicy,
    run: CycleRun,
    assignments: Sequence[Assignment],
    index_for: Callable[[], Awaitable[AssignmentIndex]],
    groups: GroupDelta,
    *,
    retries: set[str],
    only: set[str] | None = None,
) -> GroupWork:
    """`index_for`: the assignments joined with the members, asked only when some group may need
    work (a quiet cycle reads no membership row). `only`: the groups to look at (on-demand
    provisioning of one group); None: every touched one."""
    links = {link.source_id: link async for link in state.list_links(object_type=ObjectType.GROUP)}
    wanted = AssignmentIndex(assignments, {}).provisionable_group_ids() - groups.gone
    managed = {g for g, link in links.items() if link.active}
    unsynced = wanted ^ managed  # never pushed, or no longer wanted
    if unsynced:  # one that failed waits for its rung of the retry ladder, as a user does
        unsynced -= set(await state.list_retries()) - retries
    touched = groups.touched() | unsynced | (retries & (wanted | set(links)))
    users = run.relinked | set(_planned_creates(run))
    if not touched and not users:
        return GroupWork()
    index = await index_for()
    for user_id in users:
        touched |= index.user_groups.get(user_id, set())
    touched &= wanted | set(links)
    if only is not None:
        touched &= only
    work = GroupWork(links={g: links[g] for g in touched if g in links})
    if not touched:
        return work
    member_ids = {u for g in touched if g in wanted for u in index.members.get(g, ())}
    goto_ids = await _user_accounts(state, member_ids, known=run.user_accounts)
    if run.dry_run:
        goto_ids.update({u: f"{NEW_ACCOUNT}{u}" for u in _planned_creates(run) if u in member_ids})
    fields = [name for name in policy.select if name not in ("id", "members")]
    for group_id in sorted(touched):
        link = links.get(group_id)
        attributes: dict[str, Any] | None = None
        gone = group_id in groups.gone
        if group_id in wanted:
            attributes = {**(link.source if link else {}), **groups.attributes.get(group_id, {})}
            named = next((a.principal_display_name for a in index.by_group.get(group_id, ())), None)
            if fields == ["displayName"] and "displayName" not in attributes and named:
                attributes["displayName"] = named  # the assignment carries it: no read per new group
            if not all(name in attributes for name in fields):
                read = await source.get_group(group_id, select=policy.select)
                if read is None:
                    gone, attributes = True, None  # deleted since the assignments were read
                else:
                    attributes = {k: v for k, v in read.items() if k not in ("id", "members")}
        members = {u: goto_ids[u] for u in index.members.get(group_id, ()) if u in goto_ids}
        candidate = GroupCandidate(
            group_id,
            attributes,
            link,
            assigned=group_id in wanted and not gone,
            deleted=gone,
            members=members,
        )
        op = plan_group(
            candidate, policy.mapping, cap=policy.member_cap, deprovision_action=policy.deprovision_action
        )
        if attributes is not None:
            work.snapshots[group_id] = attributes
        if op is None:
            continue
        if op.action is Action.DELETE:
            work.held.append(Held(op, link, attributes))
        else:
            work.operations.append(op)
    return work


POINT_READS = 200  # above this many members, one scan of the user links costs fewer Table calls


async def _user_accounts(
    state: StateStore, user_ids: set[str], *, known: Mapping[str, str]
) -> dict[str, str]:
    """The members' GoTo accounts: those this run linked from memory (an initial cycle reads none),
    the rest by point reads for a few, one paged scan (1,000 rows a call) for many."""
    accounts = {u: known[u] for u in user_ids if u in known}
    rest = user_ids - accounts.keys()
    if not rest:
        return accounts
    if len(rest) <= POINT_READS:
        links = await state.get_links(rest)
    else:
        links = {link.source_id: link async for link in state.list_links() if link.source_id in rest}
    return accounts | {u: link.target_id for u, link in links.items()}


def _planned_creates(run: CycleRun) -> set[str]:
    """Users a dry run would create: their groups would change too."""
    return run.result.planned.user_creates if run.dry_run else set()
