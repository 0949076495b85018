"""One Entra tenant in memory: users, groups, direct memberships, the GoToMeeting app's assignments.

Thread-safe: the HTTP server reads it from its request threads while a test mutates it.

Lifecycle rules (chosen to follow Entra where it is documented, and kept consistent):
- soft delete hides the user: it leaves `/users/{id}`, group member lists and appRoleAssignedTo,
  users/delta reports `@removed: changed` and groups/delta reports its memberships as removed;
  the memberships and assignments are kept and come back on restore (reported as re-added);
- hard delete (from active or soft-deleted) removes the user's memberships and assignments for
  good; users/delta reports `@removed: deleted`;
- deleting a group (security groups have no recycle bin) removes its assignments and the
  memberships it had in other groups; groups/delta reports `@removed: deleted`;
- a Microsoft 365 group (groupTypes ["Unified"]) goes to the recycle bin instead, like a user's soft
  delete: hidden with its assignments and memberships kept, groups/delta reports `@removed: changed`;
  `restore_group` brings it back whole, `purge_group` deletes it for good (`@removed: deleted`).
"""

from __future__ import annotations

import base64
import random
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.graph.constants import (
    APP_ROLE_USER_ID,
    DEFAULT_ACCESS_ROLE_ID,
    SERVICE_PRINCIPAL_APP_ID,
    SERVICE_PRINCIPAL_ID,
    SERVICE_PRINCIPAL_NAME,
    TENANT_DOMAIN,
)
from sandbox.graph.names import DEPARTMENTS, GIVEN_NAMES, JOB_TITLES, OFFICES, SURNAMES
from sandbox.graph.records import (
    GROUP_PROPERTIES,
    READ_ONLY_GROUP_PROPERTIES,
    READ_ONLY_USER_PROPERTIES,
    USER_PROPERTIES,
    AssignmentRecord,
    GroupRecord,
    MemberLink,
    UserRecord,
)
from sandbox.graph.tokens import TokenStore

_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)  # createdDateTime = epoch + version seconds: deterministic


