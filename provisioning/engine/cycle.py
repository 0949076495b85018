"""One provisioning cycle: read (Graph) -> scope + plan (pure) -> apply (GoTo) -> record (Tables).

Users are processed page by page as the users delta streams in, so the tenant is never held in
memory. Watermarks (delta links, the assignment list, stored memberships) are written last, after
every operation they cover has been applied and recorded: a crash anywhere replays the cycle, and
replays are idempotent (links make creates into matches, disables and deletes of absent accounts
are successes). Decisions live in decisions.py, recording in records.py, groups in groups.py, the
quarantine in quarantine.py, staged approvals in staged.py, the lease in lease.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, aclosing
from datetime import UTC, datetime
from typing import Any

from provisioning.aio import gather_all
from provisioning.engine.apply import (
    Flight,
    Outcome,
    UserTarget,
    apply_operations,
    finished_outcomes,
    with_finished,
)
from provisioning.engine.checkpoint import (
    MAPPING_CHANGED,
    clear_checkpoint,
    cycle_fingerprint,
    load_checkpoint,
    mapping_changed,
    open_users_delta,
    remember_mapping,
    save_checkpoint,
)
from provisioning.engine.decisions import (
    assignment_dirty,
    deletion_guard,
    last_per_user,
    skip_reason,
)
from provisioning.engine.group_apply import apply_group_operations
from provisioning.engine.group_sync import GroupPolicy, plan_groups
from provisioning.engine.group_target import GroupTarget
from provisioning.engine.groups import GroupDelta, read_groups, scope_index, store_groups
from provisioning.engine.lease import Lease, LeaseGuardedGroups, LeaseGuardedTarget, Waiting
from provisioning.engine.licenses import LicenseMap
from provisioning.engine.lifecycle import close_dead_runs, record_skip, recorded
from provisioning.engine.owners import LinkIndex
from provisioning.engine.pipeline import Pipeline
from provisioning.engine.plan import Action, Candidate, Operation, plan_user
from provisioning.engine.ports import NoProgress, Notify, Progress, Source, StateStore
from provisioning.engine.quarantine import Quarantine
from provisioning.engine.records import Held, Recorder, unmappable
from provisioning.engine.rolling import RollingRecord
from provisioning.engine.run import CycleResult, CycleRun, EngineOptions
from provisioning.engine.scope import AssignmentIndex, decide_scope
from provisioning.engine.staged import StagedDeprovisions
from provisioning.engine.unique import unique_rows, with_unique_values
from provisioning.errors import (
    LeaseHeldError,
)
from provisioning.mapping.attributes import DEFAULT_USER_MAPPING, UserMapping
from provisioning.mapping.expressions import ExpressionError
from provisioning.model import Assignment, CycleStatus, DeltaPage, Link, ObjectType, UserChange

USERS_WATERMARK = "users"
GROUPS_WATERMARK = "groups"
PROGRESS_SECONDS = 2.0  # the running cycle row takes its progress at most this often

log = logging.getLogger(__name__)
BUSY = "another cycle or on-demand provisioning holds the lease"
DEPROVISIONS = (Action.DISABLE, Action.DELETE)


async def _no_links() -> dict[str, Link]:
    return {}


async def _false() -> bool:
    return False


def _kind(users_link: str | None) -> str:
    return "initial" if users_link is None else "incremental"


class SyncEngine:
    """Runs cycles. The timer, the CLI and the HTTP routes all call the same methods."""

    def __init__(
        self,
        *,
        source: Source,
        target: UserTarget,
        state: StateStore,
        service_principal_id: str,
        mapping: UserMapping = DEFAULT_USER_MAPPING,
        concurrency: int | Callable[[], int] = 4,  # operations in flight, or asked before each start
        options: EngineOptions | None = None,
        progress: Progress | None = None,
        notify: Notify | None = None,
        request_counts: Callable[[], tuple[int, int]] | None = None,
        clock: Callable[[], datetime] | None = None,
        groups: GroupPolicy | None = None,
        group_target: GroupTarget | None = None,
        licenses: LicenseMap | None = None,
    ) -> None:
        """`groups` and `group_target` together push assigned groups to GoTo; `licenses` (the mapping
        file's roles -> license keys) makes a user's licenses follow their roles (`target` must then
        take the "licenses" path: target.licensed_target)."""
        if (groups is None) != (group_target is None):
            raise ValueError("groups and group_target go together")
        self.source = source
        self.target = target
        self.state = state
        self.sp_id = service_principal_id
        self.mapping = mapping
        self.concurrency = concurrency
        self.options = options or EngineOptions()
        self.progress: Progress = progress or NoProgress()
        self.request_counts = request_counts
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.select = mapping.graph_select()
        self._needed = frozenset(name for name in self.select if name != "id")  # what plan_user reads
        self.unique = unique_rows(mapping)
        self.scoping = mapping.in_scope if mapping.filters is not None else None
        self.recorder = Recorder(state)
        self.quarantine = Quarantine(state, self.clock, notify)
        self.staged = StagedDeprovisions(self)
        self.groups = groups
        self.group_target = group_target
        self.licenses = licenses or None  # an empty map manages no license
        self.license_map: LicenseMap | None = None  # with the app's roles, once read_roles ran

    # the cycle: read -> plan -> apply -> record ---------------------------------------------------

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
        if dry_run:
            users_link = await self.state.get_watermark(USERS_WATERMARK)
            run = CycleRun.start(_kind(users_link), initiated_by=initiated_by, dry_run=True, clock=self.clock)
            async with self.recorded(run):
                await self._run(run, users_link)
            return run.result
        enabled = self.options.provisioning_enabled
        users_link, pending, quarantine = await gather_all(  # read side by side: one round trip
            (
                self.state.get_watermark(USERS_WATERMARK),
                self.staged.approval_pending() if enabled else _false(),
                self.quarantine.get(),
            )
        )
        run = CycleRun.start(_kind(users_link), initiated_by=initiated_by, dry_run=False, clock=self.clock)
        skipped = None
        if not pending:
            skipped = skip_reason(
                enabled=enabled, quarantine=quarantine, now=self.clock(), initiated_by=initiated_by
            )
        if skipped is not None:
            run.result.skip = skipped[0]
            await record_skip(self.state, run, skipped[1])
            return run.result
        try:
            if pending:
                return await self.staged.settle(
                    approve=True, initiated_by=initiated_by, lease_wait=lease_wait
                )
            async with self.lease(
                run.cycle.id, wait=lease_wait, on_wait=on_lease_wait, busy_message=BUSY
            ) as lease:
                run.lease = lease
                await close_dead_runs(self.state, self.clock)
                async with self.recorded(run):
                    await self._run(run, users_link)
        except LeaseHeldError:
            if initiated_by != "timer":
                raise
            run.result.skip = "busy"  # the timer's skip stays quiet, but on record
            await record_skip(self.state, run, BUSY)
            return run.result
        await self.quarantine.settle(run)
        return run.result

    async def _run(self, run: CycleRun, users_link: str | None) -> None:
        cycle = run.cycle
        fingerprint = cycle_fingerprint(self.mapping, self.licenses.by_role if self.licenses else None)
        # What the cycle starts from, read side by side (one after another, a dozen Table and Graph
        # round trips held the first GoTo request back); none of these reads writes anything.
        previous, assigned, groups_link, due, (checkpoint, held), new_mapping, *_ = await gather_all(
            (
                self.state.list_assignments(),
                self.source.list_assignments(self.sp_id),
                self.state.get_watermark(GROUPS_WATERMARK),
                self.state.due_retries(now=self.clock()),
                load_checkpoint(self.state),
                mapping_changed(self.state, fingerprint),  # read once; the lease is ours
                self._links_stored(run, users_link),
                self.read_roles(),
            )
        )
        current = [a for a in assigned if a.principal_type in ("User", "Group")]
        remapped = new_mapping and users_link is not None
        resume = str(checkpoint["UsersLink"]) if checkpoint else None
        if remapped:  # every user is read again; the plan writes only values the new mapping changes
            cycle.kind, cycle.detail = "full", MAPPING_CHANGED
            if checkpoint and checkpoint.get("Mapping") != fingerprint:
                resume, held = None, []  # that read was made for the old mapping
        read_from = None if remapped else users_link
        select = self.groups.select if self.groups is not None else ("displayName", "members")
        groups, (pages, first) = await gather_all(
            (
                read_groups(self.source, self.state, previous, current, link=groups_link, select=select),
                open_users_delta(self.source, run, resume, read_from, select=self.select),
            )
        )
        dirty = assignment_dirty(previous, current) | groups.dirty
        dirty |= due - {a.principal_id for a in current if a.principal_type == "Group"}

        index: AssignmentIndex | None = None
        seen: set[str] = set()
        new_users_link: str | None = None
        page: DeltaPage[UserChange] | None = first
        async with Pipeline() as pipeline:  # page N+1 is read and planned while page N is applied
            while page is not None:
                pipeline.read_ahead(pages if page.next_link else None)
                self.progress.objects_read(len(page.items))
                cycle.pages += 1
                cycle.objects_read += len(page.items)
                if page.items:
                    changes = last_per_user(page.items)
                    prefetched: dict[str, Link] | None = None
                    if index is None:
                        index, prefetched = await self._first_reads(run, current, groups, changes)
                    seen.update(i for i in changes if i in dirty)  # what the end needs: memory stays flat
                    held += await self._process(
                        run, index, changes, dirty, pipeline, links=prefetched, last=not page.next_link
                    )
                if page.next_link and not run.dry_run and run.progress_due(PROGRESS_SECONDS):
                    cycle.operations_done = run.done()
                    await self.state.upsert_cycle(cycle)  # progress for GET /api/status
                if page.delta_link:
                    new_users_link = page.delta_link
                elif page.next_link and run.elapsed() > self.options.time_budget_seconds:
                    await pipeline.drain()  # the checkpoint covers only work that is recorded
                    if run.dry_run:  # a preview is bounded too; it saves no checkpoint
                        cycle.status, cycle.detail = (
                            CycleStatus.STOPPED,
                            "at the time budget: the plan shown is partial",
                        )
                        return
                    await save_checkpoint(self.state, page.next_link, held, self.clock, mapping=fingerprint)
                    cycle.status = CycleStatus.STOPPED
                    cycle.detail = "at the time budget: the next cycle resumes from a checkpoint"
                    return
                page = await pipeline.next_page()

            rest = dirty - seen
            if rest:
                index = index or await scope_index(self.state, current, groups)
                held += await self._process(run, index, dict.fromkeys(sorted(rest)), dirty, pipeline)
            # Every account a membership names is applied now (run.user_accounts); the group phase
            # starts while the users' last records are written, and the pipeline's exit waits for them.
            await pipeline.applied()
            if self.groups is not None:

                async def index_for() -> AssignmentIndex:
                    nonlocal index
                    index = index or await scope_index(self.state, current, groups)
                    return index

                held += await self._groups(run, current, index_for, groups, due)
        if held:
            index = index or await scope_index(self.state, current, groups)
            await self._deprovision(run, index, held)
        if run.dry_run:
            cycle.status = CycleStatus.DRY_RUN
            return
        run.lease.check()  # the watermarks move only while the lease is surely ours
        # Side by side where order does not matter: the assignments and members the run learnt; then
        # the groups watermark and the mapping; the users watermark last (a crash before it re-reads
        # from the old one, with the new mapping remembered only if the read it covers is done).
        learnt = (self.state.replace_assignments(previous, current), store_groups(self.state, groups))
        await gather_all(learnt)
        before_users: list[Awaitable[None]] = []
        if groups.delta_link:
            before_users.append(self.state.set_watermark(GROUPS_WATERMARK, groups.delta_link))
        if new_users_link and new_mapping:
            before_users.append(remember_mapping(self.state, fingerprint, self.clock))
        await gather_all(before_users)
        if new_users_link:
            await self.state.set_watermark(USERS_WATERMARK, new_users_link)
        if checkpoint:
            await clear_checkpoint(self.state)
        cycle.status = run.finished()

    async def _first_reads(
        self, run: CycleRun, current: list[Assignment], groups: GroupDelta, changes: Iterable[str]
    ) -> tuple[AssignmentIndex, dict[str, Link]]:
        """The assigned groups' members and the first page's links, read side by side."""
        index, links = await gather_all(
            (
                scope_index(self.state, current, groups),
                self.state.get_links(changes) if run.links_stored else _no_links(),
            )
        )
        return index, links

    async def _links_stored(self, run: CycleRun, users_link: str | None) -> None:
        """A first cycle on empty state has no link to read: one call instead of one per user."""
        if users_link is None:
            async with aclosing(self.state.list_links()) as links:
                run.links_stored = await anext(links, None) is not None

    async def _process(
        self,
        run: CycleRun,
        index: AssignmentIndex,
        changes: Mapping[str, UserChange | None],
        dirty: set[str],
        pipeline: Pipeline,
        *,
        links: Mapping[str, Link] | None = None,
        last: bool = False,
    ) -> list[Held]:
        """Plan a batch; start its creates and updates once every operation of the batch before has
        started (pipeline.then); hand back disables and deletes for the end. `last`: no page comes
        after it (its records hurry once its operations have all started)."""
        relevant = [
            i
            for i, c in changes.items()
            if index.is_assigned(i) or i in dirty or (c is not None and c.removed)
        ]
        if not relevant:
            return []
        if links is not None:  # read with the members (a superset of what is relevant)
            links = {i: links[i] for i in relevant if i in links}
        else:
            links = await self.state.get_links(relevant) if run.links_stored else {}
        operations: list[Operation] = []
        held: list[Held] = []
        refreshed: list[Link] = []
        snapshots: dict[str, dict[str, Any]] = {}
        failed: list[Outcome] = []
        for user_id in relevant:
            change, link = changes[user_id], links.get(user_id)
            if change is None and link is None and not index.is_assigned(user_id):
                continue
            candidate = await self.candidate(user_id, change, link, index)
            if candidate is None:
                continue
            try:
                op = await self.plan(candidate)
            except ExpressionError as exc:
                name = (candidate.source or {}).get("displayName")
                failed.append(unmappable(user_id, name if isinstance(name, str) else None, link, exc))
                continue
            if candidate.source is not None:
                snapshots[user_id] = dict(candidate.source)
            if op is not None and op.action in DEPROVISIONS:
                held.append(Held(op, link, snapshots.get(user_id)))
            elif op is not None:
                operations.append(op)
            elif link is not None and candidate.source is not None and dict(candidate.source) != link.source:
                link.source = dict(candidate.source)
                refreshed.append(link)
        if failed:
            await self.recorder.record_unmappable(run, failed, links)
        self.progress.operations_planned(len(operations))
        if run.dry_run:  # the plan is what a preview shows; a real run keeps counts, not operations
            run.result.planned.extend(operations)
            await self.recorder.record_dry_run(run, operations)
            return held
        started = asyncio.Event()  # the next page may start once each of these operations has
        await pipeline.then(
            self.send(
                run,
                operations,
                links,
                refreshed=refreshed,
                snapshots=snapshots,
                after=pipeline.recorded_before(),
                on_started=started.set,
                last=last,
            ),
            started=started,
        )
        return held

    async def _groups(
        self,
        run: CycleRun,
        current: Sequence[Assignment],
        index_for: Callable[[], Awaitable[AssignmentIndex]],
        groups: GroupDelta,
        due: set[str],
    ) -> list[Held]:
        """Plan the groups something happened to; apply creates and updates; hand back deletes."""
        assert self.groups is not None
        work = await plan_groups(
            self.source, self.state, self.groups, run, current, index_for, groups, retries=due
        )
        self.progress.operations_planned(len(work.operations))
        if run.dry_run:
            run.result.planned.extend(work.operations)
            await self.recorder.record_dry_run(run, work.operations)
        elif work.operations:
            await self.apply(run, work.operations, work.links, snapshots=work.snapshots)
            await self._tell_truncated(run, work.operations)
        return work.held

    async def _tell_truncated(self, run: CycleRun, operations: Sequence[Operation]) -> None:
        """A group pushed with only part of its members is mailed, never left to the log alone."""
        failed = {r.source_id for r in run.result.failed_records}
        cut = [
            {
                "id": op.source_id,
                "displayName": op.display_name,
                "members": op.members.eligible,
                "pushed": len(op.members.pushed),
            }
            for op in operations
            if op.members is not None and op.members.truncated and op.source_id not in failed
        ]
        if cut and self.groups is not None:
            await self.quarantine.tell("groups_truncated", {"groups": cut, "cap": self.groups.member_cap})

    async def _deprovision(self, run: CycleRun, index: AssignmentIndex, held: list[Held]) -> None:
        """Disables and deletes run last, and only when the source read looks sane and the count is sane."""
        operations = [h.operation for h in held]
        guard = deletion_guard(
            provisionable_users=index.provisionable_user_count() + len(index.provisionable_group_ids()),
            deprovisions=len(held),
            threshold=self.options.deprovision_threshold,
        )
        if run.dry_run:  # the preview lists the deprovisions too, with the guard's verdict on record
            run.result.planned.extend(operations)
            await self.recorder.record_dry_run(run, operations, note=guard[1] if guard else None)
            return
        if guard is not None:
            await self.staged.stage(run, held, *guard)
            return
        self.progress.operations_planned(len(operations))
        links = {h.operation.source_id: h.link for h in held if h.link is not None}
        snapshots = {h.operation.source_id: h.snapshot for h in held if h.snapshot}
        await self.apply(run, operations, links, snapshots=snapshots)

    # the parts on-demand provisioning and staged approvals share -----------------------------------

    async def plan(self, candidate: Candidate) -> Operation | None:
        """The planner's operation; a create's SelectUniqueValue rows then ask GoTo (unique.py).
        ExpressionError: the mapping cannot be evaluated for this user."""
        op = plan_user(
            candidate,
            self.mapping,
            skip_out_of_scope_deletions=self.options.skip_out_of_scope_deletions,
            hard_delete_action=self.options.hard_delete_action,
        )
        if op is None or candidate.source is None:
            return op
        return await with_unique_values(op, candidate.source, self.unique, self.target)

    async def read_roles(self) -> None:
        """The app's roles, when licenses are mapped: role values name licenses in the mapping file."""
        if self.licenses is not None:
            self.license_map = self.licenses.with_roles(await self.source.get_service_principal(self.sp_id))

    async def candidate(
        self, user_id: str, change: UserChange | None, link: Link | None, index: AssignmentIndex
    ) -> Candidate | None:
        """The user as planning needs it: link snapshot + delta, re-read from Graph when incomplete."""
        removed = change.removed if change is not None else None
        fresh: Mapping[str, Any] = change.attributes if change is not None and not removed else {}
        source: dict[str, Any] = {**link.source, **fresh} if link else dict(fresh)
        scope = decide_scope(user_id, index, source=source or None, removed=removed, scoping=self.scoping)
        if scope.in_scope:
            complete = source.keys() >= self._needed
            trusted = link is not None and link.active and complete
            if not (trusted or (complete and fresh.keys() >= self._needed)):
                read = await self.source.get_user(user_id, select=self.select)
                if read is None:
                    return None  # gone since the delta was read; its removal arrives in a later round
                source = {k: v for k, v in read.items() if k != "id"}
                scope = decide_scope(user_id, index, source=source, removed=None, scoping=self.scoping)
        licenses = None
        if self.license_map is not None:
            licenses = self.license_map.keys_for(index.role_ids_of(user_id)) if scope.in_scope else ()
        return Candidate(user_id, source or None, scope, link, removed, licenses)

    async def apply(
        self,
        run: CycleRun,
        operations: Sequence[Operation],
        links: Mapping[str, Link | None],
        *,
        refreshed: Sequence[Link] = (),
        snapshots: Mapping[str, dict[str, Any] | None] | None = None,
    ) -> None:
        """Apply under the run's lease, then record every outcome."""
        record = await self.send(run, operations, links, refreshed=refreshed, snapshots=snapshots)
        await record

    async def send(
        self,
        run: CycleRun,
        operations: Sequence[Operation],
        links: Mapping[str, Link | None],
        *,
        refreshed: Sequence[Link] = (),
        snapshots: Mapping[str, dict[str, Any] | None] | None = None,
        after: Callable[[], Awaitable[None]] | None = None,
        on_started: Callable[[], None] | None = None,
        last: bool = False,
    ) -> Coroutine[Any, Any, None]:
        """Apply under the run's lease and hand back the recording of the outcomes, so a pipeline
        may start the next page while this one is written down; outcomes of a slow page go on record
        as they come, once what `after` waits for (the pages before) is on record. Work that was in
        flight when something stopped the rest (a 401, a lost lease) is recorded before the error is
        raised. `last`: nothing starts after these, so once they all have, a slow page's records
        hurry (RollingRecord.hurry) rather than wait for its last answer."""
        run.lease.check()
        run.owners = run.owners or LinkIndex(self.state)
        users = [op for op in operations if op.object_type is ObjectType.USER]
        groups = [op for op in operations if op.object_type is ObjectType.GROUP]

        async def record_early(chunk: Sequence[Outcome]) -> None:
            if after is not None:  # the pages before first (`after`: what they wait for)
                await after()
            await self.recorder.record(run, chunk, links, snapshots=snapshots)

        rolling = RollingRecord(record_early, seconds=self.options.record_within_seconds)

        def all_started() -> None:
            if on_started is not None:
                on_started()
            if last:
                rolling.hurry()

        def done(outcome: Outcome) -> None:
            self.progress.operation_done(outcome)
            run.applied(outcome, links.get(outcome.operation.source_id))
            rolling.add(outcome)

        try:
            run.flight = run.flight or Flight(self._concurrency)
            outcomes = await apply_operations(
                users,
                self.writer(run),
                self.mapping,
                concurrency=self.concurrency,
                on_done=done,
                owners=run.owners,
                claims=run.claims,
                flight=run.flight,
                on_started=all_started if not groups else None,
            )
            if groups:
                outcomes += await self._apply_groups(run, groups, outcomes, on_done=done)
        except Exception as stopped:
            finished = finished_outcomes(stopped)
            try:
                await rolling.settle()
            except Exception as unrecorded:  # never hide what stopped the run
                log.warning("could not record finished operations: %s", unrecorded)
            finished = rolling.unrecorded(finished)
            if finished:
                try:
                    await self.recorder.record(run, finished, links, snapshots=snapshots)
                except Exception as unrecorded:  # never hide what stopped the run
                    log.warning("could not record %d finished operations: %s", len(finished), unrecorded)
            raise
        await rolling.settle()  # a chunk that could not be written fails the page, as its record would
        rest = rolling.unrecorded(outcomes)
        return self.recorder.record(run, rest, links, refreshed=refreshed, snapshots=snapshots)

    async def _apply_groups(
        self,
        run: CycleRun,
        operations: Sequence[Operation],
        before: list[Outcome],
        *,
        on_done: Callable[[Outcome], None],
    ) -> list[Outcome]:
        if self.group_target is None:
            raise ValueError("group operations need a group target")
        try:
            return await apply_group_operations(
                operations,
                LeaseGuardedGroups(self.group_target, run.lease),
                owners=self.state,
                concurrency=self.concurrency,
                on_done=on_done,
            )
        except Exception as exc:  # the users applied before it are on record too
            raise with_finished(exc, [*before, *finished_outcomes(exc)]) from None

    def _concurrency(self) -> int:
        return self.concurrency() if callable(self.concurrency) else self.concurrency

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

    def writer(self, run: CycleRun) -> UserTarget:
        """The target as this run may write to it: only while its lease holds."""
        return LeaseGuardedTarget(self.target, run.lease)

    def recorded(self, run: CycleRun) -> AbstractAsyncContextManager[CycleRun]:
        """On record from its start (a crash leaves a `running` row) to its end, whatever ends it."""
        return recorded(run, self.state, self.quarantine, self.request_counts)
