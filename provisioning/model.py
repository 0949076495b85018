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


class AuditStatus(StrEnum):
    SUCCESS = "success"
    WARNING = "warning"
    FAILURE = "failure"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class ModifiedProperty:
    display_name: str
    old_value: str | None
    new_value: str | None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One processed object, shaped like Entra's provisioning log (provisioningObjectSummary)."""

    id: str
    cycle_id: str
    change_id: str
    activity_date_time: str  # ISO 8601 UTC
    action: str  # create | update | delete | disable | stagedDelete | other
    status: AuditStatus
    source_id: str
    object_type: ObjectType = ObjectType.USER
    source_display_name: str | None = None
    target_id: str | None = None
    target_display_name: str | None = None
    reason: str | None = None  # why the action was chosen (scoping/matching)
    error_code: str | None = None
    error_reason: str | None = None
    recommended_action: str | None = None
    modified_properties: tuple[ModifiedProperty, ...] = ()
    duration_ms: int = 0
    initiated_by: str = "timer"
    dry_run: bool = False


@dataclass(slots=True)
class CycleRecord:
    """One sync cycle: when, what kind, what it did; `counts` is "action/status" -> number."""

    id: str
    started: str
    kind: str  # initial | incremental
    initiated_by: str = "timer"
    ended: str | None = None
    status: str = "running"  # running | succeeded | finished-with-failures | failed | dry-run
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    graph_requests: int = 0
    goto_requests: int = 0
    dry_run: bool = False
    pages: int = 0  # users delta pages processed so far (status shows how far a running cycle is)
    objects_read: int = 0
    operations_done: int = 0


@dataclass(slots=True)
class Link:
    """What is known of one provisioned object: its GoTo id, what was last written, the Entra snapshot."""

    source_id: str
    target_id: str
    active: bool
    written: dict[str, Any] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)
    object_type: ObjectType = ObjectType.USER


@dataclass(frozen=True, slots=True)
class RetryRow:
    """One object's place on the retry ladder (engine.decisions climbs it; state keeps it)."""

    source_id: str
    attempts: int
    error: str
    last_failure: str  # ISO 8601 UTC
    next_attempt: str  # ISO 8601 UTC
    given_up: bool = False
