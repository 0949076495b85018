"""Plain data passed between the adapters and the pure core. No I/O, no SDK types."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
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


@dataclass(slots=True)
class ModifiedProperty:
    """One attribute's move on record. Not frozen, like the planner's Change: ten are built per
    audit record, and a frozen dataclass's __init__ costs 5x (object.__setattr__ per field)."""

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


class CycleStatus(StrEnum):
    """How a cycle ended (or that it runs); why, in words, goes in `CycleRecord.detail`."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FINISHED_WITH_FAILURES = "finished-with-failures"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # a lost lease, a storage outage, a killed process
    STOPPED = "stopped"  # at the time budget: the next cycle goes on from a checkpoint
    SKIPPED = "skipped"  # did not run: off, quarantined, busy
    DRY_RUN = "dry-run"

    @classmethod
    def read(cls, text: str, detail: str | None = None) -> tuple[CycleStatus, str | None]:
        """Rows written before the enum carried the detail in the text ("skipped: off (…)")."""
        try:
            return cls(text), detail
        except ValueError:
            pass
        for status, prefix in (
            (cls.SKIPPED, "skipped: "),
            (cls.STOPPED, "stopped "),
            (cls.STOPPED, "dry-run stopped "),
        ):
            if text.startswith(prefix):
                return status, detail or text[len(prefix) :]
        return cls.FAILED, detail or text


class Counts(Counter[tuple[str, str]]):
    """A cycle's counters, keyed by (action, status) with action one of create | update | disable |
    delete | stagedDelete | other and status an AuditStatus value or "planned", as
    `counts["create", "success"]`;
    "action/status" text only on the wire (rows, JSON)."""

    def add(self, action: str, status: str, n: int = 1) -> None:
        self[str(action), str(status)] += n  # str(): an enum member counts as its value

    def failures(self) -> int:
        return sum(n for (_, status), n in self.items() if status == AuditStatus.FAILURE)

    def done(self) -> int:
        """Operations applied, held or skipped; dry-run plans are not work done."""
        return sum(n for (_, status), n in self.items() if status != PLANNED)

    def applied(self) -> int:
        """Operations that reached GoTo (or failed trying): what the failure share is taken of."""
        return sum(n for (_, status), n in self.items() if status not in (AuditStatus.SKIPPED, PLANNED))

    def to_dict(self) -> dict[str, int]:
        return {f"{action}/{status}": n for (action, status), n in sorted(self.items()) if n}

    @classmethod
    def from_dict(cls, data: Mapping[str, int]) -> Counts:
        counts = cls()
        for text, n in data.items():
            action, _, status = text.rpartition("/")
            counts[action, status] = int(n)
        return counts


PLANNED = "planned"


@dataclass(slots=True)
class CycleRecord:
    """One sync cycle: when, what kind, how it ended and why, what it did."""

    id: str
    started: str
    kind: str  # initial | incremental
    initiated_by: str = "timer"
    ended: str | None = None
    status: CycleStatus = CycleStatus.RUNNING
    counts: Counts = field(default_factory=Counts)
    error: str | None = None
    graph_requests: int = 0
    goto_requests: int = 0
    dry_run: bool = False
    pages: int = 0  # users delta pages processed so far (status shows how far a running cycle is)
    objects_read: int = 0
    operations_done: int = 0
    detail: str | None = None  # why it was skipped or stopped, in words

    def describe(self) -> str:
        """The status as a person reads it: "skipped: off (PROVISIONING_ENABLED is false)"."""
        return f"{self.status}: {self.detail}" if self.detail else str(self.status)


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
