"""The drift report's I/O: count GoTo's users (the estimate, before anything else), read Entra, the
links and GoTo side by side, decide (report.classify), and repair through the engine's apply path.

Reading writes nothing anywhere. A repair is a dry run unless `apply` is asked: then it takes the
single-flight lease (as on-demand provisioning does), applies the operations through
`SyncEngine.apply` (the recorder writes audit records, links and retries) and records one run,
kind `on-demand`, initiated by `drift`. Orphans are deactivated only when asked, never past
DEPROVISION_THRESHOLD (engine.decisions.deletion_guard), never the signed-in GoTo admin.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, cast

from provisioning.config import Settings
from provisioning.drift.report import (
    GOTO_PAGE_SIZE,
    Account,
    Drift,
    DriftReport,
    Estimate,
    InScope,
    Kind,
    Managed,
    audited,
    classify,
)
from provisioning.engine.apply import apply_operations
from provisioning.engine.cycle import SyncEngine
from provisioning.engine.decisions import deletion_guard
from provisioning.engine.plan import Action, Operation
from provisioning.engine.records import audit_record
from provisioning.engine.run import CycleRun
from provisioning.engine.scope import ScopeDecision, decide_scope
from provisioning.engine.unique import with_unique_values
from provisioning.errors import BadRequestError, ConfigError, NotFoundError
from provisioning.model import Link
from provisioning.preview import assigned_users, read_index, scoping_of
from provisioning.service import open_services
from provisioning.state.audit_log import AuditLog, AuditQuery
from provisioning.target.payload import get_value, parse_user
from provisioning.target.scim import ScimClient

log = logging.getLogger(__name__)
MAX_AUDIT_LOOKUPS = 20  # unlinked orphans looked up in the audit log (each walks the cycles)
LEASE_WAIT_SECONDS = 20.0
BUSY = "a provisioning cycle is running; repair the drift when it has finished"
REPAIR_KIND, REPAIR_BY = "on-demand", "drift"


async def estimate(scim: ScimClient, rate_per_second: float) -> Estimate:
    """One GET /Users?count=1 for totalResults: how many pages the read takes, at the rate."""
    total = await scim.count_users()
    size = min(GOTO_PAGE_SIZE, scim.dialect.max_page_size or GOTO_PAGE_SIZE)
    return Estimate(total, rate_per_second, page_size=size)


async def read_accounts(scim: ScimClient, paths: Sequence[str], page_size: int) -> list[Account]:
    """Every GoTo account, paged and paced by the client's throttle (GOTO_RATE_LIMIT_PER_SECOND)."""
    wanted = list(dict.fromkeys([*paths, "active"]))
    accounts = []
    async with aclosing(scim.list_users(page_size=page_size)) as pages:
        async for resource in pages:
            values = parse_user(resource, paths=wanted)
            active = values["active"] is not False  # absent: SCIM says nothing, taken as active
            values["active"] = active
            name = get_value(resource, "userName")
            accounts.append(Account(str(resource["id"]), str(name) if name else None, active, values))
    return accounts


async def signed_in_id(scim: ScimClient) -> str | None:
    """The GoTo admin the token belongs to (Users/me); a peer without that resource has none."""
    try:
        me = await scim.get_me()
    except (NotFoundError, BadRequestError) as exc:
        log.info("no signed-in user to protect from deactivation: %s", exc)
        return None
    return str(me["id"]) if me.get("id") else None


async def read_drift(
    engine: SyncEngine, scim: ScimClient, found: Estimate, *, audit: AuditLog | None = None
) -> DriftReport:
    """Entra (assignments, then every assigned user), the links and GoTo, read side by side."""
    started = time.monotonic()
    report = DriftReport(found)
    mapping = engine.mapping
    users: list[InScope] = []
    out_of_scope: dict[str, ScopeDecision] = {}

    async def entra() -> None:
        index = await read_index(engine.source, engine.sp_id)
        async for read, page in assigned_users(engine.source, index, select=mapping.graph_select()):
            report.users_read += read
            for user_id, source in page.items():
                scope = decide_scope(user_id, index, source=source, scoping=scoping_of(mapping))
                if scope.in_scope:
                    users.append(InScope(user_id, source, scope))
                else:
                    out_of_scope[user_id] = scope

    async def stored() -> dict[str, Link]:
        async with aclosing(engine.state.list_links()) as links:
            return {link.source_id: link async for link in links}

    paths = mapping.targets(creating=True)
    reads = await asyncio.gather(
        entra(),
        stored(),
        read_accounts(scim, paths, found.page_size),
        signed_in_id(scim),
        return_exceptions=True,  # every read ends before the clients close; the first error is raised
    )
    failed = next((r for r in reads if isinstance(r, BaseException)), None)
    if failed is not None:
        raise failed
    _, links, accounts, admin = cast(tuple[None, dict[str, Link], list[Account], str | None], tuple(reads))
    classify(
        report,
        users,
        accounts,
        links,
        mapping,
        signed_in=admin,
        out_of_scope=out_of_scope,
        skip_out_of_scope_deletions=engine.options.skip_out_of_scope_deletions,
    )
    if audit is not None:
        await _look_up_audit(report, audit)
    report.seconds = time.monotonic() - started
    return report


