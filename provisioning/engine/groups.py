"""Assigned groups' direct members: what changed this cycle (from the groups delta, or a fresh
read of newly assigned groups), and the scope index built from the stored members plus those changes.

The diff is pure (`member_changes`); reading and storing stay with the cycle, which writes the new
members only after every user they affect has been processed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from provisioning.aio import gather_all
from provisioning.engine.ports import Source, StateStore
from provisioning.engine.scope import AssignmentIndex
from provisioning.errors import DeltaExpiredError
from provisioning.model import Assignment, GroupChange


@dataclass(slots=True)
class GroupDelta:
    """Assigned groups' direct members as they will be once this cycle is recorded."""

    added: dict[str, set[str]] = field(default_factory=dict)  # members to store
    removed: dict[str, set[str]] = field(default_factory=dict)  # members to forget
    dropped: set[str] = field(default_factory=set)  # groups no longer assigned
    dirty: set[str] = field(default_factory=set)  # users whose membership changed
    delta_link: str | None = None
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)  # groups' changed properties
    gone: set[str] = field(default_factory=set)  # groups deleted in Entra
    relisted: set[str] = field(default_factory=set)  # groups whose members were read afresh

    def touched(self) -> set[str]:
        """Groups whose GoTo side may need work this cycle because of what Entra said."""
        return {*self.added, *self.removed, *self.attributes, *self.gone, *self.dropped, *self.relisted}


def member_changes(
    changes: Iterable[GroupChange], *, assigned: set[str], relisted: set[str]
) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """User members added and removed per assigned group, the last word winning (a group may be split
    over pages); groups read afresh this cycle (`relisted`) are left to that read."""
    adds: dict[str, set[str]] = {}
    removes: dict[str, set[str]] = {}
    for change in changes:
        if change.id not in assigned or change.id in relisted:
            continue
        for member in change.members:
            if member.member_type != "user":
                continue
            target, other = (removes, adds) if member.removed else (adds, removes)
            target.setdefault(change.id, set()).add(member.member_id)
            other.get(change.id, set()).discard(member.member_id)
    return adds, removes


async def read_groups(
    source: Source,
    state: StateStore,
    previous: list[Assignment],
    current: list[Assignment],
    *,
    link: str | None,
    select: Sequence[str] = ("displayName", "members"),
) -> GroupDelta:
    before = {a.principal_id for a in previous if a.principal_type == "Group"}
    now = {a.principal_id for a in current if a.principal_type == "Group"}
    groups = GroupDelta(dropped=before - now)
    relist = now - before
    changes: list[GroupChange] = []
    try:
        if link is None:
            raise DeltaExpiredError("no groups watermark yet")
        async for page in source.iter_groups_delta(link=link, select=select):
            changes.extend(page.items)
            if page.delta_link:
                groups.delta_link = page.delta_link
    except DeltaExpiredError:
        # Track from now on, then read the members of every assigned group afresh.
        async for page in source.iter_groups_delta(link=None, select=select, latest=True):
            if page.delta_link:
                groups.delta_link = page.delta_link
        relist, changes = set(now), []
    adds, removes = member_changes(changes, assigned=now, relisted=relist)
    known = now | before
    for change in changes:
        if change.id not in known:
            continue
        if change.removed:
            groups.gone.add(change.id)
        elif change.attributes:
            groups.attributes.setdefault(change.id, {}).update(change.attributes)
    groups.relisted = set(relist)
    regranted = _role_changed(previous, current) - relist
    stored = await state.list_members(groups.dropped | (relist & before) | regranted)
    for group_id in regranted:  # a group's role changed: its members' licenses follow it
        groups.dirty |= stored.get(group_id, set())
    for group_id in groups.dropped:
        groups.dirty |= stored[group_id]
    for group_id, members in await _read_members(source, relist):
        old = stored.get(group_id, set())
        groups.added[group_id] = members - old
        groups.removed[group_id] = old - members
        groups.dirty |= members ^ old
    for group_id, users in adds.items():
        groups.added[group_id] = users
        groups.dirty |= users
    for group_id, users in removes.items():
        groups.removed[group_id] = users
        groups.dirty |= users
    return groups


RELIST_CONCURRENCY = 8  # groups read afresh at once; each one's pages follow one another


async def _read_members(source: Source, group_ids: Iterable[str]) -> list[tuple[str, set[str]]]:
    """Newly assigned groups' user members, several groups at a time: one after another, an initial
    cycle of 10 groups waited for every member page of every group before its first GoTo request."""
    gate = asyncio.Semaphore(RELIST_CONCURRENCY)

    async def one(group_id: str) -> tuple[str, set[str]]:
        async with gate:
            read = await source.list_group_members(group_id)
        return group_id, {m.member_id for m in read if m.member_type == "user"}

    return await gather_all(one(g) for g in sorted(group_ids))


def _role_changed(previous: Iterable[Assignment], current: Iterable[Assignment]) -> set[str]:
    """Groups assigned before and now, with another set of app roles."""
    roles: dict[str, list[set[str]]] = {}
    for when, rows in enumerate((previous, current)):
        for a in rows:
            if a.principal_type == "Group":
                roles.setdefault(a.principal_id, [set(), set()])[when].add(a.app_role_id)
    return {g for g, (old, new) in roles.items() if old and new and old != new}


async def scope_index(state: StateStore, current: list[Assignment], groups: GroupDelta) -> AssignmentIndex:
    """Scope needs every assigned group's members: stored, plus this cycle's changes."""
    assigned = {a.principal_id for a in current if a.principal_type == "Group"}
    members = await state.list_members(assigned)
    for group_id in assigned:
        members[group_id] = (
            members.get(group_id, set()) | groups.added.get(group_id, set())
        ) - groups.removed.get(group_id, set())
    return AssignmentIndex(current, members)


async def store_groups(state: StateStore, groups: GroupDelta) -> None:
    """The members this cycle learnt, once every user they affect has been processed."""
    await state.update_members(added=groups.added, removed=groups.removed)
    for group_id in groups.dropped:
        await state.drop_members(group_id)
