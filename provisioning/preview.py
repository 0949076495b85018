"""Previewing a mapping before it is deployed: the GoTo payload one user would get, and what a changed
file would rewrite across the tenant (`python -m provisioning preview`).

It reads Microsoft Graph and Table Storage (links) and writes nothing anywhere: no GoTo request, no
Table write, no watermark. The comparison is pure (`user_preview`, `compare_user`, `TenantDiff`) so
it is tested without I/O; `preview_user` and `preview_diff` only read and feed it.

Scope is decided as a cycle decides it (engine.scope.decide_scope: assignments, Default Access,
accountEnabled, then the mapping's scoping filters), from assignments and group members read from
Graph now, as on-demand provisioning does. The tenant diff reads users through one users delta from
scratch (not saved): a few hundred users a page instead of one request per linked user, the read a
cycle itself makes after a mapping change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from provisioning.engine.plan import Action, Candidate, Change, HardDeleteAction, Operation, plan_user
from provisioning.engine.ports import Source, StateStore
from provisioning.engine.scope import AssignmentIndex, ScopeDecision, decide_scope
from provisioning.errors import SourceNotFoundError
from provisioning.mapping.attributes import UserMapping
from provisioning.mapping.expressions import ExpressionError
from provisioning.model import Link
from provisioning.target.payload import build_user

MAX_EXAMPLES = 5

# -- one user (pure) ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserPreview:
    """What one user would get: the create payload, the scope decision and, when linked, the update."""

    user_id: str
    source: Mapping[str, Any]
    scope: ScopeDecision
    payload: dict[str, Any]
    link: Link | None
    operation: Operation | None

    @property
    def update(self) -> list[Change] | None:
        """The changed paths vs the link's last-written values ([] = nothing to send); None unlinked."""
        if self.link is None:
            return None
        op = self.operation
        return list(op.changes) if op is not None and op.action is not Action.SKIP else []

    def as_dict(self) -> dict[str, Any]:
        op, update = self.operation, self.update
        return {
            "userId": self.user_id,
            "userPrincipalName": self.source.get("userPrincipalName"),
            "inScope": self.scope.in_scope,
            "scope": {"kind": self.scope.kind.value, "reason": self.scope.reason},
            "payload": self.payload,
            "link": None
            if self.link is None
            else {"targetId": self.link.target_id, "active": self.link.active},
            "action": op.action.value if op is not None else "none",
            "reason": op.reason if op is not None else None,
            "update": None if update is None else [_change_dict(c) for c in update],
        }


def scoping_of(mapping: UserMapping) -> Callable[[Mapping[str, Any]], bool] | None:
    """The mapping's filters as decide_scope takes them (None: no filter), as the engine builds them."""
    return mapping.in_scope if mapping.filters is not None else None


def user_preview(
    user_id: str,
    read: Mapping[str, Any],
    link: Link | None,
    index: AssignmentIndex,
    mapping: UserMapping,
    *,
    skip_out_of_scope_deletions: bool = False,
    hard_delete_action: HardDeleteAction = "disable",
) -> UserPreview:
    """The payload is `build_user` of the create mapping (plus active); the operation is the plan's."""
    source = {k: v for k, v in read.items() if k != "id"}
    scope = decide_scope(user_id, index, source=source, scoping=scoping_of(mapping))
    try:
        payload = build_user({**mapping.map_user(source, creating=True), "active": True})
    except ExpressionError as exc:  # name the row, as a cycle would fail this user as unmappable
        raise ExpressionError(
            f"cannot map user {user_id}: {exc}", setting=_failing_row(mapping, source)
        ) from None
    operation = plan_user(
        Candidate(user_id, source, scope, link),
        mapping,
        skip_out_of_scope_deletions=skip_out_of_scope_deletions,
        hard_delete_action=hard_delete_action,
    )
    return UserPreview(user_id, source, scope, payload, link, operation)


def _failing_row(mapping: UserMapping, source: Mapping[str, Any]) -> str:
    """`users.mappings[i]` (target) of the first row whose expression fails on these values."""
    for i, row in enumerate(mapping.attributes):
        try:
            row.value(source)
        except ExpressionError:
            return f"users.mappings[{i}] ({row.target})"
    return "users.mappings"