async def _look_up_audit(report: DriftReport, audit: AuditLog) -> None:
    """Whether this function ever wrote to an unlinked orphan: its newest audit record naming it."""
    lookups = 0
    for i, drift in enumerate(report.items):
        if drift.managed is not Managed.NEVER or drift.goto_id is None:
            continue
        lookups += 1
        if lookups > MAX_AUDIT_LOOKUPS:
            report.items[i] = audited(drift, None, checked=False)
            continue
        page = await audit.query(AuditQuery(goto_id=drift.goto_id), top=1)
        newest = page.records[0] if page.records else None
        record = None
        if newest is not None:
            record = (newest.action, newest.activity_date_time, newest.source_id)
        report.items[i] = audited(drift, record, checked=True)


# -- repair ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Repair:
    """What a repair sends (dry run) or sent (applied), and what it refused to send."""

    dry_run: bool
    operations: list[tuple[Drift, Operation]] = field(default_factory=list)
    refused: str | None = None  # orphans not deactivated: why (the deletion threshold)
    not_applied: str | None = None  # asked to apply, left a dry run: why (the HTTP route's time)
    cycle_id: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    failures: int = 0

    def seconds(self, rate_per_second: float) -> float:
        """The writes at GOTO_RATE_LIMIT_PER_SECOND (an adoption or a create's 409 costs more)."""
        return round(len(self.operations) / rate_per_second, 1)

    def as_dict(self, rate_per_second: float) -> dict[str, Any]:
        return {
            "dryRun": self.dry_run,
            "estimatedSeconds": self.seconds(rate_per_second),
            "operations": [
                {
                    "kind": drift.kind.value,
                    "action": op.action.value,
                    "entraId": drift.entra_id,
                    "gotoId": op.target_id,
                    "name": drift.name or drift.goto_user_name,
                    "changes": [{"attribute": c.path, "old": c.old, "new": c.new} for c in op.changes],
                }
                for drift, op in self.operations
            ],
            "refused": self.refused,
            "notApplied": self.not_applied,
            "cycleId": self.cycle_id,
            "counts": dict(self.counts),
            "failures": self.failures,
        }


def plan_repair(report: DriftReport, *, repair: bool, deactivate: bool, threshold: int) -> Repair:
    """The operations asked for, as a dry run: edited and missing (`repair`), orphans (`deactivate`)
    unless more than `threshold` or the read found nobody in scope (deletion_guard)."""
    plan = Repair(dry_run=True)
    if repair:
        plan.operations += [
            (d, d.operation) for d in report.items if d.kind in (Kind.EDITED, Kind.MISSING) and d.operation
        ]
    if deactivate:
        orphans = [(d, d.operation) for d in report.of(Kind.ORPHAN) if d.operation is not None]
        guard = deletion_guard(
            provisionable_users=report.in_scope, deprovisions=len(orphans), threshold=threshold
        )
        if guard is None:
            plan.operations += orphans
        else:
            plan.refused = f"no orphan deactivated: {guard[1]}"
    return plan


