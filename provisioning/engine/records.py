"""Outcomes become records: audit records, links and retries (the Recorder), and the rows of
deprovisions held back (staged for an admin, or pending across a checkpoint)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from provisioning.engine.apply import Outcome, audit_action
from provisioning.engine.decisions import climb_retry_ladder
from provisioning.engine.group_plan import MEMBERS
from provisioning.engine.plan import Action, Change, Operation
from provisioning.engine.ports import StateStore
from provisioning.engine.run import CycleRun
from provisioning.model import (
    PLANNED,
    AuditRecord,
    AuditStatus,
    CycleRecord,
    Link,
    ModifiedProperty,
    ObjectType,
)


@dataclass(slots=True)
class Held:
    """A disable or delete waiting for the end of the cycle (or for an admin, when staged)."""

    operation: Operation
    link: Link | None
    snapshot: dict[str, Any] | None = None

    def already_done(self) -> bool:
        """A disable whose account is already inactive, or a delete whose link is gone, was applied."""
        if self.operation.action is Action.DELETE:
            return self.link is None
        return self.link is not None and not self.link.active


def held_row(held: Held) -> dict[str, Any]:
    op = held.operation
    return {
        "SourceId": op.source_id,
        "Action": op.action.value,
        "TargetId": op.target_id or "",
        "Reason": op.reason,
        "DisplayName": op.display_name or "",
        "Changes": json.dumps([[c.path, c.old, c.new] for c in op.changes]),
        "ObjectType": op.object_type.value,
    }


def held_from_row(row: Mapping[str, Any], link: Link | None) -> Held:
    changes = tuple(Change(path, old, new) for path, old, new in json.loads(str(row.get("Changes") or "[]")))
    op = Operation(
        Action(str(row["Action"])),
        str(row["SourceId"]),
        str(row["Reason"]),
        str(row.get("TargetId") or "") or None,
        str(row.get("DisplayName") or "") or None,
        {c.path: c.new for c in changes if c.path != MEMBERS},
        changes,
        object_type=_object_type(row),
    )
    return Held(op, link)


def _object_type(row: Mapping[str, Any]) -> ObjectType:
    """Rows written before groups were provisioned hold users."""
    return ObjectType(str(row.get("ObjectType") or ObjectType.USER.value))


async def load_held(state: StateStore, kind: str) -> list[Held]:
    rows = await state.list_held_operations(kind)
    links: dict[str, Link] = {}
    for object_type in ObjectType:
        ids = [str(r["SourceId"]) for r in rows if _object_type(r) is object_type]
        if ids:
            links.update(await state.get_links(ids, object_type=object_type))
    return [held_from_row(r, links.get(str(r["SourceId"]))) for r in rows]


def audit_record(cycle: CycleRecord, outcome: Outcome, *, reason: str | None = None) -> AuditRecord:
    """One entry of the provisioning log, shaped like Entra's."""
    op = outcome.operation
    text = reason or (op.reason if not outcome.note else f"{op.reason}; {outcome.note}")
    return AuditRecord(
        id=new_guid(),
        cycle_id=cycle.id,
        change_id=new_guid(),
        activity_date_time=datetime.now(UTC).isoformat(),
        action=outcome.action,
        status=outcome.status,
        source_id=op.source_id,
        object_type=op.object_type,
        source_display_name=op.display_name,
        target_id=outcome.target_id,
        target_display_name=op.display_name,
        reason=text,
        error_code=outcome.error_code,
        error_reason=outcome.error_reason,
        recommended_action=outcome.recommended_action,
        modified_properties=tuple(ModifiedProperty(c.path, _text(c.old), _text(c.new)) for c in op.changes),
        duration_ms=outcome.duration_ms,
        initiated_by=cycle.initiated_by,
        dry_run=cycle.dry_run,
    )


