"""One provisioning cycle: read (Graph) -> scope + plan (pure) -> apply (GoTo) -> record (Tables).

Users are processed page by page as the users delta streams in, so the tenant is never held in
memory. Watermarks (delta links, the assignment list, stored memberships) are written last, after
every operation they cover has been applied and recorded: a crash anywhere replays the cycle, and
replays are idempotent (links make creates into matches, disables and deletes of absent accounts
are successes).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from provisioning.engine.apply import Outcome, UserTarget, apply_operations, audit_action
from provisioning.engine.lease import LEASE_TTL_SECONDS, Lease, LeaseGuardedTarget, NoLease, Waiting
from provisioning.engine.plan import (
    Action,
    Candidate,
    Change,
    HardDeleteAction,
    Link,
    Operation,
    plan_user,
)
from provisioning.engine.scope import AssignmentIndex, decide_scope
from provisioning.errors import (
    DeltaExpiredError,
    LeaseHeldError,
    LeaseLostError,
    StorageError,
    UnauthorizedError,
)
from provisioning.mapping.attributes import DEFAULT_USER_MAPPING, UserMapping
from provisioning.model import (
    Assignment,
    AuditRecord,
    AuditStatus,
    CycleRecord,
    DeltaPage,
    GroupChange,
    MemberChange,
    ModifiedProperty,
    UserChange,
)
from provisioning.state.tables import TableState

USERS_WATERMARK = "users"
GROUPS_WATERMARK = "groups"
QUARANTINE = "quarantine"
CHECKPOINT = "checkpoint"
STAGED = "staged"  # deprovisions held for an admin (accidental-deletion threshold, empty source)
STAGED_DECISION = "staged-decision"  # an admin's approval, applied by the next timer tick
STAGED_CHUNK = 100  # staged approvals are applied (and checked against the time budget) in chunks
PENDING = "pending"  # deprovisions planned before a checkpoint, applied when the cycle completes
QUARANTINE_RETRY_HOURS = 24  # a quarantined job runs once a day until a cycle succeeds
FAILURE_QUARANTINE_SHARE = 0.4  # more than 40 % of a cycle's operations failing ...
FAILURE_QUARANTINE_MINIMUM = 10  # ... out of at least this many
BUSY = "another cycle or on-demand provisioning holds the lease"
SkipKind = Literal["off", "quarantined", "busy"]
DEAD_RUN_LOOKBACK = 10  # recent cycle rows checked for runs that died without recording their end
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """The safety settings of a deployment (see provisioning.config.Settings)."""

    provisioning_enabled: bool = True
    deprovision_threshold: int = 500
    skip_out_of_scope_deletions: bool = False
    time_budget_seconds: float = 480.0
    hard_delete_action: HardDeleteAction = "disable"  # "delete" also deletes GoTo meeting history
    lease_ttl_seconds: float = LEASE_TTL_SECONDS  # tests shorten it; renewals come at a third of it


class Notify(Protocol):
    """Tells the admin about a condition (quarantine, staged deletes, credentials, failed objects)."""

    async def __call__(self, condition: str, details: Mapping[str, Any]) -> None: ...


class CycleSkipped(Exception):
    """Raised inside a cycle to stop it without error (off, quarantined, lease held elsewhere)."""


class Source(Protocol):
    """What the engine reads from Entra; `source.graph.GraphSource` implements it."""

    async def list_assignments(self, sp_id: str) -> list[Assignment]: ...
    def iter_users_delta(
        self, *, link: str | None, select: Sequence[str]
    ) -> AsyncIterator[DeltaPage[UserChange]]: ...
    def iter_groups_delta(
        self, *, link: str | None, select: Sequence[str] = ..., latest: bool = ...
    ) -> AsyncIterator[DeltaPage[GroupChange]]: ...
    async def list_group_members(self, group_id: str) -> list[MemberChange]: ...
    async def get_user(self, user_id: str, *, select: Sequence[str]) -> dict[str, Any] | None: ...


class Progress(Protocol):
    """Receives progress as it happens (the CLI draws a bar; status reads it later)."""

    def objects_read(self, count: int) -> None: ...
    def operations_planned(self, count: int) -> None: ...
    def operation_done(self, outcome: Outcome) -> None: ...


class _NoProgress:
    def objects_read(self, count: int) -> None: ...
    def operations_planned(self, count: int) -> None: ...
    def operation_done(self, outcome: Outcome) -> None: ...


@dataclass(slots=True)
class CycleResult:
    cycle: CycleRecord
    planned: list[Operation] = field(default_factory=list)  # every operation, for dry runs and printing
    failures: int = 0
    failed_records: list[AuditRecord] = field(default_factory=list)  # for the failed-objects digest
    skip: SkipKind | None = None  # why the cycle did not run, when it did not

    @property
    def counts(self) -> dict[str, int]:
        return self.cycle.counts


@dataclass(slots=True)
class _Groups:
    """Assigned groups' direct members as they will be once this cycle is recorded."""

    added: dict[str, set[str]] = field(default_factory=dict)  # members to store
    removed: dict[str, set[str]] = field(default_factory=dict)  # members to forget
    dropped: set[str] = field(default_factory=set)  # groups no longer assigned
    dirty: set[str] = field(default_factory=set)  # users whose membership changed
    delta_link: str | None = None