async def apply_repair(engine: SyncEngine, plan: Repair) -> Repair:
    """Under the lease, one recorded run: users through SyncEngine.apply (audit, links, retries);
    orphans no Entra user is linked to through the same apply, with audit records only."""
    run = CycleRun.start(REPAIR_KIND, initiated_by=REPAIR_BY, dry_run=False, clock=engine.clock)
    plan.dry_run, plan.cycle_id = False, run.cycle.id
    async with engine.lease(run.cycle.id, wait=LEASE_WAIT_SECONDS, busy_message=BUSY) as lease:
        run.lease = lease
        async with engine.recorded(run):
            linked: list[tuple[Drift, Operation]] = []
            unlinked: list[Operation] = []
            for drift, op in plan.operations:
                if drift.kind is Kind.ORPHAN and drift.link is None:
                    unlinked.append(op)
                elif op.action is Action.CREATE and drift.source is not None:
                    linked.append(
                        (drift, await with_unique_values(op, drift.source, engine.unique, engine.target))
                    )
                else:
                    linked.append((drift, op))
            if linked:
                links = {op.source_id: drift.link for drift, op in linked}
                snapshots = {op.source_id: dict(d.source) for d, op in linked if d.source is not None}
                await engine.apply(run, [op for _, op in linked], links, snapshots=snapshots)
            if unlinked:
                await _deactivate_unlinked(engine, run, unlinked)
            run.cycle.status = run.finished()
    plan.counts = run.cycle.counts.to_dict()
    plan.failures = run.result.failures
    return plan


async def _deactivate_unlinked(engine: SyncEngine, run: CycleRun, operations: list[Operation]) -> None:
    """The apply path (lease-guarded target, paced), recorded in the audit log alone: no Entra user
    is linked to these accounts, so there is no link to update and no retry to climb."""
    outcomes = await apply_operations(
        operations,
        engine.writer(run),
        engine.mapping,
        concurrency=engine.concurrency,
        owners=engine.state,
    )
    records = []
    for outcome in outcomes:
        run.counts.add(outcome.action, outcome.status)
        records.append(audit_record(run.cycle, outcome))
        if outcome.failed:
            run.result.failed_records.append(records[-1])
    await engine.state.add_audit_records(records)


# -- one whole run: what the CLI and the HTTP route call ----------------------------------------------


class TooLong(Exception):
    """The estimate (or the repair's writes) would outlast the caller's time budget."""

    def __init__(self, found: Estimate, budget: float, message: str) -> None:
        super().__init__(message)
        self.estimate, self.budget = found, budget


@dataclass(frozen=True, slots=True)
class Request:
    repair: bool = False
    deactivate_orphans: bool = False
    apply: bool = False
    estimate_only: bool = False
    budget_seconds: float | None = None  # the HTTP route's: refuse what would outlast it


async def run_drift(
    settings: Settings,
    request: Request,
    *,
    on_estimate: Callable[[Estimate], None] | None = None,
) -> dict[str, Any]:
    """The estimate first (told to `on_estimate` before the read starts), then the report, then
    the repair asked for: planned (a dry run) or applied. One JSON-ready document."""
    if request.apply and not settings.provisioning_enabled:  # before any read: nothing would be sent
        raise ConfigError(
            "PROVISIONING_ENABLED", "is false: a drift repair writes nothing while provisioning is off"
        )
    rate = settings.goto_rate_limit_per_second
    async with open_services(settings) as services:
        engine = services.engine(settings)
        found = await estimate(services.scim, rate)
        budget = request.budget_seconds
        if on_estimate is not None:
            on_estimate(found)
        if request.estimate_only:
            return {"estimate": found.as_dict()}
        if budget is not None and (found.seconds is None or found.seconds > budget):
            beyond = "" if found.seconds is None else f", more than the {budget:g} s"
            raise TooLong(found, budget, f"{found.line()}{beyond}; this route may take {budget:g} s")
        started = time.monotonic()
        report = await read_drift(engine, services.scim, found, audit=services.state.audit_log)
        document = report.as_dict()
        if not (request.repair or request.deactivate_orphans):
            return document
        plan = plan_repair(
            report,
            repair=request.repair,
            deactivate=request.deactivate_orphans,
            threshold=settings.deprovision_threshold,
        )
        if request.apply and plan.operations and settings.dry_run:
            plan.not_applied = "DRY_RUN is true: every run is a dry run, whatever was asked"
        elif request.apply and plan.operations:
            left = None if budget is None else budget - (time.monotonic() - started)
            if left is not None and plan.seconds(rate) > left:  # the read is kept: a dry run, said why
                plan.not_applied = (
                    f"{len(plan.operations)} writes take about {plan.seconds(rate):g} s at {rate:g}/s, "
                    f"more than the {max(left, 0):.0f} s this route has left: run "
                    "`python -m provisioning drift --repair --apply` instead"
                )
            else:
                plan = await apply_repair(engine, plan)
        document["repair"] = plan.as_dict(rate)
        return document
