"""A fake Entra (Source) and a fake GoTo (UserTarget) for cycle tests without I/O.

The fake source keeps a change log and answers delta rounds the way Graph does: a first round with
every user over pages, later rounds with what changed since the round's link (`@removed` for soft
and hard deletes), `members@delta` for groups, and an expired link when told to. The fake target
is a dict of accounts keyed by GoTo id, with 409 on a taken userName, 404 on an unknown id, and an
optional failure per userName. Both count what they were asked, so tests assert the exact work.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from provisioning.engine.apply import TargetUser
from provisioning.engine.group_target import TargetGroup
from provisioning.errors import (
    BadRequestError,
    ConflictError,
    DeltaExpiredError,
    LicenseSeatsError,
    NotFoundError,
)
from provisioning.model import (
    AppRole,
    Assignment,
    DeltaPage,
    GroupChange,
    MemberChange,
    ServicePrincipal,
    UserChange,
)

SP = "sp-1"
ROLE = "role-user"
DEFAULT_ACCESS = "00000000-0000-0000-0000-000000000000"


@dataclass
class FakeSource:
    page_size: int = 3
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    state: dict[str, str] = field(default_factory=dict)  # id -> active | soft | hard
    assignments: dict[str, Assignment] = field(default_factory=dict)
    members: dict[str, set[str]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # group id -> properties
    gone_groups: set[str] = field(default_factory=set)
    app_roles: dict[str, str] = field(default_factory=lambda: {ROLE: "User"})  # role id -> value
    log: list[tuple[int, str, str]] = field(default_factory=list)  # (version, kind, id)
    expired: set[str] = field(default_factory=set)
    calls: Counter[str] = field(default_factory=Counter)
    _version: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # building the tenant -------------------------------------------------------------------------

    def _touch(self, kind: str, object_id: str) -> None:
        self.log.append((next(self._version), kind, object_id))

    def add_user(self, user_id: str, **props: Any) -> None:
        upn = props.pop("upn", f"{user_id}@contoso.example")
        self.users[user_id] = {
            "userPrincipalName": upn,
            "displayName": props.pop("displayName", user_id.title()),
            "givenName": props.pop("givenName", user_id.title()),
            "surname": props.pop("surname", "Person"),
            "mail": props.pop("mail", upn),
            "mailNickname": user_id,
            "accountEnabled": True,
            **props,
        }
        self.state[user_id] = "active"
        self._touch("user", user_id)

    def update_user(self, user_id: str, **props: Any) -> None:
        self.users[user_id].update(props)
        self._touch("user", user_id)

    def soft_delete(self, user_id: str) -> None:
        self.state[user_id] = "soft"
        self._touch("user", user_id)

    def restore(self, user_id: str) -> None:
        self.state[user_id] = "active"
        self._touch("user", user_id)

    def hard_delete(self, user_id: str) -> None:
        self.state[user_id] = "hard"
        self._touch("user", user_id)

    def assign(self, principal_id: str, *, kind: str = "User", role: str = ROLE) -> None:
        self.assignments[principal_id] = Assignment(
            f"a-{principal_id}", principal_id, kind, role, principal_id
        )

    def unassign(self, principal_id: str) -> None:
        del self.assignments[principal_id]

    def add_group(self, group_id: str, *members: str, name: str | None = None) -> None:
        self.members[group_id] = set(members)
        self.groups[group_id] = {"displayName": name or f"Group {group_id}"}
        self._touch("group", group_id)

    def rename_group(self, group_id: str, name: str) -> None:
        self.groups[group_id]["displayName"] = name
        self._touch("group", group_id)

    def delete_group(self, group_id: str) -> None:
        """Gone from Entra: its assignment goes with it, as in Entra."""
        self.gone_groups.add(group_id)
        self.assignments.pop(group_id, None)
        self._touch("group", group_id)

    def add_member(self, group_id: str, user_id: str) -> None:
        self.members[group_id].add(user_id)
        self.log.append((next(self._version), f"member+:{user_id}", group_id))

    def remove_member(self, group_id: str, user_id: str) -> None:
        self.members[group_id].discard(user_id)
        self.log.append((next(self._version), f"member-:{user_id}", group_id))

    def expire_links(self) -> None:
        """Every delta link handed out so far is now refused (syncStateNotFound)."""
        self.expired.update(f"v{v}" for v in range(0, self.version + 1))

    @property
    def version(self) -> int:
        return self.log[-1][0] if self.log else 0

    # the Source protocol ---------------------------------------------------------------------------

    async def list_assignments(self, sp_id: str) -> list[Assignment]:
        """principalDisplayName is the principal's name now, as Graph answers it."""
        self.calls["assignments"] += 1
        return [
            dataclasses.replace(a, principal_display_name=self._name(a.principal_id))
            for a in self.assignments.values()
        ]

    def _name(self, principal_id: str) -> str:
        if principal_id in self.groups:
            return str(self.groups[principal_id]["displayName"])
        return str(self.users.get(principal_id, {}).get("displayName") or principal_id)

    async def iter_users_delta(
        self, *, link: str | None, select: Sequence[str]
    ) -> AsyncIterator[DeltaPage[UserChange]]:
        self.calls["users_delta"] += 1
        if link is not None and link.split("#")[0] in self.expired:
            raise DeltaExpiredError("syncStateNotFound")
        since, start = _parse(link)
        if since is None:
            ids = [u for u, s in self.state.items() if s != "hard"]
        else:
            ids = list(dict.fromkeys(i for v, k, i in self.log if v > since and k == "user"))
        items = [self._user_change(u, full=since is None, select=select) for u in ids]
        version = self.version
        for offset in range(start, max(len(items), 1), self.page_size):
            page = items[offset : offset + self.page_size]
            more = offset + self.page_size < len(items)
            base = "full" if since is None else f"v{since}"
            if more:
                yield DeltaPage(page, next_link=f"{base}#{offset + self.page_size}")
            else:
                yield DeltaPage(page, delta_link=f"v{version}")

    def _user_change(self, user_id: str, *, full: bool, select: Sequence[str]) -> UserChange:
        state = self.state[user_id]
        if state == "hard":
            return UserChange(user_id, {}, "deleted")
        if state == "soft":
            return UserChange(user_id, {}, "changed")
        props = self.users[user_id]
        return UserChange(user_id, {k: v for k, v in props.items() if k in select})

    async def iter_groups_delta(
        self, *, link: str | None, select: Sequence[str] = (), latest: bool = False
    ) -> AsyncIterator[DeltaPage[GroupChange]]:
        self.calls["groups_delta"] += 1
        if link is not None and link in self.expired:
            raise DeltaExpiredError("syncStateNotFound")
        if latest or link is None:
            yield DeltaPage([], delta_link=f"v{self.version}")
            return
        since, _ = _parse(link)
        changes: dict[str, list[MemberChange]] = {}
        touched: set[str] = set()
        for v, kind, object_id in self.log:
            if since is not None and v > since and kind.startswith("member"):
                user = kind.split(":", 1)[1]
                changes.setdefault(object_id, []).append(
                    MemberChange(user, "user", kind.startswith("member-"))
                )
            elif since is not None and v > since and kind == "group":
                touched.add(object_id)
                changes.setdefault(object_id, [])
        items = []
        for g, m in changes.items():
            if g in self.gone_groups:
                items.append(GroupChange(g, {}, (), "deleted"))
            else:
                props = {k: v for k, v in self.groups.get(g, {}).items() if g in touched and k in select}
                items.append(GroupChange(g, props, tuple(m)))
        yield DeltaPage(items, delta_link=f"v{self.version}")

    async def list_group_members(self, group_id: str) -> list[MemberChange]:
        self.calls["members"] += 1
        return [MemberChange(u, "user") for u in sorted(self.members.get(group_id, ()))]

    async def get_group(self, group_id: str, *, select: Sequence[str]) -> dict[str, Any] | None:
        self.calls["get_group"] += 1
        if group_id in self.gone_groups or group_id not in self.groups:
            return None
        return {"id": group_id, **{k: v for k, v in self.groups[group_id].items() if k in select}}

    async def get_service_principal(self, sp_id: str) -> ServicePrincipal:
        self.calls["service_principal"] += 1
        roles = tuple(AppRole(i, v, v) for i, v in self.app_roles.items())
        return ServicePrincipal(sp_id, "GoToMeeting", roles)

    async def get_user(self, user_id: str, *, select: Sequence[str]) -> dict[str, Any] | None:
        self.calls["get_user"] += 1
        if self.state.get(user_id) != "active":
            return None
        return {"id": user_id, **{k: v for k, v in self.users[user_id].items() if k in select}}


