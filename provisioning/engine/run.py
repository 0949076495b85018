"""What one run carries from start to end: its cycle record, result, counts, lease and clock."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from provisioning.engine.apply import Claims, Flight, Outcome
from provisioning.engine.lease import LEASE_TTL_SECONDS, Lease, NoLease
from provisioning.engine.owners import LinkIndex
from provisioning.engine.plan import Action, HardDeleteAction
from provisioning.engine.planned import PlannedOperations
from provisioning.model import AuditRecord, Counts, CycleRecord, CycleStatus, Link, ObjectType

SkipKind = Literal["off", "quarantined", "busy"]
Clock = Callable[[], datetime]


@dataclass(slots=True)
class CycleResult:
    """What a caller gets back: the cycle record, the plan, and the failures to report."""

    cycle: CycleRecord
    # every operation, for dry runs and printing (spilled to a temporary file past the first 1,000)
    planned: PlannedOperations = field(default_factory=PlannedOperations)
    failures: int = 0
    failed_records: list[AuditRecord] = field(default_factory=list)  # for the failed-objects digest
    skip: SkipKind | None = None  # why the cycle did not run, when it did not

    @property
    def counts(self) -> Counts:
        return self.cycle.counts


@dataclass(slots=True)
class CycleRun:
    """One run in flight. Every step takes it, so no step needs a 7-parameter signature."""

    cycle: CycleRecord
    clock: Clock
    lease: Lease | NoLease = field(default_factory=NoLease)
    counts: Counts = field(default_factory=Counts)
    result: CycleResult = field(init=False)
    started: float = field(default_factory=time.monotonic)
    claims: Claims = field(default_factory=Claims)  # GoTo accounts this run's operations hold
    owners: LinkIndex | None = None  # the links by GoTo id, read on the run's first adoption
    links_stored: bool = True  # False: the state held no link when the run began (nothing to read)
    relinked: set[str] = field(default_factory=set)  # users whose GoTo account came, moved or went
    # the retry list's ids, read once on the run's first outcome and kept current by its own writes
    # (listing the list to clear it was one query per page of a cycle)
    retry_ids: set[str] | None = None
    # the GoTo account of every user link this run wrote (the group phase needs no read for these)
    user_accounts: dict[str, str] = field(default_factory=dict)
    flight: Flight | None = None  # the run's operations in flight, across its pages (the first send)
    progress_written: float | None = None  # when the cycle row last took the run's progress

    def __post_init__(self) -> None:
        self.result = CycleResult(self.cycle)

    @classmethod
    def start(cls, kind: str, *, initiated_by: str, dry_run: bool, clock: Clock) -> CycleRun:
        cycle = CycleRecord(
            id=str(uuid.uuid4()),
            started=clock().isoformat(),
            kind=kind,
            initiated_by=initiated_by,
            dry_run=dry_run,
        )
        return cls(cycle, clock)

    @property
    def dry_run(self) -> bool:
        return self.cycle.dry_run

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def progress_due(self, seconds: float) -> bool:
        """True on the first page and then at most every `seconds` (the cycle row is status's
        progress bar; written every page it was one Table call per 100 users)."""
        now = time.monotonic()
        if self.progress_written is not None and now - self.progress_written < seconds:
            return False
        self.progress_written = now
        return True

    def applied(self, outcome: Outcome, link: Link | None) -> None:
        """Take what the group phase needs from a user's outcome as soon as GoTo has answered, so
        the group phase can start while the last page's records are still being written (it waited
        for them: 0.4 s of an initial cycle at 200 req/s, seconds on a loaded store)."""
        op = outcome.operation
        if outcome.failed or op.object_type is not ObjectType.USER:
            return
        if relinked(op.action, link, outcome.target_id):
            self.relinked.add(op.source_id)  # the groups naming this user are looked at again
        if op.action is Action.DELETE:
            self.user_accounts.pop(op.source_id, None)
        elif op.action in (Action.CREATE, Action.UPDATE) and outcome.target_id is not None:
            self.user_accounts[op.source_id] = outcome.target_id
        elif op.action is Action.DISABLE and link is not None:
            self.user_accounts[op.source_id] = link.target_id

    def failures(self) -> int:
        return self.counts.failures()

    def done(self) -> int:
        return self.counts.done()

    def finished(self) -> CycleStatus:
        return CycleStatus.FINISHED_WITH_FAILURES if self.failures() else CycleStatus.SUCCEEDED

    def close(self) -> None:
        """Stamp the end and the counts on the cycle record (before its last write)."""
        self.cycle.ended = self.clock().isoformat()
        self.cycle.counts = Counts({key: n for key, n in sorted(self.counts.items()) if n})
        self.cycle.operations_done = self.done()
        self.result.failures = self.failures()


def relinked(action: Action, link: Link | None, target_id: str | None) -> bool:
    """Whether the user's GoTo account, as groups see it, is new, moved or gone."""
    if action in (Action.CREATE, Action.DELETE):
        return True
    return action is Action.UPDATE and (link is None or link.target_id != target_id)


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """The safety settings of a deployment (see provisioning.config.Settings)."""

    provisioning_enabled: bool = True
    deprovision_threshold: int = 500
    skip_out_of_scope_deletions: bool = False
    time_budget_seconds: float = 480.0
    hard_delete_action: HardDeleteAction = "disable"  # "delete" also deletes GoTo meeting history
    lease_ttl_seconds: float = LEASE_TTL_SECONDS  # tests shorten it; renewals come at a third of it
    record_within_seconds: float = 2.0  # an outcome of a slow page waits at most this for its record
