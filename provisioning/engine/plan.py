"""The planner: from what Entra says and what was last written to GoTo, the operations to run.

Pure and deterministic, so a dry run is just "plan and print", and most behaviour is tested here
table-style without any I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from provisioning.engine.scope import ScopeDecision
from provisioning.mapping.attributes import UserMapping
from provisioning.model import Link, ObjectType, RemovedReason

HardDeleteAction = Literal["disable", "delete"]
HARD_DELETE_KEPT = "HARD_DELETE_ACTION=disable keeps the GoTo account's meeting history"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DISABLE = "disable"
    DELETE = "delete"
    SKIP = "skip"


@dataclass(slots=True)
class Change:
    """One attribute's move (not frozen: see Candidate)."""

    path: str
    old: Any
    new: Any


@dataclass(slots=True)
class Candidate:
    """One user to decide on. `source` must be complete (merged and, if need be, re-read).

    Candidate, Operation and Change are never changed once built, but are not frozen: one of each
    (ten Changes) is built per user of a cycle, and a frozen dataclass's __init__ costs 3x (it goes
    through object.__setattr__ per field)."""

    source_id: str
    source: Mapping[str, Any] | None
    scope: ScopeDecision
    link: Link | None
    removed: RemovedReason | None = None
    licenses: tuple[str, ...] | None = None  # GoTo license keys the user's roles give; None: not managed


@dataclass(frozen=True, slots=True)
class MemberPlan:
    """A group's members as GoTo ids: what it will hold, and the changes that get it there."""

    pushed: tuple[str, ...]  # the GoTo ids the group holds once applied
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    eligible: int = 0  # members this function provisions, before the cap
    cap: int = 0

    @property
    def truncated(self) -> bool:
        return self.eligible > len(self.pushed)

    def describe(self) -> str:
        text = f"{len(self.pushed)} members (+{len(self.add)} -{len(self.remove)})"
        if self.truncated:
            text += f"; {TRUNCATED}: {self.eligible} in Entra, the first {self.cap} pushed (GROUP_MEMBER_CAP)"
        return text


TRUNCATED = "truncated"


@dataclass(slots=True)
class Operation:
    """What to do to one object, and why (not frozen: see Candidate)."""

    action: Action
    source_id: str
    reason: str
    target_id: str | None = None
    display_name: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)  # what to send: all (create) or changed (update)
    changes: tuple[Change, ...] = ()
    desired: Mapping[str, Any] = field(default_factory=dict)  # every mapped value, to adopt or recreate
    object_type: ObjectType = ObjectType.USER
    members: MemberPlan | None = None  # groups: the member changes (GoTo ids) to send after `values`


SKIPPED_OUT_OF_SCOPE = "out of scope, but SKIP_OUT_OF_SCOPE_DELETIONS is on: the GoTo account is left active"


def plan_user(
    candidate: Candidate,
    mapping: UserMapping,
    *,
    skip_out_of_scope_deletions: bool = False,
    hard_delete_action: HardDeleteAction = "disable",
) -> Operation | None:
    """The one operation this user needs now, or None when GoTo already matches.

    A user hard-deleted in Entra is only deactivated unless `hard_delete_action="delete"`: deleting a
    GoTo user also deletes their meeting history and scheduled meetings (GoTo's Organization Center).
    """
    link, scope, source = candidate.link, candidate.scope, candidate.source
    display = _display_name(source, link)
    if candidate.removed == "deleted":
        if link is None:
            return None
        if hard_delete_action == "delete":
            return Operation(Action.DELETE, candidate.source_id, scope.reason, link.target_id, display)
        if not link.active:
            return None
        reason = f"{scope.reason}; deactivated, not deleted: {HARD_DELETE_KEPT}"
        return _disable(candidate, reason, link, display)
    if not scope.in_scope:
        if link is not None and link.active and skip_out_of_scope_deletions and scope.kind.out_of_scope:
            reason = f"{scope.reason}; {SKIPPED_OUT_OF_SCOPE}"
            return Operation(Action.SKIP, candidate.source_id, reason, link.target_id, display)
        if link is not None and link.active:
            return _disable(candidate, scope.reason, link, display)
        if link is None and scope.assigned:
            return Operation(Action.SKIP, candidate.source_id, scope.reason, None, display)
        return None
    if source is None:
        raise ValueError(f"user {candidate.source_id} is in scope but its Entra attributes are unknown")
    licenses = _licenses(candidate)
    if link is None:
        values = mapping.map_user(source, creating=True)
        values["active"] = True
        if licenses:
            values.update(licenses)
            if not licenses[LICENSES]:
                del values[LICENSES]  # nothing to assign
        changes = tuple([Change(path, None, value) for path, value in values.items() if value is not None])
        return Operation(
            Action.CREATE, candidate.source_id, scope.reason, None, display, values, changes, values
        )
    desired = mapping.map_user(source, creating=False)
    desired["active"] = True
    desired.update(licenses)
    written = link.written
    found: list[Change] = []
    for path, value in desired.items():
        old = written.get(path) if path != LICENSES else _written(link, path)
        if old != value:
            found.append(Change(path, old, value))
    if not found:
        return None
    changes = tuple(found)
    reason = f"re-enabled: {scope.reason}" if not link.active else "attributes changed in Entra"
    new_values = {c.path: c.new for c in changes}
    return Operation(
        Action.UPDATE,
        candidate.source_id,
        reason,
        link.target_id,
        display,
        new_values,
        changes,
        {**mapping.map_user(source, creating=True), "active": True, **licenses},
    )


LICENSES = "licenses"  # the pseudo-path of a user's GoTo license keys (sorted); the Admin API sets it


def _licenses(candidate: Candidate) -> dict[str, list[str]]:
    return {} if candidate.licenses is None else {LICENSES: sorted(candidate.licenses)}


def _written(link: Link, path: str) -> Any:
    """What was last written; a user whose licenses were never set holds none."""
    value = link.written.get(path)
    return (sorted(value) if value else []) if path == LICENSES else value


def _disable(candidate: Candidate, reason: str, link: Link, display: str | None) -> Operation:
    """Deactivate; a user whose licenses are managed gives them back (a seat freed for another)."""
    values: dict[str, Any] = {"active": False}
    changes = [Change("active", True, False)]
    held = _written(link, LICENSES)
    if candidate.licenses is not None and held:
        values[LICENSES] = []
        changes.append(Change(LICENSES, held, []))
    return Operation(
        Action.DISABLE, candidate.source_id, reason, link.target_id, display, values, tuple(changes)
    )


def _display_name(source: Mapping[str, Any] | None, link: Link | None) -> str | None:
    for known in (source, link.source if link else None):
        if known:
            name = known.get("userPrincipalName") or known.get("displayName")
            if name:
                return str(name)
    return None
