"""GET /api/status: is provisioning on, is a cycle running and how far it is, how the last cycles
went, when the next one runs, and what is holding it back (quarantine, staged deprovisions, objects
whose retries were given up). Data only: `status` on the CLI prints this document through
provisioning.cli.render.

Everything comes from the state tables; nothing here calls Graph or GoTo, so status answers even
when they are down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from croniter import croniter

from provisioning.api.http import ApiRequest, ApiResponse, check_params, guarded, json_response, param_int
from provisioning.config import Settings
from provisioning.engine.checkpoint import MAPPING, cycle_fingerprint
from provisioning.engine.cycle import USERS_WATERMARK
from provisioning.engine.decisions import HELD_REASONS, QUARANTINE_RETRY_HOURS
from provisioning.engine.group_plan import MEMBER_TOTAL, MEMBERS
from provisioning.engine.quarantine import QUARANTINE
from provisioning.engine.staged import STAGED
from provisioning.mapping.file import MappingFileError, load_mappings
from provisioning.model import CycleRecord, CycleStatus, ObjectType
from provisioning.redaction import redact
from provisioning.state.tables import TableState

LEASE = "lease"
GIVEN_UP_IDS_SHOWN = 50
NOT_A_SYNC_CYCLE = frozenset({"on-demand"})  # one object on request, not a cycle of the job
_FIRST_LOOK = 50  # cycle rows read first; more only when the answers lie further back
_LOOK_GROWTH = 10


def next_run(schedule: str, after: datetime) -> datetime | None:
    """The timer's next firing after `after`, in UTC, or None if the schedule cannot be read.

    SYNC_SCHEDULE is NCRONTAB as Azure Functions reads it: six fields with the SECONDS FIRST
    (`sec min hour day month weekday`), and a day must match both day-of-month and day-of-week
    (NCrontab checks the weekday of each matching day, unlike Vixie cron's either-or).
    """
    if len(schedule.split()) != 6:  # croniter would read five fields as Vixie cron, minutes first
        return None
    try:
        it = croniter(schedule, after.astimezone(UTC), second_at_beginning=True, day_or=False)
        moment = it.get_next(datetime)
    except (ValueError, KeyError, TypeError):  # croniter's parse errors are ValueErrors
        return None
    assert isinstance(moment, datetime)
    return moment.astimezone(UTC)


@dataclass(slots=True)
class _Cycles:
    running: CycleRecord | None = None
    last: CycleRecord | None = None
    last_success: CycleRecord | None = None
    last_skip: CycleRecord | None = None  # only one newer than `last`: why cycles are not running now


def _classify(cycles: Sequence[CycleRecord], live_holder: str | None) -> tuple[_Cycles, bool]:
    """Sort the newest cycles into what status shows; True when nothing further back can change it."""
    found = _Cycles()
    for cycle in cycles:
        if cycle.kind in NOT_A_SYNC_CYCLE:
            continue
        if cycle.status is CycleStatus.SKIPPED:
            if found.last is None and found.last_skip is None:
                found.last_skip = cycle
            continue
        if cycle.status is CycleStatus.RUNNING and cycle.id == live_holder:
            found.running = found.running or cycle
            continue
        if found.last is None:
            found.last = cycle
        if found.last_success is None and cycle.status is CycleStatus.SUCCEEDED:
            found.last_success = cycle
    complete = (
        found.last is not None
        and found.last_success is not None
        and (live_holder is None or found.running is not None)
    )
    return found, complete


async def _find_cycles(state: TableState, live_holder: str | None) -> _Cycles:
    """Read newest first, further back only while an answer is missing (a long quarantine or
    provisioning off leaves a skipped row every few minutes)."""
    limit = _FIRST_LOOK
    while True:
        cycles = await state.list_cycles(limit=limit)
        found, complete = _classify(cycles, live_holder)
        if complete or len(cycles) < limit:
            return found
        limit *= _LOOK_GROWTH


def _live_holder(lease: Mapping[str, Any] | None, now: datetime) -> str | None:
    if not lease or not lease.get("Holder") or not lease.get("Expires"):
        return None
    expires = datetime.fromisoformat(str(lease["Expires"]))
    return str(lease["Holder"]) if expires > now else None


def _cycle_dict(cycle: CycleRecord, *, interrupted: bool = False) -> dict[str, Any]:
    duration = None
    if cycle.ended:
        seconds = (
            datetime.fromisoformat(cycle.ended) - datetime.fromisoformat(cycle.started)
        ).total_seconds()
        duration = round(seconds, 3)
    return {
        "id": cycle.id,
        "kind": cycle.kind,
        "initiatedBy": cycle.initiated_by,
        "dryRun": cycle.dry_run,
        "started": cycle.started,
        "ended": cycle.ended,
        "durationSeconds": duration,
        "status": cycle.status.value,
        "detail": cycle.detail,
        "interrupted": interrupted,
        "counts": cycle.counts.to_dict(),
        "error": redact(cycle.error),
        "requests": {"graph": cycle.graph_requests, "goto": cycle.goto_requests},
    }


def _running_dict(cycle: CycleRecord, lease: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": cycle.id,
        "kind": cycle.kind,
        "initiatedBy": cycle.initiated_by,
        "started": cycle.started,
        "pages": cycle.pages,
        "objectsRead": cycle.objects_read,
        "operationsDone": cycle.operations_done,
        "leaseExpires": str(lease.get("Expires")),
    }


def _quarantine_dict(row: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    reason = str(row.get("Reason") or "")
    since = str(row.get("Since") or "") or None
    last = str(row.get("LastAttempt") or "") or since
    awaiting = reason in HELD_REASONS
    next_attempt = None
    if not awaiting and last:
        next_attempt = (datetime.fromisoformat(last) + timedelta(hours=QUARANTINE_RETRY_HOURS)).isoformat()
    return {
        "reason": reason,
        "since": since,
        "detail": redact(str(row.get("Detail") or "")) or None,
        "lastAttempt": last,
        "nextAttempt": next_attempt,  # None while staged deprovisions wait for approve or reject
        "awaitingApproval": awaiting,
    }


def _retries_dict(rows: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    given_up = sorted(source_id for source_id, row in rows.items() if row.get("GivenUp"))
    return {
        "pending": len(rows) - len(given_up),
        "givenUp": len(given_up),
        "givenUpIds": given_up[:GIVEN_UP_IDS_SHOWN],
        "givenUpIdsTruncated": len(given_up) > GIVEN_UP_IDS_SHOWN,
    }


async def build_status(*, state: TableState, settings: Settings, now: datetime) -> dict[str, Any]:
    """The whole status document; `now` decides whether the lease is live and when the next run is."""
    lease, quarantine, staged, retries = await asyncio.gather(
        state.get_control(LEASE),
        state.get_control(QUARANTINE),
        state.list_held_operations(STAGED),
        state.list_retries(),
    )
    holder = _live_holder(lease, now)
    cycles = await _find_cycles(state, holder)
    last = cycles.last
    upcoming = next_run(settings.sync_schedule, now)
    return {
        "provisioningEnabled": settings.provisioning_enabled,
        "dryRun": settings.dry_run,
        "schedule": settings.sync_schedule,
        "nextScheduledRun": None if upcoming is None else upcoming.isoformat(),
        "running": None if cycles.running is None or lease is None else _running_dict(cycles.running, lease),
        "lastCycle": None
        if last is None
        else _cycle_dict(last, interrupted=last.status is CycleStatus.RUNNING),
        "lastSuccessfulCycle": None if cycles.last_success is None else _cycle_dict(cycles.last_success),
        "lastSkip": None
        if cycles.last_skip is None
        else {
            "id": cycles.last_skip.id,
            "time": cycles.last_skip.ended or cycles.last_skip.started,
            "status": cycles.last_skip.status.value,
            "detail": cycles.last_skip.detail,
        },
        "quarantine": _quarantine_dict(quarantine),
        "stagedDeprovisions": len(staged),
        "retries": _retries_dict(retries),
        "groups": await _groups_dict(state),
        "mappings": _mappings_dict(
            settings,
            await state.get_control(MAPPING),
            read_before=await state.get_watermark(USERS_WATERMARK) is not None,
        ),
    }


TRUNCATED_SHOWN = 50
FAILED_SHOWN = 50


def _failed_objects(rows: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Objects on the retry ladder with their next attempt, soonest first (given up last): what the
    dashboard and `status` show under "failed objects"; `retries` keeps the counts."""
    failed = [
        {
            "id": source_id,
            "attempts": int(row.get("Attempts") or 0),
            "error": redact(str(row.get("Error") or "")) or None,
            "lastFailure": str(row.get("LastFailure") or "") or None,
            "nextAttempt": None if row.get("GivenUp") else str(row.get("NextAttempt") or "") or None,
            "givenUp": bool(row.get("GivenUp")),
        }
        for source_id, row in rows.items()
    ]
    failed.sort(key=lambda f: (f["givenUp"], f["nextAttempt"] or "", f["id"]))
    return failed[:FAILED_SHOWN]


async def handle_retries(request: ApiRequest, *, state: TableState) -> ApiResponse:
    """GET /api/retries: the objects on the retry ladder (soonest next attempt first, at most 50)
    with the counts `status` shows under `retries`. Always answers; never a stack trace."""

    async def answer(request: ApiRequest) -> ApiResponse:
        check_params(request, set())
        rows = await state.list_retries()
        return json_response(200, {**_retries_dict(rows), "failedObjects": _failed_objects(rows)})

    return await guarded(answer, request)


HISTORY_DAYS = 30
HISTORY_COLUMNS = ("create", "update", "disable", "delete", "skip", "failure")
_HISTORY_FIRST_LOOK = 500


def history_buckets(cycles: Sequence[CycleRecord], *, now: datetime, days: int) -> list[dict[str, Any]]:
    """Per UTC day of the last `days` (oldest first, empty days included): how many cycles ran and
    what they did. Successes count under their action; skipped and failed operations under skip and
    failure whatever the action; dry-run plans and staged (held) deprovisions are not counted."""
    today = now.astimezone(UTC).date()
    dates = [(today - timedelta(days=days - 1 - i)).isoformat() for i in range(days)]
    buckets: dict[str, dict[str, int]] = {d: dict.fromkeys(("cycles", *HISTORY_COLUMNS), 0) for d in dates}
    for cycle in cycles:
        if cycle.status is CycleStatus.SKIPPED:
            continue
        bucket = buckets.get(datetime.fromisoformat(cycle.started).astimezone(UTC).date().isoformat())
        if bucket is None:
            continue
        bucket["cycles"] += 1
        for (action, status), n in cycle.counts.items():
            if action == "stagedDelete":
                continue  # held, not done: counted once approved, as the disable or delete it becomes
            if status == "failure":
                bucket["failure"] += n
            elif status == "skipped":
                bucket["skip"] += n
            elif status == "success" and action in HISTORY_COLUMNS:
                bucket[action] += n
    return [{"date": d, **buckets[d]} for d in dates]


async def _cycles_since(state: TableState, since: datetime) -> list[CycleRecord]:
    """Cycle rows newest first back to `since`; read further back only while the oldest is newer."""
    limit = _HISTORY_FIRST_LOOK
    while True:
        cycles = await state.list_cycles(limit=limit)
        if len(cycles) < limit or datetime.fromisoformat(cycles[-1].started) < since:
            return cycles
        limit *= _LOOK_GROWTH


async def build_history(
    *, state: TableState, now: datetime, days: int = HISTORY_DAYS, rate_limit: float | None = None
) -> dict[str, Any]:
    """GET /api/cycles: statistics to date, per day, for the dashboard's chart (and any client), and
    GoTo's request limit a running cycle's rate is shown against."""
    since = datetime.combine(now.astimezone(UTC).date() - timedelta(days=days - 1), time.min, UTC)
    buckets = history_buckets(await _cycles_since(state, since), now=now, days=days)
    totals = {column: sum(b[column] for b in buckets) for column in ("cycles", *HISTORY_COLUMNS)}
    managed = {
        "users": await _active_links(state, ObjectType.USER),
        "groups": await _active_links(state, ObjectType.GROUP),
    }
    return {
        "days": days,
        "from": since.isoformat(),
        "perDay": buckets,
        "totals": totals,
        "managed": managed,
        "gotoRateLimitPerSecond": rate_limit,
    }


async def _active_links(state: TableState, object_type: ObjectType) -> int:
    """Objects this function manages in GoTo now (an inactive link is a disabled or removed one)."""
    return sum([1 async for link in state.list_links(object_type=object_type) if link.active])


async def handle_cycles(
    request: ApiRequest, *, state: TableState, settings: Settings, now: datetime | None = None
) -> ApiResponse:
    """GET /api/cycles[?days=N] (1 to 90, default 30). Always answers; never a stack trace."""

    async def answer(request: ApiRequest) -> ApiResponse:
        check_params(request, {"days"})
        days = param_int(request, "days", HISTORY_DAYS, minimum=1, maximum=90)
        moment = now or datetime.now(UTC)
        limit = settings.goto_rate_limit_per_second
        return json_response(200, await build_history(state=state, now=moment, days=days, rate_limit=limit))

    return await guarded(answer, request)


async def _groups_dict(state: TableState) -> dict[str, Any]:
    """Groups managed in GoTo, and those pushed with only part of their members (never silent)."""
    managed = 0
    truncated: list[dict[str, Any]] = []
    async for link in state.list_links(object_type=ObjectType.GROUP):
        if not link.active:
            continue
        managed += 1
        pushed = len(link.written.get(MEMBERS) or ())
        total = link.written.get(MEMBER_TOTAL)
        if isinstance(total, int) and total > pushed:
            name = link.written.get("displayName") or link.source.get("displayName")
            truncated.append({"id": link.source_id, "displayName": name, "members": total, "pushed": pushed})
    truncated.sort(key=lambda g: g["id"])
    return {
        "managed": managed,
        "truncated": truncated[:TRUNCATED_SHOWN],
        "truncatedCount": len(truncated),
    }


def _mappings_dict(
    settings: Settings, known: Mapping[str, Any] | None, *, read_before: bool
) -> dict[str, Any]:
    """Which mapping cycles use, whether it can be used (a broken file stops every cycle: say why),
    and whether the next cycle is a full one: as the engine decides it (engine/checkpoint.py), when
    users were read before with another mapping, or before the mapping was kept."""
    applied = None if known is None else known.get("Fingerprint")
    try:
        mapping = load_mappings(settings.mappings_file)
    except MappingFileError as exc:
        return {
            "file": exc.origin,
            "ok": False,
            "problems": [str(p) for p in exc.errors],
            "fingerprint": None,
            "applied": applied,
            "fullCycleNext": False,  # no cycle runs on a broken file
        }
    fingerprint = cycle_fingerprint(mapping.users, mapping.licenses)
    return {
        "file": settings.mappings_file or "built-in default",
        "ok": True,
        "problems": [],
        "fingerprint": fingerprint,
        "applied": applied,
        "fullCycleNext": read_before and applied != fingerprint,
    }


async def handle_status(
    request: ApiRequest, *, state: TableState, settings: Settings, now: datetime | None = None
) -> ApiResponse:
    """GET /api/status (no query parameters). Always answers; never a stack trace."""

    async def answer(request: ApiRequest) -> ApiResponse:
        check_params(request, set())
        body = await build_status(state=state, settings=settings, now=now or datetime.now(UTC))
        return json_response(200, body)

    return await guarded(answer, request)
