"""The queue-triggered worker: the ids of one message through the on-demand path, one object at a time.

Why the single-flight lease, taken per object (OnDemand.provision_user holds it for one user and
lets go), and not a new per-object lease row: the cycle, staged approvals and on-demand calls all
write under that one lease, so a worker holding it can never write an object a running cycle is
writing, and two workers (the host runs several messages at once, instances scale out) never write
together either — without changing what the cycle respects. A worker that finds the lease held
waits a bounded time (the on-demand wait, at most the holder's TTL), then puts the ids it has not
done back on the queue, invisible for `BUSY_DELAY_SECONDS`, and ends the invocation well: a long
cycle delays a notification, never loses it, and never sends it to the poison queue.

Duplicates are applied once: the second plan finds GoTo already right and sends nothing (the same
no-op rule as a cycle), and the next delta cycle finds nothing to do either. Cheaper still, an id
this process read from Graph more than `SKEW_MARGIN_SECONDS` after the webhook received the
notification is skipped (`RecentReads`): that read already saw the change (Graph sends several
`updated` for one change, and duplicates). Only an optimisation, per process and bounded; the
no-op rule and the delta cycle stay the guarantees.

A message that keeps failing (Graph, GoTo or Table Storage down for longer than their retries) is
raised to the host, which makes it visible again (host.json `visibilityTimeout`); at its
`MAX_DEQUEUE_COUNT`-th attempt, or at once when it cannot be read, the worker writes an audit
record (`NotificationPoisoned`) and moves it to `<queue>-poison` itself, so the record and the
move happen together. The delta cycle stays the backstop for every id in it.

The accidental-deletion guard holds here too: notifications may disable or delete at most
DEPROVISION_THRESHOLD accounts per rolling hour (`DeprovisionBudget`, a control row read and
written under the lease, so workers on every instance share it); past it, a deprovision is not
applied but left to the delta cycle, whose guard stages it if there are too many.

Group notifications (a `/groups` subscription also fires on membership changes): an assigned
group's direct user members without a link are provisioned (new members), then the group itself is
pushed; members removed from the group are left to the delta cycle, which reads the removal.
A user Graph no longer returns (deleted: a leaver) with an active account is disabled at once, as
a soft delete is; the final action of a hard delete stays the delta cycle's.
"""

from __future__ import annotations

import logging
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from provisioning.config import Settings
from provisioning.engine.apply import apply_operation
from provisioning.engine.cycle import SyncEngine
from provisioning.engine.lease import NoLease
from provisioning.engine.on_demand import BUSY, LEASE_WAIT_SECONDS, OnDemand
from provisioning.engine.plan import Action, Candidate, Operation
from provisioning.engine.ports import StateStore
from provisioning.engine.run import CycleRun
from provisioning.engine.scope import AssignmentIndex
from provisioning.errors import LeaseHeldError, SourceNotFoundError
from provisioning.model import AuditRecord, AuditStatus, CycleStatus, Link, ObjectType, UserChange
from provisioning.notifications.batch_reads import BatchReads
from provisioning.notifications.messages import ChangeBatch, MalformedMessage
from provisioning.notifications.queue import NotificationQueue
from provisioning.notifications.subscriptions import open_subscription_manager
from provisioning.service import Services, open_services, open_state

log = logging.getLogger(__name__)

MAX_DEQUEUE_COUNT = 5  # host.json extensions.queues.maxDequeueCount (a test keeps them equal)
BUSY_DELAY_SECONDS = 30
NEW_MEMBERS_PER_GROUP = 100  # more new members at once than this wait for the delta cycle
INITIATED_BY = "notification"


SKEW_MARGIN_SECONDS = 2.0  # clocks of the webhook's and the worker's instances may differ this much


