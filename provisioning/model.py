"""Plain data passed between the adapters and the pure core. No I/O, no SDK types."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, Literal, TypeVar

DEFAULT_ACCESS_ROLE_ID = "00000000-0000-0000-0000-000000000000"

RemovedReason = Literal["changed", "deleted"]
T = TypeVar("T")


class ObjectType(StrEnum):
    """What a link, operation or audit record is about; groups arrive with the groups issue."""

    USER = "user"
    GROUP = "group"


@dataclass(frozen=True, slots=True)
class AppRole:
    id: str
    value: str | None
    display_name: str | None
    is_enabled: bool = True


@dataclass(frozen=True, slots=True)
class ServicePrincipal:
    id: str
    display_name: str | None
    app_roles: tuple[AppRole, ...] = ()


@dataclass(frozen=True, slots=True)
class Assignment:
    """One row of servicePrincipals/{id}/appRoleAssignedTo."""

    id: str
    principal_id: str
    principal_type: str  # "User" | "Group" | "ServicePrincipal"
    app_role_id: str
    principal_display_name: str | None = None

    @property
    def is_default_access(self) -> bool:
        return self.app_role_id == DEFAULT_ACCESS_ROLE_ID


@dataclass(frozen=True, slots=True)
class UserChange:
    """One user entry of a users/delta page.

    `attributes` holds only the Graph properties present on the page (never `id` or `@removed`):
    with `Prefer: return=minimal` that is just what changed, so it must be merged, not trusted whole.
    """

    id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    removed: RemovedReason | None = None


@dataclass(frozen=True, slots=True)
class MemberChange:
    """One entry of a group's members@delta: a direct member added, or removed (`removed=True`)."""

    member_id: str
    member_type: str  # "user", "group", ... from @odata.type without the "#microsoft.graph." prefix
    removed: bool = False


@dataclass(frozen=True, slots=True)
class GroupChange:
    """One group entry of a groups/delta page; a big group recurs on later pages with more members."""

    id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    members: tuple[MemberChange, ...] = ()
    removed: RemovedReason | None = None


@dataclass(frozen=True, slots=True)
class DeltaPage(Generic[T]):
    """One page of a delta round: exactly one of next_link / delta_link is set on a well-formed page."""

    items: list[T]
    next_link: str | None = None
    delta_link: str | None = None