def _parse(link: str | None) -> tuple[int | None, int]:
    if link is None:
        return None, 0
    base, _, offset = link.partition("#")
    since = None if base == "full" else int(base[1:])
    return since, int(offset or 0)


@dataclass
class FakeTarget:
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)  # GoTo id -> values by path
    refuse: set[str] = field(default_factory=set)  # userNames GoTo answers 400 for
    calls: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)  # GoTo id -> updates it received
    slow_answers: dict[str, float] = field(default_factory=dict)  # userName -> seconds a 201 takes back
    seats: dict[str, int] | None = None  # license key -> seats: the "licenses" path is checked
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def holders(self, key: str) -> set[str]:
        return {a["userName"].split("@")[0] for a in self.accounts.values() if key in a.get("licenses", ())}

    def _check_seats(self, target_id: str | None, values: Mapping[str, Any]) -> None:
        if self.seats is None or "licenses" not in values:
            return
        for key in values["licenses"]:
            others = {a["id"] for a in self.accounts.values() if key in a.get("licenses", ())} - {target_id}
            if len(others) >= self.seats.get(key, 0):
                raise LicenseSeatsError(f"license {key} has no free seat", status=409)

    def by_name(self, user_name: str) -> dict[str, Any] | None:
        return next((a for a in self.accounts.values() if a["userName"].lower() == user_name.lower()), None)

    def add_existing(self, user_name: str, **values: Any) -> str:
        goto_id = f"goto-{next(self._ids)}"
        self.accounts[goto_id] = {"id": goto_id, "userName": user_name, "active": True, **values}
        return goto_id

    async def find_user(self, *, path: str, value: Any) -> TargetUser | None:
        self.calls["find"] += 1
        found = [a for a in self.accounts.values() if str(a.get(path, "")).lower() == str(value).lower()]
        return TargetUser(found[0]["id"], dict(found[0])) if found else None

    async def create_user(self, values: Mapping[str, Any]) -> TargetUser:
        self.calls["create"] += 1
        if values["userName"] in self.refuse:
            raise BadRequestError("unverified domain", status=400)
        if self.by_name(str(values["userName"])) is not None:
            raise ConflictError("userName taken", status=409)
        goto_id = f"goto-{next(self._ids)}"
        self.accounts[goto_id] = {"id": goto_id, **{k: v for k, v in values.items() if k != "licenses"}}
        self._check_seats(goto_id, values)  # as LicensedUserTarget: the account first, then licenses
        self.accounts[goto_id].update(values)
        delay = self.slow_answers.get(str(values["userName"]))
        if delay:  # the account exists at GoTo already; only its answer is late
            await asyncio.sleep(delay)
        return TargetUser(goto_id, dict(self.accounts[goto_id]))

    async def update_user(
        self, target_id: str, values: Mapping[str, Any], *, current: Mapping[str, Any] | None = None
    ) -> None:
        self.calls["update"] += 1
        if target_id not in self.accounts:
            raise NotFoundError("no such user", status=404)
        self.updated[target_id] += 1
        self._check_seats(target_id, values)
        self.accounts[target_id].update(values)

    async def delete_user(self, target_id: str) -> bool:
        self.calls["delete"] += 1
        return self.accounts.pop(target_id, None) is not None

    @property
    def writes(self) -> int:
        return self.calls["create"] + self.calls["update"] + self.calls["delete"]

    def active_names(self) -> set[str]:
        return {a["userName"].lower() for a in self.accounts.values() if a.get("active")}


