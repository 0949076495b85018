"""Who is in scope, and why: assigned directly or as a direct member of an assigned group, with a
real role (not Default Access), enabled and not deleted. Pure: data in, a decision out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Set
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from provisioning.model import Assignment, RemovedReason

REASON_HARD_DELETED = "hard-deleted in Entra"
REASON_SOFT_DELETED = "soft-deleted in Entra"
REASON_NOT_ASSIGNED = "not assigned to the app, directly or through a group"
REASON_DEFAULT_ACCESS = "assigned only with the Default Access role, which is not provisioned"
REASON_DISABLED = "disabled in Entra (accountEnabled is false)"
REASON_FILTERED = "outside the mapping file's scoping filters"


class ScopeKind(StrEnum):
    """Why a user is (not) in scope; out-of-scope kinds are what SKIP_OUT_OF_SCOPE_DELETIONS spares."""

    IN_SCOPE = "in-scope"
    NOT_ASSIGNED = "not-assigned"
    DEFAULT_ACCESS = "default-access"
    DISABLED = "disabled"
    SOFT_DELETED = "soft-deleted"
    HARD_DELETED = "hard-deleted"
    FILTERED = "filtered"  # assigned, but the scoping filters leave the user out

    @property
    def out_of_scope(self) -> bool:
        return self in (ScopeKind.NOT_ASSIGNED, ScopeKind.DEFAULT_ACCESS, ScopeKind.FILTERED)


@dataclass(frozen=True, slots=True)
class ScopeDecision:
    in_scope: bool
    reason: str
    assigned: bool  # assigned in any way, Default Access included: such users are worth a 'skipped' record
    app_role_id: str | None = None
    kind: ScopeKind = ScopeKind.IN_SCOPE


class AssignmentIndex:
    """The app's assignments joined with the direct members of its assigned groups."""

    def __init__(self, assignments: Iterable[Assignment], members: Mapping[str, Set[str]]) -> None:
        self.assignments = list(assignments)
        self.direct: dict[str, list[Assignment]] = defaultdict(list)
        self.by_group: dict[str, list[Assignment]] = defaultdict(list)
        for a in sorted(self.assignments, key=lambda a: (a.is_default_access, a.id)):
            if a.principal_type == "User":
                self.direct[a.principal_id].append(a)
            elif a.principal_type == "Group":
                self.by_group[a.principal_id].append(a)
        self.user_groups: dict[str, set[str]] = defaultdict(set)
        self.members: dict[str, set[str]] = {}  # assigned group -> its direct user members
        for group_id in self.by_group:
            self.members[group_id] = set(members.get(group_id, ()))
            for user_id in self.members[group_id]:
                self.user_groups[user_id].add(group_id)
        # decide_scope runs per user, and users share a few sets of groups: the best assignment of
        # each set, and the in-scope decision of each best assignment, are worked out once
        self._best_of_groups: dict[frozenset[str], Assignment | None] = {}
        self._in_scope: dict[str, ScopeDecision] = {}

    @property
    def assigned_group_ids(self) -> set[str]:
        return set(self.by_group)

    def provisionable_group_ids(self) -> set[str]:
        """Groups assigned with a real role: those pushed to GoTo (Default Access is not provisioned)."""
        return {g for g, rows in self.by_group.items() if any(not a.is_default_access for a in rows)}

    def role_ids_of(self, user_id: str) -> set[str]:
        """Every real app role the user holds, directly or through assigned groups."""
        return {a.app_role_id for a in self.assignments_of(user_id) if not a.is_default_access}

    def provisionable_user_count(self) -> int:
        """Users assigned with a real role, directly or through a group (before enabled/deleted checks)."""
        users = {
            a.principal_id for a in self.assignments if a.principal_type == "User" and not a.is_default_access
        }
        for group_id, assignments in self.by_group.items():
            if any(not a.is_default_access for a in assignments):
                users |= {u for u, groups in self.user_groups.items() if group_id in groups}
        return len(users)

    def is_assigned(self, user_id: str) -> bool:
        return user_id in self.direct or user_id in self.user_groups

    def assignments_of(self, user_id: str) -> list[Assignment]:
        """Direct assignments first, then through groups; real roles before Default Access."""
        found = list(self.direct.get(user_id, ()))
        for group_id in sorted(self.user_groups.get(user_id, ())):
            found.extend(self.by_group[group_id])
        return sorted(found, key=_precedence)

    def best_of(self, user_id: str) -> Assignment | None:
        """`assignments_of(user_id)[0]`, or None when the user is not assigned."""
        direct = self.direct.get(user_id)
        best = direct[0] if direct else None  # sorted by (is_default_access, id): the first comes first
        groups = self.user_groups.get(user_id)
        if groups:
            key = frozenset(groups)
            if key in self._best_of_groups:
                through = self._best_of_groups[key]
            else:
                through = min((a for g in groups for a in self.by_group[g]), key=_precedence, default=None)
                self._best_of_groups[key] = through
            if through is not None and (best is None or _precedence(through) < _precedence(best)):
                best = through
        return best

    def in_scope(self, best: Assignment) -> ScopeDecision:
        """The decision for a user in scope through `best` (the same for every such user)."""
        decision = self._in_scope.get(best.id)
        if decision is None:
            if best.principal_type == "User":
                why = f"assigned directly with app role {best.app_role_id}"
            else:
                name = best.principal_display_name or best.principal_id
                why = f"member of assigned group '{name}' with app role {best.app_role_id}"
            decision = self._in_scope[best.id] = ScopeDecision(True, why, True, best.app_role_id)
        return decision


def _precedence(a: Assignment) -> tuple[bool, bool, str]:
    return (a.is_default_access, a.principal_type != "User", a.id)


def decide_scope(
    user_id: str,
    index: AssignmentIndex,
    *,
    source: Mapping[str, Any] | None,
    removed: RemovedReason | None = None,
    scoping: Callable[[Mapping[str, Any]], bool] | None = None,
) -> ScopeDecision:
    """`scoping` is the mapping file's filters (Entra's scoping filters): assigned users they leave
    out are out of scope, like unassigned ones."""
    best = index.best_of(user_id)
    assigned = best is not None
    if removed == "deleted":
        return ScopeDecision(False, REASON_HARD_DELETED, assigned, kind=ScopeKind.HARD_DELETED)
    if removed == "changed":
        return ScopeDecision(False, REASON_SOFT_DELETED, assigned, kind=ScopeKind.SOFT_DELETED)
    if best is None:
        return ScopeDecision(False, REASON_NOT_ASSIGNED, False, kind=ScopeKind.NOT_ASSIGNED)
    if best.is_default_access:
        return ScopeDecision(False, REASON_DEFAULT_ACCESS, True, best.app_role_id, ScopeKind.DEFAULT_ACCESS)
    if source is not None and source.get("accountEnabled") is False:
        return ScopeDecision(False, REASON_DISABLED, True, best.app_role_id, ScopeKind.DISABLED)
    if source is not None and scoping is not None and not scoping(source):
        return ScopeDecision(False, REASON_FILTERED, True, best.app_role_id, ScopeKind.FILTERED)
    return index.in_scope(best)