# -- the tenant diff (pure) --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserComparison:
    """One assigned user under the deployed mapping (before) and the new one (after)."""

    user_id: str
    name: str
    in_before: bool
    in_after: bool
    linked: bool = False
    changes: tuple[Change, ...] = ()  # only for a linked user in scope under both
    error: str | None = None  # an expression failed on this user's values (a cycle fails the user)


def compare_user(
    user_id: str,
    source: Mapping[str, Any],
    link: Link | None,
    index: AssignmentIndex,
    deployed: UserMapping,
    new: UserMapping,
) -> UserComparison:
    """What the new mapping rewrites for this user, on the same Entra values and assignments.

    A path is compared only where the new mapping writes it on update (on-create rows and rows whose
    expression flow is "ignored" are not sent); its old value is the deployed mapping's, or, for a
    target the deployed mapping does not write (or an expression of it fails on this user), the
    link's last-written value (what the plan compares). An expression of the new mapping that fails
    on this user's values is the comparison's `error`, as a cycle would fail the user.
    """
    name = str(source.get("userPrincipalName") or source.get("displayName") or user_id)
    before = decide_scope(user_id, index, source=source, scoping=scoping_of(deployed)).in_scope
    after = decide_scope(user_id, index, source=source, scoping=scoping_of(new)).in_scope
    if not (before and after and link is not None):
        return UserComparison(user_id, name, before, after, link is not None)
    try:
        new_values = new.map_user(source, creating=False)
    except ExpressionError as exc:  # a cycle under the new file would fail this user as unmappable
        return UserComparison(user_id, name, before, after, True, error=str(exc))
    try:
        old_values = deployed.map_user(source, creating=False)
    except ExpressionError:  # the deployed file fails this user today: GoTo has what was last written
        old_values = {}
    changes: list[Change] = []
    for path, value in new_values.items():
        old = old_values[path] if path in old_values else link.written.get(path)
        if old != value:
            changes.append(Change(path, old, value))
    return UserComparison(user_id, name, before, after, True, tuple(changes))


def change_kind(change: Change) -> str:
    """set (from nothing), cleared (to nothing) or changed."""
    if change.old is None:
        return "set"
    return "cleared" if change.new is None else "changed"


@dataclass(slots=True)
class TenantDiff:
    """Counts of what deploying `new` instead of `deployed` would rewrite, and a few examples."""

    deployed_origin: str
    new_origin: str
    same_mapping: bool = False
    unwritten: tuple[str, ...] = ()  # targets the deployed mapping writes on update and the new one not
    users_read: int = 0
    assigned: int = 0
    compared: int = 0  # linked users in scope under both mappings
    changed_users: int = 0
    attributes: dict[str, dict[str, int]] = field(default_factory=dict)
    leaving: list[str] = field(default_factory=list)  # names, in read order
    entering: list[str] = field(default_factory=list)
    examples: list[tuple[str, Change]] = field(default_factory=list)
    unmappable: list[tuple[str, str]] = field(default_factory=list)  # (name, the new file's error)

    @classmethod
    def between(cls, deployed: UserMapping, new: UserMapping, *, origins: tuple[str, str]) -> TenantDiff:
        kept = set(new.targets(creating=False))
        unwritten = tuple(t for t in deployed.targets(creating=False) if t not in kept)
        same = deployed.fingerprint == new.fingerprint
        return cls(origins[0], origins[1], same_mapping=same, unwritten=unwritten)

    def add(self, user: UserComparison) -> None:
        self.assigned += 1
        if user.linked and user.in_before and user.in_after:
            self.compared += 1
        if user.in_before and not user.in_after:
            self.leaving.append(user.name)
        elif user.in_after and not user.in_before:
            self.entering.append(user.name)
        if user.error is not None:
            self.unmappable.append((user.name, user.error))
        if user.changes:
            self.changed_users += 1
        for change in user.changes:
            counts = self.attributes.setdefault(change.path, {"changed": 0, "set": 0, "cleared": 0})
            counts[change_kind(change)] += 1
            if len(self.examples) < MAX_EXAMPLES:
                self.examples.append((user.name, change))

    def as_dict(self) -> dict[str, Any]:
        return {
            "deployed": self.deployed_origin,
            "new": self.new_origin,
            "sameMapping": self.same_mapping,
            "usersRead": self.users_read,
            "assignedUsers": self.assigned,
            "linkedUsersCompared": self.compared,
            "usersWithPayloadChanges": self.changed_users,
            "attributes": {path: dict(counts) for path, counts in sorted(self.attributes.items())},
            "leaveScope": {"count": len(self.leaving), "examples": self.leaving[:MAX_EXAMPLES]},
            "enterScope": {"count": len(self.entering), "examples": self.entering[:MAX_EXAMPLES]},
            "noLongerWritten": list(self.unwritten),
            "examples": [{"user": name, **_change_dict(c)} for name, c in self.examples],
            "unmappable": {
                "count": len(self.unmappable),
                "examples": [{"user": n, "error": e} for n, e in self.unmappable[:MAX_EXAMPLES]],
            },
        }