def new_guid() -> str:
    """A random (version 4) GUID, as str(uuid.uuid4()) gives it, at half its CPU (two per record)."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


_VARIANT = "89ab"  # RFC 4122's variant: the top two bits of the 17th hex digit are 10


def staged_record(cycle: CycleRecord, op: Operation, detail: str) -> AuditRecord:
    outcome = Outcome(op, AuditStatus.SKIPPED, "stagedDelete", op.target_id)
    reason = f"{op.reason}; held for an admin: {detail} (POST /api/staged/approve or /api/staged/reject)"
    return audit_record(cycle, outcome, reason=reason)


def rejected_record(cycle: CycleRecord, op: Operation) -> AuditRecord:
    outcome = Outcome(op, AuditStatus.SKIPPED, "other", op.target_id)
    return audit_record(cycle, outcome, reason=f"staged {op.action.value} rejected by an admin: {op.reason}")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


UNMAPPABLE_CODE = "MappingExpressionFailed"
UNMAPPABLE_ADVICE = (
    "An expression of the mapping file could not be evaluated for this user (see the reason): fix the "
    "user's data in Entra ID or the expression (check-mappings, mappings eval); the user is retried."
)


def unmappable(user_id: str, display_name: str | None, link: Link | None, error: Exception) -> Outcome:
    """A user the mapping cannot be evaluated for: a failure of that user, as Entra logs it; the
    other users of the cycle go on."""
    op = Operation(
        Action.SKIP,
        user_id,
        "the mapping could not be evaluated",
        target_id=link.target_id if link else None,
        display_name=display_name,
    )
    return Outcome(
        op,
        AuditStatus.FAILURE,
        "other",
        op.target_id,
        error_code=UNMAPPABLE_CODE,
        error_reason=str(error),
        recommended_action=UNMAPPABLE_ADVICE,
    )


class Recorder:
    """Writes what happened: audit records first, then links, then the retry ladder."""

    def __init__(self, state: StateStore) -> None:
        self.state = state

    async def record_unmappable(
        self, run: CycleRun, outcomes: Sequence[Outcome], links: Mapping[str, Link | None]
    ) -> None:
        """On record and on the retry ladder; a dry run shows them and climbs no ladder."""
        if not run.dry_run:
            await self.record(run, outcomes, links)
            return
        for outcome in outcomes:
            run.counts.add(outcome.action, outcome.status)
        await self.state.add_audit_records([audit_record(run.cycle, o) for o in outcomes])

    async def record(
        self,
        run: CycleRun,
        outcomes: Sequence[Outcome],
        links: Mapping[str, Link | None],
        *,
        refreshed: Sequence[Link] = (),
        snapshots: Mapping[str, dict[str, Any] | None] | None = None,
    ) -> None:
        snapshots = snapshots or {}
        records: list[AuditRecord] = []
        upserts: list[Link] = list(refreshed)
        deleted: dict[ObjectType, list[str]] = {}
        failures: dict[str, str] = {}
        succeeded: list[str] = []
        for outcome in outcomes:
            op = outcome.operation
            run.counts.add(outcome.action, outcome.status)
            records.append(audit_record(run.cycle, outcome))
            if outcome.failed:
                run.result.failed_records.append(records[-1])
                failures[op.source_id] = outcome.error_reason or outcome.error_code or "failed"
                continue
            succeeded.append(op.source_id)
            link = links.get(op.source_id)
            if op.action is Action.DELETE:
                deleted.setdefault(op.object_type, []).append(op.source_id)
            elif op.action is Action.SKIP and op.object_type is ObjectType.GROUP and link is not None:
                link.active = False  # left alone in GoTo (GROUP_DEPROVISION_ACTION=keep): not managed now
                upserts.append(link)
            elif op.action is Action.DISABLE and link is not None:
                link.active = False
                link.written.update(op.values or {"active": False})
                link.source = snapshots.get(op.source_id) or link.source
                upserts.append(link)
            elif op.action in (Action.CREATE, Action.UPDATE) and outcome.target_id is not None:
                source = snapshots.get(op.source_id) or (link.source if link else {})
                written = dict(outcome.written)
                upserts.append(Link(op.source_id, outcome.target_id, True, written, source, op.object_type))
        # Audit first: a crash after it replays the object (adopt, recorded again); a crash between
        # links and audit would leave an applied action that no record explains.
        await self.state.add_audit_records(records)
        await self.state.upsert_links(upserts)
        for object_type, source_ids in deleted.items():
            await self.state.delete_links(source_ids, object_type=object_type)
        if not failures and not succeeded:
            return
        if run.retry_ids is None:
            run.retry_ids = set(await self.state.list_retries())
        if failures:
            existing = await self.state.list_retries()
            await self.state.upsert_retries(climb_retry_ladder(failures, existing, now=run.clock()))
            run.retry_ids |= set(failures)
        cleared = run.retry_ids.intersection(succeeded)
        if cleared:
            await self.state.delete_retries(cleared)
            run.retry_ids -= cleared

    async def record_dry_run(
        self, run: CycleRun, operations: Sequence[Operation], *, note: str | None = None
    ) -> None:
        records = []
        for op in operations:
            run.counts.add(op.action.value, PLANNED)
            reason = f"dry run, nothing written: {op.reason}" + (f"; would be held: {note}" if note else "")
            outcome = Outcome(op, AuditStatus.SKIPPED, audit_action(op.action), op.target_id)
            records.append(audit_record(run.cycle, outcome, reason=reason))
        await self.state.add_audit_records(records)
