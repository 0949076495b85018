"""A cycle as data for tools: the JSON summary the CLI prints with --json, the Function app logs and
POST /api/staged/reject answers. Pure. The CLI's text for people is provisioning.cli.render's."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from provisioning.engine.cycle import CycleResult
from provisioning.engine.plan import Operation
from provisioning.model import AuditRecord


def duration_seconds(result: CycleResult) -> float:
    """Seconds from start to end; 0 while the cycle has not ended."""
    cycle = result.cycle
    if not cycle.ended:
        return 0.0
    return (datetime.fromisoformat(cycle.ended) - datetime.fromisoformat(cycle.started)).total_seconds()


def summary_dict(result: CycleResult) -> dict[str, Any]:
    cycle = result.cycle
    data: dict[str, Any] = {
        "cycleId": cycle.id,
        "kind": cycle.kind,
        "status": cycle.status.value,
        "detail": cycle.detail,
        "dryRun": cycle.dry_run,
        "started": cycle.started,
        "ended": cycle.ended,
        "durationSeconds": round(duration_seconds(result), 3),
        "counts": cycle.counts.to_dict(),
        "requests": {"graph": cycle.graph_requests, "goto": cycle.goto_requests},
        "error": cycle.error,
    }
    if cycle.dry_run:
        data["plan"] = [operation_dict(op) for op in result.planned]
    return data


def operation_dict(op: Operation) -> dict[str, Any]:
    return {
        "action": op.action.value,
        "objectType": op.object_type.value,
        "sourceId": op.source_id,
        "targetId": op.target_id,
        "displayName": op.display_name,
        "reason": op.reason,
        "modifiedProperties": [
            {"displayName": c.path, "oldValue": c.old, "newValue": c.new} for c in op.changes
        ],
    }


def render_audit(records: Iterable[AuditRecord]) -> list[str]:
    """A cycle's audit records in time order, one line each, for sandbox/demo.py (which imports it
    from here; the CLI's own text is in provisioning.cli.render)."""
    lines = []
    for r in sorted(records, key=lambda r: r.activity_date_time):
        who = r.source_display_name or r.source_id
        props = ", ".join(
            f"{p.display_name}: {p.old_value!r} -> {p.new_value!r}" for p in r.modified_properties
        )
        error = f" error={r.error_code}: {r.error_reason}" if r.error_code else ""
        lines.append(
            f"{r.activity_date_time} {r.action:<7} {r.status.value:<8} {who} -> {r.target_id or '-'}"
            f" | {r.reason}{error}" + (f" | {props}" if props else "")
        )
    return lines
