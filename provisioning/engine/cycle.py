"""One provisioning cycle: read (Graph) -> scope + plan (pure) -> apply (GoTo) -> record (Tables).

Users are processed page by page as the users delta streams in, so the tenant is never held in
memory. Watermarks (delta links, the assignment list, stored memberships) are written last, after
every operation they cover has been applied and recorded: a crash anywhere replays the cycle, and
replays are idempotent (links make creates into matches, disables and deletes of absent accounts
are successes).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from provisioning.engine.apply import Outcome, UserTarget, apply_operations
from provisioning.engine.plan import Action, Candidate, Link, Operation, plan_user
from provisioning.engine.scope import AssignmentIndex, decide_scope
from provisioning.errors import DeltaExpiredError
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
    """Runs cycles. The timer, the CLI and (later) HTTP routes all call `run_cycle`."""

    def __init__(
        self,
        *,
        source: Source,
        target: UserTarget,
        state: TableState,
        service_principal_id: str,
        mapping: UserMapping = DEFAULT_USER_MAPPING,
        concurrency: int = 4,
        progress: Progress | None = None,
        request_counts: Callable[[], tuple[int, int]] | None = None,
    ) -> None:
        self.source = source
        self.target = target
        self.state = state
        self.sp_id = service_principal_id
        self.mapping = mapping
        self.concurrency = concurrency
        self.progress: Progress = progress or _NoProgress()
        self._request_counts = request_counts
        self._select = mapping.graph_select()

    async def run_cycle(self, *, dry_run: bool = False, initiated_by: str = "timer") -> CycleResult:
        users_link = await self.state.get_watermark(USERS_WATERMARK)
        cycle = CycleRecord(
            id=str(uuid.uuid4()),
            started=_now(),
            kind="initial" if users_link is None else "incremental",
            initiated_by=initiated_by,
            dry_run=dry_run,
        )
        result = CycleResult(cycle)
        counts: Counter[str] = Counter()
        try:
            await self._run(cycle, result, counts, users_link, dry_run=dry_run)
        except BaseException as exc:
            cycle.status = "failed"
            cycle.error = f"{type(exc).__name__}: {exc}"[:2000]
            raise
        finally:
            cycle.ended = _now()
            cycle.counts = dict(sorted(counts.items()))
            if self._request_counts is not None:
                cycle.graph_requests, cycle.goto_requests = self._request_counts()
            if not dry_run:
                await self.state.upsert_cycle(cycle)
        return result

    async def _run(
        self,
        cycle: CycleRecord,
        result: CycleResult,
        counts: Counter[str],
        users_link: str | None,
        *,
        dry_run: bool,
    ) -> None:
        previous = await self.state.list_assignments()
        current = [
            a for a in await self.source.list_assignments(self.sp_id) if a.principal_type in ("User", "Group")
        ]
        groups = await self._read_groups(previous, current)
        dirty = _assignment_dirty(previous, current) | groups.dirty
        dirty |= set(await self.state.list_retries())

        pages = self.source.iter_users_delta(link=users_link, select=self._select)
        try:
            first = await anext(pages)
        except DeltaExpiredError:
            cycle.kind = "resync"
            pages = self.source.iter_users_delta(link=None, select=self._select)
            first = await anext(pages)

        index: AssignmentIndex | None = None
        seen: set[str] = set()
        new_users_link: str | None = None

        async def all_pages() -> AsyncIterator[DeltaPage[UserChange]]:
            yield first
            async for page in pages:
                yield page

        async for page in all_pages():
            self.progress.objects_read(len(page.items))
            if page.items:
                index = index or await self._index(current, groups)
                changes = _last_per_user(page.items)
                seen.update(changes)
                await self._process(cycle, result, counts, index, changes, dirty, dry_run=dry_run)
            if page.delta_link:
                new_users_link = page.delta_link

        rest = dirty - seen
        if rest:
            index = index or await self._index(current, groups)
            await self._process(
                cycle, result, counts, index, {i: None for i in sorted(rest)}, dirty, dry_run=dry_run
            )

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
        cycle.status = "finished-with-failures" if result.failures else "succeeded"

    # reading groups ------------------------------------------------------------------------------

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
    ) -> None:
        relevant = [
            i
            for i, c in changes.items()
            if index.is_assigned(i) or i in dirty or (c is not None and c.removed)
        ]
        if not relevant:
            return
        links = await self.state.get_links(relevant)
        operations: list[Operation] = []
        refreshed: list[Link] = []
        snapshots: dict[str, dict[str, Any]] = {}
        for user_id in relevant:
            change, link = changes[user_id], links.get(user_id)
            if change is None and link is None and not index.is_assigned(user_id):
                continue
            candidate = await self._candidate(user_id, change, link, index)
            if candidate is None:
                continue
            op = plan_user(candidate, self.mapping)
            if candidate.source is not None:
                snapshots[user_id] = dict(candidate.source)
            if op is not None:
                operations.append(op)
            elif link is not None and candidate.source is not None and dict(candidate.source) != link.source:
                link.source = dict(candidate.source)
                refreshed.append(link)
        result.planned.extend(operations)
        self.progress.operations_planned(len(operations))
        if dry_run:
            for op in operations:
                counts[f"{op.action.value}/planned"] += 1
            return
        outcomes = await apply_operations(
            operations,
            self.target,
            self.mapping,
            concurrency=self.concurrency,
            on_done=self.progress.operation_done,
        )
        await self._record(cycle, counts, outcomes, links, refreshed, snapshots)

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

    async def _record(
        self,
        cycle: CycleRecord,
        counts: Counter[str],
        outcomes: Sequence[Outcome],
        links: Mapping[str, Link],
        refreshed: list[Link],
        snapshots: Mapping[str, dict[str, Any]],
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
        await self.state.upsert_links(upserts)
        if deleted:
            await self.state.delete_links(deleted)
        await self.state.add_audit_records(records)
        if failures:
            await self.state.record_failures(failures)
        if succeeded:
            await self.state.clear_retries(succeeded)


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