class RecentReads:
    """id -> when this process last read it from Graph to provision it (bounded, oldest dropped)."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._read_at: OrderedDict[str, datetime] = OrderedDict()

    def covers(self, object_id: str, received_at: str) -> bool:
        """A read after the notification arrived (plus the margin) already reflects its change."""
        read = self._read_at.get(object_id)
        if read is None or not received_at:
            return False
        try:
            received = datetime.fromisoformat(received_at)
        except ValueError:
            return False
        return read > received + timedelta(seconds=SKEW_MARGIN_SECONDS)

    def note(self, object_id: str, moment: datetime) -> None:
        self._read_at[object_id] = moment
        self._read_at.move_to_end(object_id)
        while len(self._read_at) > self.size:
            self._read_at.popitem(last=False)


RECENT = RecentReads()

BUDGET_ROW = "notification-deprovisions"
BUDGET_WINDOW = timedelta(hours=1)


class DeprovisionBudget:
    """At most `limit` disables/deletes from notifications per rolling hour, counted in a control row.

    `take()` is called while the single-flight lease is held (inside OnDemand's plan), so the
    read-then-write cannot race another worker."""

    def __init__(self, state: StateStore, limit: int, clock: Callable[[], datetime] | None = None) -> None:
        self.state = state
        self.limit = limit
        self.clock = clock or (lambda: datetime.now(UTC))

    async def take(self) -> bool:
        now = self.clock()
        row = await self.state.get_control(BUDGET_ROW) or {}
        try:
            start = datetime.fromisoformat(str(row["WindowStart"]))
            count = int(row["Count"])
        except (KeyError, ValueError):
            start, count = now, 0
        if now - start >= BUDGET_WINDOW:
            start, count = now, 0
        if count >= self.limit:
            return False
        await self.state.set_control(BUDGET_ROW, {"WindowStart": start.isoformat(), "Count": count + 1})
        return True


@dataclass
class WorkResult:
    """What one message did (logged; the tests read it)."""

    provisioned: list[str] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)
    left_to_cycle: list[str] = field(default_factory=list)
    already_read: list[str] = field(default_factory=list)
    held: list[str] = field(
        default_factory=list
    )  # deprovisions past the budget: left to the cycle  # skipped: read after this notification came
    requeued: list[str] = field(default_factory=list)
    lifecycle: list[str] = field(default_factory=list)
    poisoned: bool = False
    skipped: str | None = None


async def process_message(
    text: str,
    *,
    dequeue_count: int,
    settings: Settings,
    queue: NotificationQueue,
    message_id: str = "",
) -> WorkResult:
    """One queue message; raises (for the host to retry) only below MAX_DEQUEUE_COUNT."""
    try:
        batch = ChangeBatch.from_json(text)
    except MalformedMessage as exc:
        await _poison(text, str(exc), settings=settings, queue=queue, message_id=message_id)
        return WorkResult(poisoned=True)
    try:
        return await _work(batch, settings=settings, queue=queue)
    except Exception as exc:
        if dequeue_count < MAX_DEQUEUE_COUNT:
            log.warning(
                "change notification message %s failed (attempt %d of %d): %s",
                message_id,
                dequeue_count,
                MAX_DEQUEUE_COUNT,
                type(exc).__name__,
            )
            raise
        await _poison(
            text, f"{type(exc).__name__}: {exc}"[:500], settings=settings, queue=queue, message_id=message_id
        )
        return WorkResult(poisoned=True)


async def _work(batch: ChangeBatch, *, settings: Settings, queue: NotificationQueue) -> WorkResult:
    result = WorkResult()
    if batch.lifecycle:
        async with open_subscription_manager(settings) as manager:
            for event in batch.lifecycle:
                result.lifecycle.append(await manager.handle_lifecycle(event.subscription_id, event.event))
    if not (batch.users or batch.groups):
        return result
    if not settings.provisioning_enabled:
        result.skipped = "off (PROVISIONING_ENABLED is false)"
        return result
    async with open_services(settings) as services:
        budget = (
            None if settings.dry_run else DeprovisionBudget(services.state, settings.deprovision_threshold)
        )
        on_demand = OnDemand(_fresh(services.engine(settings), budget, result))
        todo = [(ObjectType.USER, u) for u in dict.fromkeys(batch.users)]
        todo += [(ObjectType.GROUP, g) for g in dict.fromkeys(batch.groups)]
        for index, (kind, object_id) in enumerate(todo):
            if RECENT.covers(object_id, batch.received_at):
                result.already_read.append(object_id)
                continue
            try:
                if kind is ObjectType.USER:
                    await _user(on_demand, object_id, settings, result)
                else:
                    await _group(on_demand, services, object_id, settings, result)
            except LeaseHeldError:
                rest = todo[index:]
                again = ChangeBatch(
                    users=tuple(i for k, i in rest if k is ObjectType.USER),
                    groups=tuple(i for k, i in rest if k is ObjectType.GROUP),
                    received_at=batch.received_at,
                )
                await queue.send(again.to_json(), delay=BUSY_DELAY_SECONDS)
                result.requeued = [i for _, i in rest]
                log.info("lease busy: %d id(s) back on the queue for %d s", len(rest), BUSY_DELAY_SECONDS)
                break
    if result.held:
        log.warning(
            "%d deprovision(s) from notifications left to the delta cycle: DEPROVISION_THRESHOLD (%d) "
            "reached within the hour",
            len(result.held),
            settings.deprovision_threshold,
        )
    return result


def _fresh(engine: SyncEngine, budget: DeprovisionBudget | None, result: WorkResult) -> SyncEngine:
    """Plan from the user as Graph has them now, not from the link's snapshot.

    OnDemand asks `engine.candidate(user_id, None, link, index)`, which trusts a complete, active
    link's snapshot and reads Graph only when it is incomplete: right for a cycle (the delta brings
    the change), wrong after a notification, whose whole point is that the snapshot is stale. So the
    user read now is handed in as the change; BatchReads makes it the read OnDemand just made, and
    shares assignments and group members across the message's ids.
    """
    engine.source = BatchReads(engine.source)  # the user read by OnDemand is read here again
    original = engine.candidate

    async def candidate(
        user_id: str, change: UserChange | None, link: Link | None, index: AssignmentIndex
    ) -> Candidate | None:
        if change is None:
            read = await engine.source.get_user(user_id, select=engine.select)
            if read is not None:
                change = UserChange(user_id, {k: v for k, v in read.items() if k != "id"})
        return await original(user_id, change, link, index)

    engine.candidate = candidate  # type: ignore[method-assign]
    original_plan = engine.plan

    async def plan(candidate: Candidate) -> Operation | None:
        op = await original_plan(candidate)
        if op is None or budget is None or op.action not in (Action.DISABLE, Action.DELETE):
            return op
        if await budget.take():
            return op
        result.held.append(candidate.source_id)  # not applied: the delta cycle and its guard decide
        return None

    engine.plan = plan  # type: ignore[method-assign]
    return engine


async def _user(on_demand: OnDemand, user_id: str, settings: Settings, result: WorkResult) -> None:
    started = datetime.now(UTC)  # before the read: what it returns is at least this recent
    try:
        outcome = await on_demand.provision_user(user_id, dry_run=settings.dry_run, initiated_by=INITIATED_BY)
    except SourceNotFoundError:
        await _gone_user(on_demand.engine, user_id, settings, result)
        return
    result.provisioned.append(user_id)
    result.statuses[user_id] = outcome.status
    if outcome.status != "failure":
        RECENT.note(user_id, started)


async def _gone_user(engine: SyncEngine, user_id: str, settings: Settings, result: WorkResult) -> None:
    """Graph no longer returns the user: deleted in Entra (a leaver, most often). A linked, active
    account is disabled now, as a soft delete is, through the same plan, lease, apply and record as
    OnDemand. What a hard delete finally does (HARD_DELETE_ACTION) stays the delta cycle's, which
    reads `@removed: deleted`; a restore is re-enabled by the cycle too."""
    link = await engine.state.get_link(user_id)
    if link is None or not link.active:
        result.left_to_cycle.append(user_id)
        return
    dry_run = settings.dry_run
    run = CycleRun.start("on-demand", initiated_by=INITIATED_BY, dry_run=dry_run, clock=engine.clock)
    lease = NoLease() if dry_run else engine.lease(run.cycle.id, wait=LEASE_WAIT_SECONDS, busy_message=BUSY)
    async with lease:
        run.lease = lease
        async with engine.recorded(run):
            gone = UserChange(user_id, removed="changed")
            candidate = await engine.candidate(user_id, gone, link, AssignmentIndex([], {}))
            op = await engine.plan(candidate) if candidate is not None else None
            run.cycle.status = CycleStatus.SUCCEEDED
            if op is None or candidate is None:
                result.statuses[user_id] = "skipped"
                return
            if dry_run:
                await engine.recorder.record_dry_run(run, [op])
                result.statuses[user_id] = "dry-run"
                return
            run.lease.check()
            outcome = await apply_operation(op, engine.writer(run), engine.mapping, owners=engine.state)
            snapshots = {user_id: dict(candidate.source or {})}
            await engine.recorder.record(run, [outcome], {user_id: link}, snapshots=snapshots)
            if outcome.status is AuditStatus.FAILURE:
                run.cycle.status = CycleStatus.FINISHED_WITH_FAILURES
    result.provisioned.append(user_id)
    result.statuses[user_id] = outcome.status.value


async def _group(
    on_demand: OnDemand, services: Services, group_id: str, settings: Settings, result: WorkResult
) -> None:
    engine = on_demand.engine
    assignments = await engine.source.list_assignments(engine.sp_id)
    assigned = any(a.principal_id == group_id and a.principal_type == "Group" for a in assignments)
    try:
        if assigned:
            members = await engine.source.list_group_members(group_id)
            new = [m.member_id for m in members if m.member_type == "user"]
            unlinked = [m for m in new if await services.state.get_link(m) is None]
            for member in unlinked[:NEW_MEMBERS_PER_GROUP]:
                await _user(on_demand, member, settings, result)
            result.left_to_cycle.extend(unlinked[NEW_MEMBERS_PER_GROUP:])
        pushed = await on_demand.provision_group(group_id, member_ids=[], dry_run=settings.dry_run)
    except SourceNotFoundError:
        result.left_to_cycle.append(group_id)
        return
    result.provisioned.append(group_id)
    result.statuses[group_id] = str(pushed.get("group", {}).get("status", ""))


async def _poison(
    text: str, why: str, *, settings: Settings, queue: NotificationQueue, message_id: str
) -> None:
    """An audit record first (so the poison queue never holds a message nobody was told of), then the move."""
    try:
        ids = ChangeBatch.from_json(text)
        subject = ",".join([*ids.users, *ids.groups])[:200] or "lifecycle"
    except MalformedMessage:
        subject = "unreadable"
    poison = settings.change_notifications.poison_queue_name
    record = AuditRecord(
        id=str(uuid.uuid4()),
        cycle_id=f"notification-{message_id or uuid.uuid4()}",
        change_id=message_id or str(uuid.uuid4()),
        activity_date_time=datetime.now(UTC).isoformat(),
        action="other",
        status=AuditStatus.FAILURE,
        source_id=subject,
        reason="a change notification message kept failing; the delta cycle remains the backstop",
        error_code="NotificationPoisoned",
        error_reason=why,
        recommended_action=f"Read the message in the {poison} queue; the next delta cycle applies it",
        initiated_by=INITIATED_BY,
    )
    async with open_state(settings) as state:
        await state.add_audit_records([record])
    await queue.send_poison(text)
    log.error("change notification message %s moved to the poison queue: %s", message_id, why)