def _change_dict(change: Change) -> dict[str, Any]:
    return {"attribute": change.path, "old": change.old, "new": change.new}


# -- reading (I/O: Graph and Table Storage reads only) ----------------------------------------------


async def read_index(source: Source, sp_id: str, *, only: Collection[str] | None = None) -> AssignmentIndex:
    """The app's assignments and its assigned groups' direct user members, read from Graph now
    (`only`: keep just these users' memberships, for one user's preview)."""
    assignments = [a for a in await source.list_assignments(sp_id) if a.principal_type in ("User", "Group")]
    members: dict[str, set[str]] = {}
    for group_id in sorted({a.principal_id for a in assignments if a.principal_type == "Group"}):
        found = await source.list_group_members(group_id)
        members[group_id] = {
            m.member_id for m in found if m.member_type == "user" and (only is None or m.member_id in only)
        }
    return AssignmentIndex(assignments, members)


async def preview_user(
    source: Source,
    state: StateStore,
    *,
    sp_id: str,
    user_id: str,
    mapping: UserMapping,
    skip_out_of_scope_deletions: bool = False,
    hard_delete_action: HardDeleteAction = "disable",
) -> UserPreview:
    """One user read with the previewed mapping's $select; an unknown id is SourceNotFoundError."""
    read = await source.get_user(user_id, select=mapping.graph_select())
    if read is None:
        raise SourceNotFoundError(f"user {user_id} does not exist in Entra ID (or is deleted)", status=404)
    index = await read_index(source, sp_id, only={user_id})
    link = await state.get_link(user_id)
    return user_preview(
        user_id,
        read,
        link,
        index,
        mapping,
        skip_out_of_scope_deletions=skip_out_of_scope_deletions,
        hard_delete_action=hard_delete_action,
    )


def union_select(*mappings: UserMapping) -> list[str]:
    """Every Graph property any of the mappings reads (their scoping filters included), `id` first."""
    names: list[str] = []
    for mapping in mappings:
        names.extend(n for n in mapping.graph_select() if n not in names)
    return names


async def preview_diff(
    source: Source,
    state: StateStore,
    *,
    sp_id: str,
    deployed: UserMapping,
    new: UserMapping,
    origins: tuple[str, str],
) -> TenantDiff:
    """Every assigned user read through a users delta from scratch (its links are not kept), each
    compared under both mappings; links are read page by page, so the tenant is never held whole."""
    diff = TenantDiff.between(deployed, new, origins=origins)
    index = await read_index(source, sp_id)
    async for read, users in assigned_users(source, index, select=union_select(deployed, new)):
        diff.users_read += read
        links = await state.get_links(list(users)) if users else {}
        for user_id, attributes in users.items():
            diff.add(compare_user(user_id, attributes, links.get(user_id), index, deployed, new))
    return diff


async def assigned_users(
    source: Source, index: AssignmentIndex, *, select: Sequence[str]
) -> AsyncIterator[tuple[int, dict[str, dict[str, Any]]]]:
    """Every assigned user, page by page, through one users delta from scratch (its link is not
    kept): (users on the page, {id: attributes} of the assigned ones). A user changed during the
    read may come twice in one round: it is handed over once."""
    seen: set[str] = set()
    async for page in source.iter_users_delta(link=None, select=select):
        users = {
            u.id: u.attributes
            for u in page.items
            if not u.removed and index.is_assigned(u.id) and u.id not in seen
        }
        seen.update(users)
        yield len(page.items), users