class SyncEngine:
    """Runs cycles. The timer, the CLI and the HTTP routes all call the same methods."""

    def __init__(
        self,
        *,
        source: Source,
        target: UserTarget,
        state: TableState,
        service_principal_id: str,
        mapping: UserMapping = DEFAULT_USER_MAPPING,
        concurrency: int = 4,
        options: EngineOptions | None = None,
        progress: Progress | None = None,
        notify: Notify | None = None,
        request_counts: Callable[[], tuple[int, int]] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.source = source
        self.target = target
        self.state = state
        self.sp_id = service_principal_id
        self.mapping = mapping
        self.concurrency = concurrency
        self.options = options or EngineOptions()
        self.progress: Progress = progress or _NoProgress()
        self._notify = notify
        self._request_counts = request_counts
        self._clock = clock or (lambda: datetime.now(UTC))
        self._select = mapping.graph_select()
        self._lease: Lease | NoLease = NoLease()

    # the cycle -----------------------------------------------------------------------------------

    async def run_cycle(
        self,
        *,
        dry_run: bool = False,
        initiated_by: str = "timer",
        lease_wait: float = 0.0,
        on_lease_wait: Waiting | None = None,
    ) -> CycleResult:
        """One cycle. A busy lease is a recorded skip for the timer and LeaseHeldError for anyone else
        (the CLI waits up to `lease_wait` seconds for it first); a lost lease or a storage outage ends
        the cycle `interrupted` and re-raises, with no watermark moved. An admin's recorded approval of
        staged deprovisions is this run's work when one is pending (the next run is a normal cycle)."""
        users_link = await self.state.get_watermark(USERS_WATERMARK)
        cycle = CycleRecord(
            id=str(uuid.uuid4()),
            started=self._clock().isoformat(),
            kind="initial" if users_link is None else "incremental",
            initiated_by=initiated_by,
            dry_run=dry_run,
        )
        result = CycleResult(cycle)
        counts: Counter[str] = Counter()
        pending = not dry_run and self.options.provisioning_enabled and await self.pending_staged_approval()
        skipped = None if pending else await self._skip_reason(dry_run=dry_run, initiated_by=initiated_by)
        if skipped is not None:
            result.skip = skipped[0]
            await self._record_skip(cycle, skipped[1])
            return result
        if dry_run:
            await self._run_recorded(cycle, result, counts, users_link, NoLease(), dry_run=True)
            return result
        lease = self.lease(cycle.id, wait=lease_wait, on_wait=on_lease_wait, busy_message=BUSY)
        try:
            if await self.pending_staged_approval():
                return await self.settle_staged(
                    approve=True, initiated_by=initiated_by, lease_wait=lease_wait
                )
            async with lease:
                await self._run_recorded(cycle, result, counts, users_link, lease, dry_run=False)
        except LeaseHeldError:
            if initiated_by != "timer":
                raise
            result.skip = "busy"  # the timer's skip stays quiet, but on record
            await self._record_skip(cycle, BUSY)
            return result
        await self._settle_quarantine(result, counts)
        return result

    def lease(
        self, holder: str, *, busy_message: str, wait: float = 0.0, on_wait: Waiting | None = None
    ) -> Lease:
        """The single-flight lease for `holder`, with this deployment's TTL (renewed every third)."""
        ttl = self.options.lease_ttl_seconds
        return Lease(
            self.state,
            holder,
            ttl=ttl,
            renew_every=ttl / 3,
            wait=wait,
            on_wait=on_wait,
            busy_message=busy_message,
        )

    async def _close_dead_runs(self) -> None:
        """Rows still `running` while we hold the lease belong to runs that died (killed, or storage
        lost before they could record their end): say so, rather than show them running forever."""
        for row in await self.state.list_cycles(limit=DEAD_RUN_LOOKBACK):
            if row.status == "running" and not row.dry_run:
                row.status = "interrupted"
                row.error = row.error or "the run stopped without recording its end (killed, or storage lost)"
                row.ended = row.ended or self._clock().isoformat()
                await self.state.upsert_cycle(row)

    def _writer(self) -> UserTarget:
        """The target as this run may write to it: only while its lease holds."""
        return LeaseGuardedTarget(self.target, self._lease)

    async def _record_skip(self, cycle: CycleRecord, reason: str) -> None:
        cycle.status = f"skipped: {reason}"
        cycle.ended = self._clock().isoformat()
        await self.state.upsert_cycle(cycle)

    async def _run_recorded(
        self,
        cycle: CycleRecord,
        result: CycleResult,
        counts: Counter[str],
        users_link: str | None,
        lease: Lease | NoLease,
        *,
        dry_run: bool,
    ) -> None:
        """On record from its start (a crash leaves a `running` row) to its end, whatever ends it."""
        if not dry_run:
            await self._close_dead_runs()
        await self.state.upsert_cycle(cycle)
        self._lease = lease
        failing = False
        try:
            await self._run(cycle, result, counts, users_link, dry_run=dry_run)
        except UnauthorizedError as exc:
            failing = True
            cycle.status, cycle.error = "failed", f"credentials: {exc}"[:2000]
            await self._quarantine("credentials", str(exc))
            raise
        except (LeaseLostError, StorageError) as exc:
            failing = True
            cycle.status, cycle.error = "interrupted", f"{type(exc).__name__}: {exc}"[:2000]
            raise
        except BaseException as exc:
            failing = True
            cycle.status, cycle.error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
            raise
        finally:
            self._lease = NoLease()
            cycle.ended = self._clock().isoformat()
            cycle.counts = dict(sorted(counts.items()))
            cycle.operations_done = _done(counts)
            if self._request_counts is not None:
                cycle.graph_requests, cycle.goto_requests = self._request_counts()
            try:
                await self.state.upsert_cycle(cycle)
            except StorageError as exc:
                if not failing:
                    raise
                log.warning("cycle %s: its final row could not be written (%s)", cycle.id, exc)

    async def _skip_reason(self, *, dry_run: bool, initiated_by: str) -> tuple[SkipKind, str] | None:
        """Off, or quarantined: cycles do nothing (a dry run may still preview)."""
        if dry_run:
            return None
        if not self.options.provisioning_enabled:
            return "off", "off (PROVISIONING_ENABLED is false)"
        quarantine = await self.state.get_control(QUARANTINE)
        if quarantine is None:
            return None
        reason, since = quarantine.get("Reason"), quarantine.get("Since")
        if reason in HELD_REASONS:
            held = f"quarantined ({reason}) since {since}: approve or reject the staged deprovisions"
            return "quarantined", held
        last = datetime.fromisoformat(str(quarantine.get("LastAttempt") or since))
        next_attempt = last + timedelta(hours=QUARANTINE_RETRY_HOURS)
        if initiated_by == "timer" and self._clock() < next_attempt:
            waiting = f"quarantined ({reason}) since {since}; next attempt after {next_attempt.isoformat()}"
            return "quarantined", waiting
        return None

    async def _run(
        self,
        cycle: CycleRecord,
        result: CycleResult,
        counts: Counter[str],
        users_link: str | None,
        *,
        dry_run: bool,
    ) -> None:
        started = time.monotonic()
        previous = await self.state.list_assignments()
        current = [
            a for a in await self.source.list_assignments(self.sp_id) if a.principal_type in ("User", "Group")
        ]
        groups = await self._read_groups(previous, current)
        dirty = _assignment_dirty(previous, current) | groups.dirty
        dirty |= await self.state.due_retries(now=self._clock())
        checkpoint = await self.state.get_control(CHECKPOINT)
        held = await self._load_held(PENDING) if checkpoint else []
        resume = str(checkpoint["UsersLink"]) if checkpoint else None
        pages, first = await self._open_users_delta(cycle, resume, users_link)

        index: AssignmentIndex | None = None
        seen: set[str] = set()
        new_users_link: str | None = None
        page: DeltaPage[UserChange] | None = first
        while page is not None:
            self.progress.objects_read(len(page.items))
            cycle.pages += 1
            cycle.objects_read += len(page.items)
            if page.items:
                index = index or await self._index(current, groups)
                changes = _last_per_user(page.items)
                seen.update(changes)
                held += await self._process(cycle, result, counts, index, changes, dirty, dry_run=dry_run)
            cycle.operations_done = _done(counts)
            if page.next_link and not dry_run:
                await self.state.upsert_cycle(cycle)  # progress for GET /api/status
            if page.delta_link:
                new_users_link = page.delta_link
            elif page.next_link and time.monotonic() - started > self.options.time_budget_seconds:
                if dry_run:  # a preview is bounded too; it saves no checkpoint
                    cycle.status = "dry-run stopped at the time budget: the plan shown is partial"
                    return
                await self._save_checkpoint(page.next_link, held)
                cycle.status = "stopped at the time budget: the next cycle resumes from a checkpoint"
                return
            page = await anext(pages, None)

        rest = dirty - seen
        if rest:
            index = index or await self._index(current, groups)
            changes_rest: dict[str, UserChange | None] = dict.fromkeys(sorted(rest))
            held += await self._process(cycle, result, counts, index, changes_rest, dirty, dry_run=dry_run)
        if held:
            index = index or await self._index(current, groups)
            await self._deprovision(cycle, result, counts, index, held, dry_run=dry_run)

        result.failures = sum(n for key, n in counts.items() if key.endswith("/failure"))
        if dry_run:
            cycle.status = "dry-run"
            return
        await self.state.replace_assignments(previous, current)
        await self.state.update_members(added=groups.added, removed=groups.removed)
        for group_id in groups.dropped:
            await self.state.drop_members(group_id)
        if groups.delta_link:
            await self.state.set_watermark(GROUPS_WATERMARK, groups.delta_link)
        if new_users_link:
            await self.state.set_watermark(USERS_WATERMARK, new_users_link)
        if checkpoint:
            await self.state.clear_held_operations(PENDING)
            await self.state.delete_control(CHECKPOINT)
        cycle.status = "finished-with-failures" if result.failures else "succeeded"

    async def _open_users_delta(
        self, cycle: CycleRecord, resume: str | None, users_link: str | None
    ) -> tuple[AsyncIterator[DeltaPage[UserChange]], DeltaPage[UserChange]]:
        """Resume from a checkpoint, else the watermark, else (expired) a full resync."""
        candidates = [link for link in (resume, users_link) if link] + [None]
        for link in candidates:
            pages = self.source.iter_users_delta(link=link, select=self._select)
            try:
                first = await anext(pages)
            except DeltaExpiredError:
                if link is None:
                    raise
                continue
            if link is None and users_link is not None:
                cycle.kind = "resync"
            return pages, first
        raise AssertionError("unreachable: the last candidate raises or returns")

    async def _save_checkpoint(self, next_link: str, held: list[_Held]) -> None:
        await self.state.clear_held_operations(PENDING)
        await self.state.add_held_operations(PENDING, [_held_row(h) for h in held])
        await self.state.set_control(CHECKPOINT, {"UsersLink": next_link, "Saved": self._clock().isoformat()})

    async def _load_held(self, kind: str) -> list[_Held]:
        rows = await self.state.list_held_operations(kind)
        links = await self.state.get_links([str(r["SourceId"]) for r in rows])
        return [_held_from_row(r, links.get(str(r["SourceId"]))) for r in rows]

    async def _read_groups(self, previous: list[Assignment], current: list[Assignment]) -> _Groups:
        before = {a.principal_id for a in previous if a.principal_type == "Group"}
        now = {a.principal_id for a in current if a.principal_type == "Group"}
        groups = _Groups(dropped=before - now)
        relist = now - before
        link = await self.state.get_watermark(GROUPS_WATERMARK)
        adds: dict[str, set[str]] = {}
        removes: dict[str, set[str]] = {}
        try:
            if link is None:
                raise DeltaExpiredError("no groups watermark yet")
            async for page in self.source.iter_groups_delta(link=link):
                for change in page.items:
                    if change.id not in now or change.id in relist:
                        continue
                    for member in change.members:
                        if member.member_type != "user":
                            continue
                        target, other = (removes, adds) if member.removed else (adds, removes)
                        target.setdefault(change.id, set()).add(member.member_id)
                        other.get(change.id, set()).discard(member.member_id)
                if page.delta_link:
                    groups.delta_link = page.delta_link
        except DeltaExpiredError:
            # Track from now on, then read the members of every assigned group afresh.
            async for page in self.source.iter_groups_delta(link=None, latest=True):
                if page.delta_link:
                    groups.delta_link = page.delta_link
            relist = set(now)
            adds, removes = {}, {}
        stored = await self.state.list_members(groups.dropped | (relist & before))
        for group_id in groups.dropped:
            groups.dirty |= stored[group_id]
        for group_id in relist:
            members = {
                m.member_id for m in await self.source.list_group_members(group_id) if m.member_type == "user"
            }
            old = stored.get(group_id, set())
            groups.added[group_id] = members - old
            groups.removed[group_id] = old - members
            groups.dirty |= members ^ old
        for group_id, users in adds.items():
            groups.added[group_id] = users
            groups.dirty |= users
        for group_id, users in removes.items():
            groups.removed[group_id] = users
            groups.dirty |= users
        return groups

    async def _index(self, current: list[Assignment], groups: _Groups) -> AssignmentIndex:
        """Scope needs every assigned group's members: stored, plus this cycle's changes."""
        assigned = {a.principal_id for a in current if a.principal_type == "Group"}
        members = await self.state.list_members(assigned)
        for group_id in assigned:
            members[group_id] = (
                members.get(group_id, set()) | groups.added.get(group_id, set())
            ) - groups.removed.get(group_id, set())
        return AssignmentIndex(current, members)

    # planning, applying and recording one batch of users ----------------------------------------

    async def _process(
        self,
        cycle: CycleRecord,
        result: CycleResult,
        counts: Counter[str],
        index: AssignmentIndex,
        changes: Mapping[str, UserChange | None],
        dirty: set[str],
        *,
        dry_run: bool,
    ) -> list[_Held]:
        """Plan a batch; apply creates and updates now; hand back disables and deletes for the end."""
        relevant = [
            i
            for i, c in changes.items()
            if index.is_assigned(i) or i in dirty or (c is not None and c.removed)
        ]
        if not relevant:
            return []
        links = await self.state.get_links(relevant)
        operations: list[Operation] = []
        held: list[_Held] = []
        refreshed: list[Link] = []
        snapshots: dict[str, dict[str, Any]] = {}
        for user_id in relevant:
            change, link = changes[user_id], links.get(user_id)
            if change is None and link is None and not index.is_assigned(user_id):
                continue
            candidate = await self._candidate(user_id, change, link, index)
            if candidate is None:
                continue
            op = plan_user(
                candidate,
                self.mapping,
                skip_out_of_scope_deletions=self.options.skip_out_of_scope_deletions,
                hard_delete_action=self.options.hard_delete_action,
            )
            if candidate.source is not None:
                snapshots[user_id] = dict(candidate.source)
            if op is not None and op.action in DEPROVISIONS:
                held.append(_Held(op, link, snapshots.get(user_id)))
            elif op is not None:
                operations.append(op)
            elif link is not None and candidate.source is not None and dict(candidate.source) != link.source:
                link.source = dict(candidate.source)
                refreshed.append(link)
        result.planned.extend(operations)
        self.progress.operations_planned(len(operations))
        if dry_run:
            await self._record_dry_run(cycle, counts, operations)
            return held
        self._lease.check()
        outcomes = await apply_operations(
            operations,
            self._writer(),
            self.mapping,
            concurrency=self.concurrency,
            on_done=self.progress.operation_done,
        )
        await self._record(cycle, result, counts, outcomes, links, refreshed, snapshots)
        return held

    async def _deprovision(
        self,
        cycle: CycleRecord,
        result: CycleResult,
        counts: Counter[str],
        index: AssignmentIndex,
        held: list[_Held],
        *,
        dry_run: bool,
    ) -> None:
        """Disables and deletes run last, and only when the source read looks sane and the count is sane."""
        operations = [h.operation for h in held]
        guard: tuple[str, str] | None = None
        if index.provisionable_user_count() == 0:
            guard = ("empty-source", "the read found no assigned user while provisioned accounts exist")
        elif len(held) > self.options.deprovision_threshold:
            limit = self.options.deprovision_threshold
            guard = ("too-many-deletes", f"{len(held)} disables/deletes exceed DEPROVISION_THRESHOLD={limit}")
        if dry_run:
            await self._record_dry_run(cycle, counts, operations, note=guard[1] if guard else None)
            return
        if guard is not None:
            reason, detail = guard
            await self.state.add_held_operations(STAGED, [_held_row(h) for h in held])
            records = [_staged_audit(cycle, op, detail) for op in operations]
            counts["stagedDelete/skipped"] += len(records)
            await self.state.add_audit_records(records)
            await self._quarantine(reason, detail)
            deletes = sum(1 for op in operations if op.action is Action.DELETE)
            await self._tell(
                "staged_deletes",
                {
                    "reason": reason,
                    "detail": detail,
                    "disables": len(operations) - deletes,
                    "deletes": deletes,
                },
            )
            return
        self._lease.check()
        result_planned = [h.operation for h in held]
        self.progress.operations_planned(len(result_planned))
        outcomes = await apply_operations(
            result_planned,
            self._writer(),
            self.mapping,
            concurrency=self.concurrency,
            on_done=self.progress.operation_done,
        )
        links = {h.operation.source_id: h.link for h in held if h.link is not None}
        snapshots = {h.operation.source_id: h.snapshot for h in held if h.snapshot}
        await self._record(cycle, result, counts, outcomes, links, [], snapshots)

    # staged deprovisions: an admin approves or rejects them ----------------------------------------

    async def list_staged(self) -> list[Operation]:
        return [h.operation for h in await self._load_held(STAGED)]

    async def request_staged_approval(self, *, initiated_by: str = "admin") -> dict[str, Any]:
        """Record an admin's approval; the next timer tick applies it under the lease and the time budget.

        An HTTP request cannot wait for hundreds of GoTo writes (Flex cuts HTTP triggers at 230 s).
        """
        staged = len(await self.state.list_held_operations(STAGED))
        if staged == 0:
            return {"accepted": False, "staged": 0, "detail": "nothing is staged"}
        when = self._clock().isoformat()
        await self.state.set_control(
            STAGED_DECISION, {"Decision": "approve", "By": initiated_by, "At": when, "Staged": staged}
        )
        return {
            "accepted": True,
            "staged": staged,
            "decidedAt": when,
            "detail": "approval recorded: the next timer cycle applies the staged deprovisions",
            "watch": {"status": "GET /api/status", "logs": "GET /api/logs?action=disable"},
        }

    async def pending_staged_approval(self) -> bool:
        decision = await self.state.get_control(STAGED_DECISION)
        return decision is not None and decision.get("Decision") == "approve"

    async def settle_staged(
        self, *, approve: bool, initiated_by: str = "admin", lease_wait: float = 0.0
    ) -> CycleResult:
        """Approve (apply) or reject (drop) every staged deprovision, then lift that quarantine.

        Approval runs under the lease and the time budget: at the budget it stops between chunks and
        the next timer tick goes on (work already done is recognised from the links and not redone).
        """
        cycle = CycleRecord(
            id=str(uuid.uuid4()),
            started=self._clock().isoformat(),
            kind="staged-approval" if approve else "staged-rejection",
            initiated_by=initiated_by,
        )
        result, counts = CycleResult(cycle), Counter[str]()
        busy = "a cycle is running; try again when it has finished"
        async with self.lease(cycle.id, wait=lease_wait, busy_message=busy) as lease:
            await self._run_recorded_staged(cycle, result, counts, lease, approve=approve)
        return result

    async def _run_recorded_staged(
        self, cycle: CycleRecord, result: CycleResult, counts: Counter[str], lease: Lease, *, approve: bool
    ) -> None:
        self._lease = lease
        started = time.monotonic()
        try:
            held = await self._load_held(STAGED)
            result.planned = [h.operation for h in held]
            if approve:
                todo = [h for h in held if not _already_done(h)]
                for start in range(0, len(todo), STAGED_CHUNK):
                    if time.monotonic() - started > self.options.time_budget_seconds:
                        cycle.status = "stopped at the time budget: the next timer cycle goes on approving"
                        return
                    chunk = todo[start : start + STAGED_CHUNK]
                    outcomes = await apply_operations(
                        [h.operation for h in chunk],
                        self._writer(),
                        self.mapping,
                        concurrency=self.concurrency,
                    )
                    links = {h.operation.source_id: h.link for h in chunk if h.link is not None}
                    await self._record(cycle, result, counts, outcomes, links, [], {})
            else:
                records = [_rejected_audit(cycle, h.operation) for h in held]
                counts["other/skipped"] += len(records)
                await self.state.add_audit_records(records)
            lease.check()
            await self.state.clear_held_operations(STAGED)
            if await self.state.get_control(STAGED_DECISION) is not None:
                await self.state.delete_control(STAGED_DECISION)
            quarantine = await self.state.get_control(QUARANTINE)
            if quarantine is not None and quarantine.get("Reason") in HELD_REASONS:
                await self.state.delete_control(QUARANTINE)
            result.failures = sum(n for key, n in counts.items() if key.endswith("/failure"))
            cycle.status = "finished-with-failures" if result.failures else "succeeded"
        except (LeaseLostError, StorageError) as exc:
            cycle.status, cycle.error = "interrupted", f"{type(exc).__name__}: {exc}"[:2000]
            raise
        finally:
            self._lease = NoLease()
            cycle.ended = self._clock().isoformat()
            cycle.counts = dict(sorted(counts.items()))
            cycle.operations_done = _done(counts)
            try:
                await self.state.upsert_cycle(cycle)
            except StorageError as exc:
                log.warning("staged cycle %s: its row could not be written (%s)", cycle.id, exc)

    # quarantine ------------------------------------------------------------------------------------

    async def _quarantine(self, reason: str, detail: str) -> None:
        now = self._clock().isoformat()
        existing = await self.state.get_control(QUARANTINE)
        since = existing.get("Since") if existing and existing.get("Reason") == reason else now
        await self.state.set_control(
            QUARANTINE, {"Reason": reason, "Since": since, "LastAttempt": now, "Detail": detail[:1000]}
        )
        if reason == "credentials":
            await self._tell("credentials", {"detail": detail})
        await self._tell("quarantine", {"reason": reason, "since": since, "detail": detail})

    async def _settle_quarantine(self, result: CycleResult, counts: Counter[str]) -> None:
        """More than 40 % of at least 10 operations failing quarantines; a good cycle lifts it."""
        if result.cycle.status.startswith("stopped"):
            return
        operations = sum(n for key, n in counts.items() if not key.endswith("/skipped"))
        if (
            operations >= FAILURE_QUARANTINE_MINIMUM
            and result.failures > FAILURE_QUARANTINE_SHARE * operations
        ):
            await self._quarantine(
                "too-many-failures", f"{result.failures} of {operations} operations failed"
            )
            return
        if result.failures:
            await self._tell("failed_objects", {"cycle": result.cycle.id, "records": result.failed_records})
        quarantine = await self.state.get_control(QUARANTINE)
        if quarantine is not None and quarantine.get("Reason") not in HELD_REASONS:
            await self.state.delete_control(QUARANTINE)

    async def _tell(self, condition: str, details: Mapping[str, Any]) -> None:
        if self._notify is not None:
            await self._notify(condition, details)

    async def _candidate(
        self, user_id: str, change: UserChange | None, link: Link | None, index: AssignmentIndex
    ) -> Candidate | None:
        removed = change.removed if change is not None else None
        fresh = dict(change.attributes) if change is not None and not removed else {}
        source: dict[str, Any] = {**(link.source if link else {}), **fresh}
        scope = decide_scope(user_id, index, source=source or None, removed=removed)
        if scope.in_scope:
            complete = all(name in source for name in self._select if name != "id")
            trusted = link is not None and link.active and complete
            if not (trusted or (complete and all(name in fresh for name in self._select if name != "id"))):
                read = await self.source.get_user(user_id, select=self._select)
                if read is None:
                    return None  # gone since the delta was read; its removal arrives in a later round
                source = {k: v for k, v in read.items() if k != "id"}
                scope = decide_scope(user_id, index, source=source, removed=None)
        return Candidate(user_id, source or None, scope, link, removed)

    async def _record_dry_run(
        self,
        cycle: CycleRecord,
        counts: Counter[str],
        operations: Sequence[Operation],
        *,
        note: str | None = None,
    ) -> None:
        records = []
        for op in operations:
            counts[f"{op.action.value}/planned"] += 1
            reason = f"dry run, nothing written: {op.reason}" + (f"; would be held: {note}" if note else "")
            outcome = Outcome(op, AuditStatus.SKIPPED, audit_action(op.action), op.target_id)
            records.append(replace(_audit(cycle, outcome), reason=reason))
        await self.state.add_audit_records(records)

    async def _record(
        self,
        cycle: CycleRecord,
        result: CycleResult,
        counts: Counter[str],
        outcomes: Sequence[Outcome],
        links: Mapping[str, Link | None],
        refreshed: list[Link],
        snapshots: Mapping[str, dict[str, Any] | None],
    ) -> None:
        records: list[AuditRecord] = []
        upserts: list[Link] = list(refreshed)
        deleted: list[str] = []
        failures: dict[str, str] = {}
        succeeded: list[str] = []
        for outcome in outcomes:
            op = outcome.operation
            counts[f"{outcome.action}/{outcome.status.value}"] += 1
            records.append(_audit(cycle, outcome))
            if outcome.failed:
                result.failed_records.append(records[-1])
                failures[op.source_id] = outcome.error_reason or outcome.error_code or "failed"
                continue
            succeeded.append(op.source_id)
            link = links.get(op.source_id)
            if op.action is Action.DELETE:
                deleted.append(op.source_id)
            elif op.action is Action.DISABLE and link is not None:
                link.active = False
                link.written["active"] = False
                link.source = snapshots.get(op.source_id) or link.source
                upserts.append(link)
            elif op.action in (Action.CREATE, Action.UPDATE) and outcome.target_id is not None:
                source = snapshots.get(op.source_id) or (link.source if link else {})
                upserts.append(Link(op.source_id, outcome.target_id, True, dict(outcome.written), source))
        # Audit first: a crash after it replays the object (adopt, recorded again); a crash between
        # links and audit would leave an applied action that no record explains.
        await self.state.add_audit_records(records)
        await self.state.upsert_links(upserts)
        if deleted:
            await self.state.delete_links(deleted)
        if failures:
            await self.state.record_failures(failures, now=self._clock())
        if succeeded:
            await self.state.clear_retries(succeeded)


HELD_REASONS = ("too-many-deletes", "empty-source")
DEPROVISIONS = (Action.DISABLE, Action.DELETE)


@dataclass(slots=True)
class _Held:
    """A disable or delete waiting for the end of the cycle (or for an admin, when staged)."""

    operation: Operation
    link: Link | None
    snapshot: dict[str, Any] | None = None


def _held_row(held: _Held) -> dict[str, Any]:
    op = held.operation
    return {
        "SourceId": op.source_id,
        "Action": op.action.value,
        "TargetId": op.target_id or "",
        "Reason": op.reason,
        "DisplayName": op.display_name or "",
        "Changes": json.dumps([[c.path, c.old, c.new] for c in op.changes]),
    }


def _held_from_row(row: Mapping[str, Any], link: Link | None) -> _Held:
    changes = tuple(Change(path, old, new) for path, old, new in json.loads(str(row.get("Changes") or "[]")))
    op = Operation(
        Action(str(row["Action"])),
        str(row["SourceId"]),
        str(row["Reason"]),
        str(row.get("TargetId") or "") or None,
        str(row.get("DisplayName") or "") or None,
        {c.path: c.new for c in changes},
        changes,
    )
    return _Held(op, link)


def _already_done(held: _Held) -> bool:
    """A staged disable whose account is already inactive, or delete whose link is gone, was applied."""
    if held.operation.action is Action.DELETE:
        return held.link is None
    return held.link is not None and not held.link.active


def _staged_audit(cycle: CycleRecord, op: Operation, detail: str) -> AuditRecord:
    outcome = Outcome(op, AuditStatus.SKIPPED, "stagedDelete", op.target_id)
    reason = f"{op.reason}; held for an admin: {detail} (POST /api/staged/approve or /api/staged/reject)"
    return replace(_audit(cycle, outcome), reason=reason)


def _rejected_audit(cycle: CycleRecord, op: Operation) -> AuditRecord:
    outcome = Outcome(op, AuditStatus.SKIPPED, "other", op.target_id)
    return replace(
        _audit(cycle, outcome), reason=f"staged {op.action.value} rejected by an admin: {op.reason}"
    )


def _done(counts: Counter[str]) -> int:
    """Operations applied (or held/skipped) so far; dry-run plans are not work done."""
    return sum(n for key, n in counts.items() if not key.endswith("/planned"))


def _assignment_dirty(previous: Iterable[Assignment], current: Iterable[Assignment]) -> set[str]:
    """Users whose direct assignment appeared, vanished or changed role."""
    before = {(a.principal_id, a.app_role_id) for a in previous if a.principal_type == "User"}
    after = {(a.principal_id, a.app_role_id) for a in current if a.principal_type == "User"}
    return {principal for principal, _ in before ^ after}


def _last_per_user(items: Iterable[UserChange]) -> dict[str, UserChange]:
    """A page may hold the same user twice (replays): merge attributes, keep the latest removal state."""
    merged: dict[str, UserChange] = {}
    for item in items:
        earlier = merged.get(item.id)
        if earlier is None or item.removed or earlier.removed:
            merged[item.id] = item
        else:
            merged[item.id] = UserChange(item.id, {**earlier.attributes, **item.attributes}, None)
    return merged


def _audit(cycle: CycleRecord, outcome: Outcome) -> AuditRecord:
    op = outcome.operation
    reason = op.reason if not outcome.note else f"{op.reason}; {outcome.note}"
    return AuditRecord(
        id=str(uuid.uuid4()),
        cycle_id=cycle.id,
        change_id=str(uuid.uuid4()),
        activity_date_time=_now(),
        action=outcome.action,
        status=outcome.status,
        source_id=op.source_id,
        object_type=op.object_type,
        source_display_name=op.display_name,
        target_id=outcome.target_id,
        target_display_name=op.display_name,
        reason=reason,
        error_code=outcome.error_code,
        error_reason=outcome.error_reason,
        recommended_action=outcome.recommended_action,
        modified_properties=tuple(ModifiedProperty(c.path, _text(c.old), _text(c.new)) for c in op.changes),
        duration_ms=outcome.duration_ms,
        initiated_by=cycle.initiated_by,
        dry_run=cycle.dry_run,
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def _now() -> str:
    return datetime.now(UTC).isoformat()


__all__ = ["AuditStatus", "CycleResult", "Progress", "Source", "SyncEngine"]