class UnknownObjectError(KeyError):
    """No such user, group, membership or assignment (the HTTP control surface answers 404)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown object"


class Tenant:
    """The directory state and its version counter; every mutation takes the next version.

    `_upns` (lower-cased userPrincipalName → id of the user that is not hard-deleted and holds it)
    is kept in step with every create, rename and hard delete, so seeding and `/users/{upn}` do not
    scan the directory.
    """

    _users: dict[str, UserRecord]
    _groups: dict[str, GroupRecord]
    _assignments: list[AssignmentRecord]
    _upns: dict[str, str]
    _app_roles: list[dict[str, Any]]

    def __init__(self, *, seed: int = 0) -> None:
        self.lock = threading.RLock()
        self.tokens = TokenStore()
        self._reset(seed)

    # ----------------------------------------------------------------- whole tenant

    def reset(self, *, seed: int = 0) -> None:
        """Empty the directory; every delta and skip token issued so far becomes unknown."""
        with self.lock:
            self._reset(seed)

    def seed(self, users: int, groups: int, *, seed: int = 0) -> None:
        """Replace the directory with `users` users and `groups` groups derived from `seed` alone.

        Users are enabled, each a direct member of 1 to 3 groups (when there are groups).
        Nothing is assigned to the app: tests decide the scope. Like `reset`, it makes every token
        issued so far unknown (400 syncStateNotFound).
        """
        if users < 0 or groups < 0:
            raise ValueError("users and groups must be >= 0")
        with self.lock:
            self._reset(seed)
            rng = random.Random(seed)
            for n in range(1, users + 1):
                given, surname = rng.choice(GIVEN_NAMES), rng.choice(SURNAMES)
                nickname = f"{given.lower()}.{surname.lower()}{n:04d}"
                upn = f"{nickname}@{TENANT_DOMAIN}"
                self.create_user(
                    id=self._new_guid(),
                    userPrincipalName=upn,
                    displayName=f"{given} {surname}",
                    givenName=given,
                    surname=surname,
                    mail=upn,
                    mailNickname=nickname,
                    accountEnabled=True,
                    jobTitle=rng.choice(JOB_TITLES),
                    department=rng.choice(DEPARTMENTS),
                    employeeId=f"E{n:06d}",
                    mobilePhone=f"+1 555 {rng.randrange(10_000_000):07d}",
                    officeLocation=rng.choice(OFFICES),
                )
            group_ids = []
            for n in range(1, groups + 1):
                name = f"{DEPARTMENTS[(n - 1) % len(DEPARTMENTS)]} {n:03d}"
                group_ids.append(self.create_group(name, id=self._new_guid())["id"])
            if group_ids:
                for user_id in list(self._users):
                    for group_id in rng.sample(group_ids, rng.randint(1, min(3, len(group_ids)))):
                        self.add_member(group_id, user_id)

    def expire_delta_tokens(self, *, gone: bool = False) -> int:
        """Invalidate every delta/next link issued so far: 400 syncStateNotFound, or 410 if `gone`."""
        return self.tokens.expire(gone=gone)

    @property
    def version(self) -> int:
        with self.lock:
            return self._version

    # ----------------------------------------------------------------- users

    def create_user(self, **props: Any) -> dict[str, Any]:
        """Create an enabled user; missing names are derived (UPN local part, mail = UPN)."""
        with self.lock:
            self._check_props(props, USER_PROPERTIES, READ_ONLY_USER_PROPERTIES, "user", allow_id=True)
            user_id = str(props.pop("id", None) or self._new_guid())
            if user_id in self._users or user_id in self._groups:
                raise ValueError(f"object id {user_id} already exists")
            n = len(self._users) + 1
            given = props.get("givenName")
            surname = props.get("surname")
            upn = props.get("userPrincipalName") or (
                f"{(given or 'user').lower()}.{(surname or 'new').lower()}{n:04d}@{TENANT_DOMAIN}"
            )
            self._check_upn_free(upn, None)
            nickname = upn.split("@", 1)[0]
            version = self._next_version()
            values: dict[str, Any] = {
                "userPrincipalName": upn,
                "displayName": " ".join(p for p in (given, surname) if p) or nickname,
                "givenName": None,
                "surname": None,
                "mail": upn,
                "mailNickname": nickname,
                "accountEnabled": True,
                "jobTitle": None,
                "department": None,
                "employeeId": None,
                "mobilePhone": None,
                "businessPhones": [],
                "officeLocation": None,
                "preferredLanguage": None,
                "companyName": None,
                "usageLocation": None,
                "userType": "Member",
                **props,
                "createdDateTime": _stamp(version),
            }
            record = UserRecord(
                id=user_id,
                props={"id": user_id, **values},
                prop_versions=dict.fromkeys(USER_PROPERTIES, version),
                created=version,
                lifecycle=version,
            )
            self._users[user_id] = record
            self._upns[upn.lower()] = user_id
            return dict(record.props)

    def update_user(self, user_id: str, **props: Any) -> dict[str, Any]:
        """Change properties of an active user; only values that really change count as changes."""
        with self.lock:
            record = self._active_user(user_id)
            self._check_props(props, USER_PROPERTIES, READ_ONLY_USER_PROPERTIES, "user")
            if "userPrincipalName" in props:
                self._check_upn_free(props["userPrincipalName"], user_id)
            changed = {k: v for k, v in props.items() if record.props.get(k) != v}
            if "userPrincipalName" in changed:
                del self._upns[record.props["userPrincipalName"].lower()]
                self._upns[changed["userPrincipalName"].lower()] = user_id
            if changed:
                version = self._next_version()
                for key, value in changed.items():
                    record.props[key] = value
                    record.prop_versions[key] = version
            return dict(record.props)

    def disable_user(self, user_id: str) -> dict[str, Any]:
        return self.update_user(user_id, accountEnabled=False)

    def enable_user(self, user_id: str) -> dict[str, Any]:
        return self.update_user(user_id, accountEnabled=True)

    def soft_delete_user(self, user_id: str) -> None:
        with self.lock:
            record = self._active_user(user_id)
            record.lifecycle = self._next_version()
            record.state = "soft_deleted"
            self._touch_memberships_of(user_id, record.lifecycle)

    def restore_user(self, user_id: str) -> dict[str, Any]:
        with self.lock:
            record = self._user(user_id)
            if record.state != "soft_deleted":
                raise ValueError(f"user {user_id} is not soft-deleted (state: {record.state})")
            self._check_upn_free(record.props["userPrincipalName"], user_id)
            record.lifecycle = self._next_version()
            record.state = "active"
            self._touch_memberships_of(user_id, record.lifecycle)
            return dict(record.props)

    def hard_delete_user(self, user_id: str) -> None:
        with self.lock:
            record = self._user(user_id)
            if record.state == "hard_deleted":
                raise UnknownObjectError(f"user {user_id} is already hard-deleted")
            version = self._next_version()
            record.lifecycle = version
            record.state = "hard_deleted"
            self._upns.pop(record.props["userPrincipalName"].lower(), None)
            self._remove_memberships_of(user_id, version)
            self._assignments = [a for a in self._assignments if a.principal_id != user_id]

    # ----------------------------------------------------------------- groups

    def create_group(self, display_name: str, **props: Any) -> dict[str, Any]:
        """A security group; `mailNickname` is derived from the name when not given."""
        with self.lock:
            self._check_props(props, GROUP_PROPERTIES, READ_ONLY_GROUP_PROPERTIES, "group", allow_id=True)
            group_id = str(props.pop("id", None) or self._new_guid())
            if group_id in self._users or group_id in self._groups:
                raise ValueError(f"object id {group_id} already exists")
            version = self._next_version()
            values: dict[str, Any] = {
                "displayName": display_name,
                "description": None,
                "mailNickname": "".join(c for c in display_name.lower() if c.isalnum()) or "group",
                "mail": None,
                "mailEnabled": False,
                "securityEnabled": True,
                "groupTypes": [],
                **props,
                "createdDateTime": _stamp(version),
            }
            record = GroupRecord(
                id=group_id,
                props={"id": group_id, **values},
                prop_versions=dict.fromkeys(GROUP_PROPERTIES, version),
                created=version,
                lifecycle=version,
            )
            self._groups[group_id] = record
            return dict(record.props)

    def update_group(self, group_id: str, **props: Any) -> dict[str, Any]:
        with self.lock:
            record = self._group(group_id)
            self._check_props(props, GROUP_PROPERTIES, READ_ONLY_GROUP_PROPERTIES, "group")
            changed = {k: v for k, v in props.items() if record.props.get(k) != v}
            if changed:
                version = self._next_version()
                for key, value in changed.items():
                    record.props[key] = value
                    record.prop_versions[key] = version
            return dict(record.props)

    def delete_group(self, group_id: str) -> None:
        """A security group is gone for good; a Microsoft 365 group goes to the recycle bin."""
        with self.lock:
            record = self._group(group_id)
            version = self._next_version()
            record.deleted = True
            record.lifecycle = version
            if "Unified" in (record.props.get("groupTypes") or []):
                record.restorable = True
                self._touch_memberships_of(group_id, version)
                return
            self._purge(record, version)

    def restore_group(self, group_id: str) -> dict[str, Any]:
        """Out of the recycle bin with its members, memberships and assignments."""
        with self.lock:
            record = self._groups.get(group_id)
            if record is None or not record.restorable:
                raise UnknownObjectError(f"no group {group_id} in the recycle bin")
            record.deleted = False
            record.restorable = False
            record.lifecycle = self._next_version()
            self._touch_memberships_of(group_id, record.lifecycle)
            return dict(record.props)

    def purge_group(self, group_id: str) -> None:
        """Empty a deleted Microsoft 365 group from the recycle bin: gone for good."""
        with self.lock:
            record = self._groups.get(group_id)
            if record is None or not record.restorable:
                raise UnknownObjectError(f"no group {group_id} in the recycle bin")
            record.restorable = False
            version = self._next_version()
            record.lifecycle = version
            self._purge(record, version)

    def _purge(self, record: GroupRecord, version: int) -> None:
        self._remove_memberships_of(record.id, version)
        self._assignments = [a for a in self._assignments if a.principal_id != record.id]

    def add_member(self, group_id: str, member_id: str) -> None:
        """Add a direct member: an active user or another group (nesting is never expanded)."""
        with self.lock:
            group = self._group(group_id)
            if member_id in self._users:
                self._active_user(member_id)
                member_type = "user"
            elif member_id in self._groups and not self._groups[member_id].deleted:
                if member_id == group_id:
                    raise ValueError("a group cannot be a member of itself")
                member_type = "group"
            else:
                raise UnknownObjectError(f"no user or group {member_id}")
            link = group.members.get(member_id)
            if link is not None and link.present:
                raise ValueError(f"{member_id} is already a member of group {group_id}")
            group.members[member_id] = MemberLink(member_type, self._next_version())

    def remove_member(self, group_id: str, member_id: str) -> None:
        with self.lock:
            group = self._group(group_id)
            link = group.members.get(member_id)
            if link is None or not link.present or not self._visible(member_id):
                raise UnknownObjectError(f"{member_id} is not a member of group {group_id}")
            link.present = False
            link.version = self._next_version()

    # ----------------------------------------------------------------- app roles and assignments

    def add_app_role(
        self,
        value: str,
        *,
        id: str | None = None,
        display_name: str | None = None,
        allowed: tuple[str, ...] | list[str] = ("User", "Group"),
        description: str | None = None,
    ) -> str:
        """Define another role on the service principal (as an app manifest does); returns its id.

        Shown in `GET /servicePrincipals/{id}` `appRoles`; `allowed` are the principal types it may
        be assigned to (Entra's allowedMemberTypes: "User", "Group").
        """
        with self.lock:
            if not isinstance(value, str) or not value.strip():
                raise ValueError("app role value must be a non-empty string")
            kinds = list(dict.fromkeys(allowed))
            if not kinds or any(k not in ("User", "Group") for k in kinds):
                raise ValueError(
                    f"allowedMemberTypes must be a non-empty subset of User, Group, not {allowed!r}"
                )
            role_id = str(id or self._new_guid())
            try:
                uuid.UUID(role_id)
            except ValueError:
                raise ValueError(f"app role id must be a GUID, not {role_id!r}") from None
            if role_id == DEFAULT_ACCESS_ROLE_ID:
                raise ValueError(f"app role id {role_id} is Default Access, which every app has")
            for role in self._app_roles:
                if role["id"] == role_id:
                    raise ValueError(f"app role id {role_id} is already defined")
                if role["value"] == value:
                    raise ValueError(f"app role value {value!r} is already defined")
            self._app_roles.append(
                _app_role(role_id, value, display_name or value, description or f"GoToMeeting {value}", kinds)
            )
            self._next_version()
            return role_id

    def app_roles(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(r, allowedMemberTypes=list(r["allowedMemberTypes"])) for r in self._app_roles]

    def assign(self, principal_id: str, *, app_role_id: str = APP_ROLE_USER_ID) -> str:
        """Assign a user or group to the GoToMeeting app with a role; returns the assignment id.

        The role must be defined (or be Default Access) and allow the principal's type.
        """
        with self.lock:
            role = next((r for r in self._app_roles if r["id"] == app_role_id), None)
            if role is None and app_role_id != DEFAULT_ACCESS_ROLE_ID:
                raise ValueError(f"app role {app_role_id} is not defined on the service principal")
            if principal_id in self._users:
                self._active_user(principal_id)
                principal_type = "User"
            elif principal_id in self._groups:
                self._group(principal_id)
                principal_type = "Group"
            else:
                raise UnknownObjectError(f"no user or group {principal_id}")
            if role is not None and principal_type not in role["allowedMemberTypes"]:
                raise ValueError(
                    f"app role {role['value']!r} cannot be assigned to a {principal_type.lower()}: "
                    f"its allowedMemberTypes are {role['allowedMemberTypes']}"
                )
            for existing in self._assignments:
                if existing.principal_id == principal_id and existing.app_role_id == app_role_id:
                    raise ValueError("Permission being assigned already exists on the object")
            version = self._next_version()
            assignment_id = base64.urlsafe_b64encode(self._rng.randbytes(32)).decode().rstrip("=")
            self._assignments.append(
                AssignmentRecord(assignment_id, principal_id, principal_type, app_role_id, _stamp(version))
            )
            return assignment_id

    def change_role(self, principal_id: str, *, from_role_id: str, to_role_id: str) -> str:
        """A principal's role changed: Entra removes the assignment and makes a new one (new id)."""
        with self.lock:
            if not any(
                a.principal_id == principal_id and a.app_role_id == from_role_id for a in self._assignments
            ):
                raise UnknownObjectError(f"{principal_id} has no assignment with app role {from_role_id}")
            kept = list(self._assignments)
            self.unassign(principal_id, app_role_id=from_role_id)
            try:
                return self.assign(principal_id, app_role_id=to_role_id)
            except (ValueError, UnknownObjectError):
                self._assignments = (
                    kept  # as one Graph call would: nothing changes when the new role is refused
                )
                raise

    def unassign(self, principal_id: str, *, app_role_id: str | None = None) -> int:
        """Remove the principal's assignments (of one role, or all); returns how many."""
        with self.lock:
            keep = [
                a
                for a in self._assignments
                if a.principal_id != principal_id
                or (app_role_id is not None and a.app_role_id != app_role_id)
            ]
            removed = len(self._assignments) - len(keep)
            if not removed:
                raise UnknownObjectError(f"{principal_id} has no matching assignment")
            self._next_version()
            self._assignments = keep
            return removed

    # ----------------------------------------------------------------- read accessors

    def user(self, user_id: str) -> dict[str, Any]:
        """The stored user in any state (see `user_state`)."""
        with self.lock:
            return dict(self._user(user_id).props)

    def user_state(self, user_id: str) -> str:
        with self.lock:
            return self._user(user_id).state

    def find_user(self, key: str) -> dict[str, Any] | None:
        """An active user by id or userPrincipalName (case-insensitive), as `/users/{key}` resolves."""
        with self.lock:
            record = self._users.get(key)
            if record is None:
                holder = self._upns.get(key.lower())
                record = None if holder is None else self._users[holder]
            if record is None or record.state != "active":
                return None
            return dict(record.props)

    def users(self, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        with self.lock:
            return [
                dict(r.props)
                for r in self._users.values()
                if r.state == "active" or (include_deleted and r.state == "soft_deleted")
            ]

    def group(self, group_id: str) -> dict[str, Any]:
        with self.lock:
            return dict(self._group(group_id).props)

    def groups(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(r.props) for r in self._groups.values() if not r.deleted]

    def members(self, group_id: str) -> list[tuple[str, str]]:
        """The group's visible direct members as (id, "user" | "group"), in the order they joined."""
        with self.lock:
            group = self._group(group_id)
            return [(mid, link.member_type) for mid, link in group.members.items() if self._shown(mid, link)]

    def member_of(self, user_id: str) -> list[str]:
        with self.lock:
            return [
                g.id
                for g in self._groups.values()
                if not g.deleted and user_id in g.members and self._shown(user_id, g.members[user_id])
            ]

    def assignments(self) -> list[dict[str, Any]]:
        """appRoleAssignedTo rows as Graph shapes them; soft-deleted users' rows are hidden."""
        with self.lock:
            return [
                {
                    "id": a.id,
                    "createdDateTime": a.created_date_time,
                    "deletedDateTime": None,
                    "appRoleId": a.app_role_id,
                    "principalDisplayName": self._display_name(a.principal_id),
                    "principalId": a.principal_id,
                    "principalType": a.principal_type,
                    "resourceDisplayName": SERVICE_PRINCIPAL_NAME,
                    "resourceId": SERVICE_PRINCIPAL_ID,
                }
                for a in self._assignments
                if self._visible(a.principal_id)
            ]

    def service_principal(self) -> dict[str, Any]:
        return {
            "id": SERVICE_PRINCIPAL_ID,
            "appId": SERVICE_PRINCIPAL_APP_ID,
            "displayName": SERVICE_PRINCIPAL_NAME,
            "servicePrincipalType": "Application",
            "accountEnabled": True,
            "appRoleAssignmentRequired": True,
            "appRoles": self.app_roles(),
        }

    def summary(self) -> dict[str, int]:
        with self.lock:
            states = [r.state for r in self._users.values()]
            return {
                "version": self._version,
                "users": states.count("active"),
                "softDeletedUsers": states.count("soft_deleted"),
                "groups": sum(1 for g in self._groups.values() if not g.deleted),
                "assignments": len(self.assignments()),
            }

    # ----------------------------------------------------------------- for the delta engine

    def user_records(self) -> Iterator[UserRecord]:
        """Every user ever created (tombstones included); call with `lock` held."""
        return iter(self._users.values())

    def group_records(self) -> Iterator[GroupRecord]:
        return iter(self._groups.values())

    def is_shown(self, member_id: str, link: MemberLink) -> bool:
        """Whether a membership is visible to readers now; call with `lock` held."""
        return self._shown(member_id, link)

    # ----------------------------------------------------------------- internals

    def _reset(self, seed: int) -> None:
        self._rng = random.Random(f"tenant-{seed}")
        self._version = 0
        self._users = {}
        self._groups = {}
        self._assignments = []
        self._upns = {}
        # the gallery app's one role; a group can be assigned to it, as the sandbox's scenarios do
        self._app_roles = [_app_role(APP_ROLE_USER_ID, "User", "User", "GoToMeeting user", ["User", "Group"])]
        self.tokens.clear()

    def _next_version(self) -> int:
        self._version += 1
        return self._version

    def _new_guid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _user(self, user_id: str) -> UserRecord:
        record = self._users.get(user_id)
        if record is None:
            raise UnknownObjectError(f"no user {user_id}")
        return record

    def _active_user(self, user_id: str) -> UserRecord:
        record = self._user(user_id)
        if record.state != "active":
            raise UnknownObjectError(f"user {user_id} is {record.state.replace('_', '-')}")
        return record

    def _group(self, group_id: str) -> GroupRecord:
        record = self._groups.get(group_id)
        if record is None or record.deleted:
            raise UnknownObjectError(f"no group {group_id}")
        return record

    def _visible(self, object_id: str) -> bool:
        user = self._users.get(object_id)
        if user is not None:
            return user.state == "active"
        group = self._groups.get(object_id)
        return group is not None and not group.deleted

    def _shown(self, member_id: str, link: MemberLink) -> bool:
        return link.present and self._visible(member_id)

    def _display_name(self, object_id: str) -> str | None:
        record = self._users.get(object_id) or self._groups.get(object_id)
        return None if record is None else record.props.get("displayName")

    def _touch_memberships_of(self, member_id: str, version: int) -> None:
        for group in self._groups.values():
            link = group.members.get(member_id)
            if link is not None and link.present and not group.deleted:
                link.version = version

    def _remove_memberships_of(self, member_id: str, version: int) -> None:
        for group in self._groups.values():
            link = group.members.get(member_id)
            if link is not None and link.present:
                link.present = False
                link.version = version

    def _check_upn_free(self, upn: Any, owner: str | None) -> None:
        if not isinstance(upn, str) or "@" not in upn:
            raise ValueError(f"userPrincipalName must look like name@domain, got {upn!r}")
        holder = self._upns.get(upn.lower())
        if holder is not None and holder != owner:
            raise ValueError(f"userPrincipalName {upn} is already used by {holder}")

    @staticmethod
    def _check_props(
        props: dict[str, Any],
        known: tuple[str, ...],
        read_only: frozenset[str],
        kind: str,
        *,
        allow_id: bool = False,
    ) -> None:
        allowed = set(known) - read_only | ({"id"} if allow_id else set())
        unknown = sorted(set(props) - allowed)
        if unknown:
            raise ValueError(f"unknown or read-only {kind} properties {unknown}; settable: {sorted(allowed)}")


def _app_role(
    role_id: str, value: str, display_name: str, description: str, allowed: list[str]
) -> dict[str, Any]:
    return {
        "id": role_id,
        "value": value,
        "displayName": display_name,
        "description": description,
        "isEnabled": True,
        "origin": "Application",
        "allowedMemberTypes": list(allowed),
    }


def _stamp(version: int) -> str:
    return (_EPOCH + timedelta(seconds=version)).strftime("%Y-%m-%dT%H:%M:%SZ")
