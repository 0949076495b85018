"""The simulator's stored objects, with the version stamps delta queries are computed from.

Every mutation of the tenant takes the next version number; an object remembers the version at
which each property, its lifecycle and each membership last changed, so "what changed since
version V" is a comparison, not a replay of history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

UserState = Literal["active", "soft_deleted", "hard_deleted"]

# Properties the simulator stores and lets clients $select (besides `id`).
USER_PROPERTIES: tuple[str, ...] = (
    "userPrincipalName",
    "displayName",
    "givenName",
    "surname",
    "mail",
    "mailNickname",
    "accountEnabled",
    "jobTitle",
    "department",
    "employeeId",
    "employeeOrgData",  # {"costCenter", "division"}: the GoTo connector maps both
    "mobilePhone",
    "businessPhones",
    "officeLocation",
    "preferredLanguage",
    "companyName",
    "usageLocation",
    "userType",
    "createdDateTime",
)
# What Graph v1.0 returns for a user when no $select is given (and so what delta then tracks).
DEFAULT_USER_SELECT: tuple[str, ...] = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
)
READ_ONLY_USER_PROPERTIES = frozenset({"createdDateTime"})

GROUP_PROPERTIES: tuple[str, ...] = (
    "displayName",
    "description",
    "mailNickname",
    "mail",
    "mailEnabled",
    "securityEnabled",
    "groupTypes",
    "createdDateTime",
)
# `members` is a navigation property: selectable on groups/delta only, where it yields members@delta.
GROUP_DELTA_SELECTABLE: tuple[str, ...] = (*GROUP_PROPERTIES, "members")
DEFAULT_GROUP_SELECT: tuple[str, ...] = (
    "displayName",
    "description",
    "mailNickname",
    "mail",
    "mailEnabled",
    "securityEnabled",
    "groupTypes",
)
DEFAULT_GROUP_DELTA_SELECT: tuple[str, ...] = (*DEFAULT_GROUP_SELECT, "members")
READ_ONLY_GROUP_PROPERTIES = frozenset({"createdDateTime"})


@dataclass
class UserRecord:
    id: str
    props: dict[str, Any]
    prop_versions: dict[str, int]
    created: int
    lifecycle: int  # version of the last create / soft delete / restore / hard delete
    state: UserState = "active"


@dataclass
class MemberLink:
    """A direct membership, current or past: past ones are kept so delta can report the removal."""

    member_type: str  # "user" | "group"
    version: int  # last time the membership appeared or disappeared for readers
    present: bool = True


@dataclass
class GroupRecord:
    id: str
    props: dict[str, Any]
    prop_versions: dict[str, int]
    created: int
    lifecycle: int
    deleted: bool = False
    restorable: bool = False  # deleted but in the recycle bin (Microsoft 365 groups only)
    members: dict[str, MemberLink] = field(default_factory=dict)


@dataclass
class AssignmentRecord:
    id: str
    principal_id: str
    principal_type: str  # "User" | "Group"
    app_role_id: str
    created_date_time: str
