"""How a cycle is shown to people (text) and to tools (JSON). Pure: data in, text out."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from provisioning.engine.cycle import CycleResult
from provisioning.engine.plan import Operation
from provisioning.model import AuditRecord

PLAN_LINES_SHOWN = 200


def _duration_seconds(result: CycleResult) -> float:
    cycle = result.cycle
    if not cycle.ended:
        return 0.0
    return (datetime.fromisoformat(cycle.ended) - datetime.fromisoformat(cycle.started)).total_seconds()


def summary_dict(result: CycleResult) -> dict[str, Any]:
    cycle = result.cycle
    data: dict[str, Any] = {
        "cycleId": cycle.id,
        "kind": cycle.kind,
        "status": cycle.status,
        "dryRun": cycle.dry_run,
        "started": cycle.started,
        "ended": cycle.ended,
        "durationSeconds": round(_duration_seconds(result), 3),
        "counts": cycle.counts,
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


def render_summary(result: CycleResult) -> str:
    cycle = result.cycle
    lines = [
        f"cycle {cycle.id} ({cycle.kind}{', dry run' if cycle.dry_run else ''}): {cycle.status} "
        f"in {_duration_seconds(result):.2f}s",
        f"requests: graph {cycle.graph_requests}, goto {cycle.goto_requests}",
    ]
    if cycle.counts:
        width = max(len(k) for k in cycle.counts)
        lines.append("counts (action/status):")
        lines.extend(f"  {key.ljust(width)}  {n}" for key, n in cycle.counts.items())
    else:
        lines.append("counts: nothing to do")
    if cycle.error:
        lines.append(f"error: {cycle.error}")
    if cycle.dry_run and result.planned:
        lines.append("plan:")
        lines.extend(f"  {render_operation(op)}" for op in result.planned[:PLAN_LINES_SHOWN])
        if len(result.planned) > PLAN_LINES_SHOWN:
            lines.append(f"  ... and {len(result.planned) - PLAN_LINES_SHOWN} more (use --json for all)")
    return "\n".join(lines)


def render_operation(op: Operation) -> str:
    changes = ", ".join(
        f"{c.path}: {c.old!r} -> {c.new!r}" for c in op.changes if c.path != "active" or op.action
    )
    who = op.display_name or op.source_id
    return f"{op.action.value:<7} {who} ({op.reason})" + (f" [{changes}]" if changes else "")


def render_audit(records: Iterable[AuditRecord]) -> list[str]:
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
