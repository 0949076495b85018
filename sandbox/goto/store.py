"""The organization's users and groups, with GoTo's cross-resource rules (uniqueness, membership)."""

from __future__ import annotations

import copy
import random
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sandbox.goto.constants import (
    ENTERPRISE_SCHEMA,
    GETGO_SCHEMA,
    GROUP_SCHEMA,
    SANDBOX_ACCOUNT_KEY,
    SANDBOX_ACCOUNT_NAME,
    SANDBOX_ADMIN_FAMILY_NAME,
    SANDBOX_ADMIN_GIVEN_NAME,
    SANDBOX_ADMIN_USERNAME,
    USER_SCHEMA,
    VERIFIED_DOMAINS,
)
from sandbox.goto.errors import bad_request, conflict, not_found
from sandbox.goto.patch import apply_patch
from sandbox.goto.resource import governing_emails
from sandbox.goto.validation import check_domains, domain_addresses, normalize_group, normalize_user

Resource = dict[str, Any]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _identity_addresses(user: Mapping[str, Any]) -> set[str]:
    """What GoTo keys a person on: the userName and the work/primary e-mail, compared without case."""
    addresses = {a.casefold() for a in governing_emails(dict(user))}
    addresses.add(str(user["userName"]).casefold())
    return addresses


class Store:
    """Thread-safe; every method returns copies, so callers can never mutate state behind the lock.

    Uniqueness is checked through indexes (case-folded userName, identity address and group
    displayName → id) kept in step with every create, replace, patch and delete, so a write costs
    the same in a 100,000-user organization as in an empty one.
    """

    def __init__(self, *, verified_domains: Iterable[str] = VERIFIED_DOMAINS, seed: int = 0) -> None:
        self._lock = threading.RLock()
        self._seed = seed
        self.verified_domains: tuple[str, ...] = tuple(verified_domains)
        self.base_url = "http://127.0.0.1/identity/v1"
        self.reset()

    # -- lifecycle -------------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to an organization holding only its admin."""
        with self._lock:
            self._rng = random.Random(self._seed)
            self._version = 0
            self._users: dict[str, Resource] = {}
            self._groups: dict[str, Resource] = {}
            self._user_names: dict[str, str] = {}  # userName.casefold() -> id
            self._addresses: dict[str, str] = {}  # userName or governing e-mail, casefolded -> id
            self._group_names: dict[str, str] = {}  # displayName.casefold() -> id
            admin = self.create_user(
                {
                    "userName": SANDBOX_ADMIN_USERNAME,
                    "name": {"givenName": SANDBOX_ADMIN_GIVEN_NAME, "familyName": SANDBOX_ADMIN_FAMILY_NAME},
                    "displayName": f"{SANDBOX_ADMIN_GIVEN_NAME} {SANDBOX_ADMIN_FAMILY_NAME}",
                    "emails": [{"value": SANDBOX_ADMIN_USERNAME, "type": "work", "primary": True}],
                    "active": True,
                },
                check_domain=False,
            )
            self.admin_id: str = admin["id"]

    def set_base_url(self, base_url: str) -> None:
        """meta.location and member $ref point at the running server."""
        with self._lock:
            self.base_url = base_url.rstrip("/")
            for kind, table in (("Users", self._users), ("Groups", self._groups)):
                for rid, resource in table.items():
                    resource["meta"]["location"] = f"{self.base_url}/{kind}/{rid}"

    # -- reads -----------------------------------------------------------------------------------

    def users(self) -> list[Resource]:
        with self._lock:
            return [self._render_user(u) for u in self._users.values()]

    def groups(self) -> list[Resource]:
        with self._lock:
            return [self._render_group(g) for g in self._groups.values()]

    def get_user(self, user_id: str) -> Resource:
        with self._lock:
            return self._render_user(self._user(user_id))

    def get_group(self, group_id: str) -> Resource:
        with self._lock:
            return self._render_group(self._group(group_id))

    def get_admin(self) -> Resource:
        return self.get_user(self.admin_id)

    def find_user(self, user_name: str) -> Resource | None:
        """By userName, ignoring case, as GoTo (and SCIM's caseExact=false) compares it."""
        with self._lock:
            user_id = self._user_names.get(user_name.casefold())
            return None if user_id is None else self._render_user(self._users[user_id])

    def find_group(self, display_name: str) -> Resource | None:
        with self._lock:
            group_id = self._group_names.get(display_name.casefold())
            return None if group_id is None else self._render_group(self._groups[group_id])

    def list_users(self, predicate: Callable[[Resource], bool] | None = None) -> list[Resource]:
        """In creation order, so paging is stable while nothing is created or deleted."""
        return self.page_users(predicate)[1]

    def list_groups(self, predicate: Callable[[Resource], bool] | None = None) -> list[Resource]:
        return self.page_groups(predicate)[1]

    def page_users(
        self, predicate: Callable[[Resource], bool] | None = None, start: int = 1, count: int | None = None
    ) -> tuple[int, list[Resource]]:
        """(matches, the page from 1-based `start`): the predicate sees the stored user (the filterable
        attributes are the same as rendered) and only the page is rendered, so listing a big
        organization page by page stays linear."""
        with self._lock:
            return _page(self._users.values(), predicate, start, count, self._render_user)

    def page_groups(
        self, predicate: Callable[[Resource], bool] | None = None, start: int = 1, count: int | None = None
    ) -> tuple[int, list[Resource]]:
        with self._lock:
            return _page(self._groups.values(), predicate, start, count, self._render_group)

    # -- user writes -----------------------------------------------------------------------------

    def create_user(self, resource: Mapping[str, Any], *, check_domain: bool = True) -> Resource:
        """`check_domain=False` seeds accounts that pre-date the current list of verified domains."""
        with self._lock:
            domains = self.verified_domains if check_domain else None
            user = normalize_user(dict(resource), verified_domains=domains)
            self._check_user_unique(user, None)
            user_id = self._new_id(self._users)
            user["id"] = user_id
            user["meta"] = self._new_meta("User", f"{self.base_url}/Users/{user_id}")
            self._users[user_id] = user
            self._index_user(user)
            return self._render_user(user)

    def replace_user(self, user_id: str, resource: Mapping[str, Any]) -> Resource:
        with self._lock:
            old = self._user(user_id)
            user = normalize_user(dict(resource), verified_domains=None)
            return self._commit_user(old, user)

    def patch_user(self, user_id: str, body: Any) -> Resource:
        with self._lock:
            old = self._user(user_id)
            patched = apply_patch(self._stored_form(old), body)
            return self._commit_user(old, normalize_user(patched, verified_domains=None))

    def delete_user(self, user_id: str) -> None:
        """Also drops the user from every group, as GoTo removes a deleted user from the organization."""
        with self._lock:
            self._unindex_user(self._user(user_id))
            del self._users[user_id]
            for group in self._groups.values():
                kept = [m for m in group["members"] if m["value"] != user_id]
                if len(kept) != len(group["members"]):
                    group["members"] = kept
                    self._touch(group)

    # -- group writes ----------------------------------------------------------------------------

    def create_group(self, resource: Mapping[str, Any]) -> Resource:
        with self._lock:
            group = normalize_group(dict(resource))
            self._check_group(group, None)
            group_id = self._new_id(self._groups)
            group["id"] = group_id
            group["meta"] = self._new_meta("Group", f"{self.base_url}/Groups/{group_id}")
            self._groups[group_id] = group
            self._group_names[group["displayName"].casefold()] = group_id
            return self._render_group(group)

    def replace_group(self, group_id: str, resource: Mapping[str, Any]) -> Resource:
        with self._lock:
            old = self._group(group_id)
            return self._commit_group(old, normalize_group(dict(resource)))

    def patch_group(self, group_id: str, body: Any) -> Resource:
        with self._lock:
            old = self._group(group_id)
            patched = apply_patch(self._stored_form(old), body)
            return self._commit_group(old, normalize_group(patched))

    def delete_group(self, group_id: str) -> None:
        with self._lock:
            group = self._group(group_id)
            self._group_names.pop(group["displayName"].casefold(), None)
            del self._groups[group_id]

    # -- internals -------------------------------------------------------------------------------

    def _user(self, user_id: str) -> Resource:
        user = self._users.get(user_id)
        if user is None:
            raise not_found(f"User {user_id!r} not found")
        return user

    def _group(self, group_id: str) -> Resource:
        group = self._groups.get(group_id)
        if group is None:
            raise not_found(f"Group {group_id!r} not found")
        return group

    def _new_id(self, table: Mapping[str, Any]) -> str:
        """Numeric, like GoTo's userKeys, and never a GUID, so clients cannot assume Entra-like ids."""
        while True:
            candidate = str(self._rng.randrange(10**18, 10**19))
            if candidate not in self._users and candidate not in self._groups and candidate not in table:
                return candidate

    def _new_meta(self, resource_type: str, location: str) -> dict[str, Any]:
        self._version += 1
        stamp = _now()
        return {
            "resourceType": resource_type,
            "created": stamp,
            "lastModified": stamp,
            "location": location,
            "version": f'W/"{self._version}"',
        }

    def _touch(self, resource: Resource) -> None:
        self._version += 1
        resource["meta"]["lastModified"] = _now()
        resource["meta"]["version"] = f'W/"{self._version}"'

    @staticmethod
    def _stored_form(resource: Resource) -> Resource:
        """What a PATCH works on: the resource without its server-owned parts."""
        return {k: copy.deepcopy(v) for k, v in resource.items() if k not in ("id", "meta")}

    def _check_user_unique(self, user: Resource, own_id: str | None) -> None:
        holder = self._user_names.get(user["userName"].casefold())
        if holder is not None and holder != own_id:
            raise conflict(f"userName {user['userName']!r} is already in use")
        clash = [a for a in _identity_addresses(user) if self._addresses.get(a, own_id) != own_id]
        if clash:
            raise conflict(f"e-mail {sorted(clash)[0]!r} is already in use by another user")

    def _index_user(self, user: Resource) -> None:
        self._user_names[user["userName"].casefold()] = user["id"]
        for address in _identity_addresses(user):
            self._addresses[address] = user["id"]

    def _unindex_user(self, user: Resource) -> None:
        """Drops only entries that point at this user (a uniqueness check let no one else hold them)."""
        if self._user_names.get(user["userName"].casefold()) == user["id"]:
            del self._user_names[user["userName"].casefold()]
        for address in _identity_addresses(user):
            if self._addresses.get(address) == user["id"]:
                del self._addresses[address]

    def _commit_user(self, old: Resource, user: Resource) -> Resource:
        """Apply the domain rule only to addresses the write introduces: disabling a legacy account works."""
        before = {a.casefold() for a in domain_addresses(old)}
        introduced = [a for a in domain_addresses(user) if a.casefold() not in before]
        check_domains(introduced, self.verified_domains)
        self._check_user_unique(user, old["id"])
        user["id"] = old["id"]
        user["meta"] = old["meta"]
        self._unindex_user(old)
        self._users[old["id"]] = user
        self._index_user(user)
        self._touch(user)
        return self._render_user(user)

    def _check_group(self, group: Resource, own_id: str | None) -> None:
        holder = self._group_names.get(group["displayName"].casefold())
        if holder is not None and holder != own_id:
            raise conflict(f"group displayName {group['displayName']!r} is already in use")
        unknown = [m["value"] for m in group["members"] if m["value"] not in self._users]
        if unknown:
            raise bad_request(f"members must be existing users; unknown: {unknown}")

    def _commit_group(self, old: Resource, group: Resource) -> Resource:
        self._check_group(group, old["id"])
        group["id"] = old["id"]
        group["meta"] = old["meta"]
        self._group_names.pop(old["displayName"].casefold(), None)
        self._groups[old["id"]] = group
        self._group_names[group["displayName"].casefold()] = old["id"]
        self._touch(group)
        return self._render_group(group)

    def _render_user(self, user: Resource) -> Resource:
        body = copy.deepcopy(user)
        schemas = [USER_SCHEMA]
        if ENTERPRISE_SCHEMA in body:
            schemas.append(ENTERPRISE_SCHEMA)
        schemas.append(GETGO_SCHEMA)
        body[GETGO_SCHEMA] = {"accounts": [{"value": SANDBOX_ACCOUNT_KEY, "display": SANDBOX_ACCOUNT_NAME}]}
        return {"schemas": schemas, "id": body.pop("id"), **body}

    def _render_group(self, group: Resource) -> Resource:
        body = copy.deepcopy(group)
        members = []
        for member in body.pop("members", []):
            user = self._users.get(member["value"])
            members.append(
                {
                    "value": member["value"],
                    "display": user["userName"] if user else None,
                    "type": "user",
                    "$ref": f"{self.base_url}/Users/{member['value']}",
                }
            )
        return {"schemas": [GROUP_SCHEMA], "id": body.pop("id"), **body, "members": members}


def _page(
    stored: Iterable[Resource],
    predicate: Callable[[Resource], bool] | None,
    start: int,
    count: int | None,
    render: Callable[[Resource], Resource],
) -> tuple[int, list[Resource]]:
    matches = [r for r in stored if predicate is None or predicate(r)]
    first = max(1, start) - 1
    chosen = matches[first:] if count is None else matches[first : first + max(0, count)]
    return len(matches), [render(r) for r in chosen]