@dataclass
class FakeGroups:
    """GoTo's groups: names unique ignoring case (409), members must be existing accounts (400)."""

    users: FakeTarget
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # GoTo id -> values + "members"
    calls: Counter[str] = field(default_factory=Counter)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def by_name(self, name: str) -> dict[str, Any] | None:
        return next((g for g in self.groups.values() if g["displayName"].lower() == name.lower()), None)

    def add_existing(self, name: str, *members: str) -> str:
        group_id = f"grp-{next(self._ids)}"
        self.groups[group_id] = {"id": group_id, "displayName": name, "members": list(members)}
        return group_id

    def _view(self, group: Mapping[str, Any]) -> TargetGroup:
        return TargetGroup(group["id"], group["displayName"], tuple(group["members"]))

    async def create_group(self, values: Mapping[str, Any]) -> TargetGroup:
        self.calls["create"] += 1
        if self.by_name(str(values["displayName"])) is not None:
            raise ConflictError("displayName taken", status=409)
        group_id = f"grp-{next(self._ids)}"
        self.groups[group_id] = {"id": group_id, **values, "members": []}
        return self._view(self.groups[group_id])

    async def find_group(self, *, display_name: str) -> TargetGroup | None:
        self.calls["find"] += 1
        found = [g for g in self.groups.values() if g["displayName"] == display_name]
        return self._view(found[0]) if found else None

    def _group(self, target_id: str) -> dict[str, Any]:
        if target_id not in self.groups:
            raise NotFoundError("no such group", status=404)
        return self.groups[target_id]

    async def update_group(self, target_id: str, values: Mapping[str, Any]) -> None:
        self.calls["update"] += 1
        self._group(target_id).update(values)

    async def add_members(self, target_id: str, member_ids: Sequence[str]) -> None:
        group = self._group(target_id)
        for start in range(0, len(member_ids), 100):
            self.calls["add_members"] += 1
            chunk = list(member_ids[start : start + 100])
            unknown = [m for m in chunk if m not in self.users.accounts]
            if unknown:
                raise BadRequestError(f"unknown members {unknown}", status=400)
            group["members"] += [m for m in chunk if m not in group["members"]]

    async def remove_members(self, target_id: str, member_ids: Sequence[str]) -> None:
        group = self._group(target_id)
        for start in range(0, len(member_ids), 100):
            self.calls["remove_members"] += 1
            gone = set(member_ids[start : start + 100])
            group["members"] = [m for m in group["members"] if m not in gone]

    async def delete_group(self, target_id: str) -> bool:
        self.calls["delete"] += 1
        return self.groups.pop(target_id, None) is not None

    @property
    def writes(self) -> int:
        return sum(n for call, n in self.calls.items() if call != "find")

    def named(self, name: str) -> dict[str, Any]:
        found = self.by_name(name)
        assert found is not None, f"no GoTo group {name!r}"
        return found

    def member_names(self, name: str) -> set[str]:
        return {self.users.accounts[m]["userName"].split("@")[0] for m in self.named(name)["members"]}


def licensed(target: FakeTarget, seats: dict[str, int]) -> FakeTarget:
    """`target` refusing a license with no free seat (LicenseSeatsError), as the Admin API does (409)."""
    target.seats = seats
    return target
