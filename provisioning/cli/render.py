"""What the CLI prints for people: cycle summaries, the status document, log lines, connection checks
and on-demand steps. Pure: data in, lines out. The data itself (summary_dict, the status document,
provisioningObjectSummary records) is shaped by provisioning.report and provisioning.api, which the
Function app serves as JSON; only the terminal text lives here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from provisioning.diagnostics import Check
from provisioning.engine.cycle import CycleResult
from provisioning.engine.plan import Operation
from provisioning.model import AuditRecord, AuditStatus
from provisioning.redaction import redact
from provisioning.report import duration_seconds

PLAN_LINES_SHOWN = 200


# sync and staged ------------------------------------------------------------------------------------


def render_summary(result: CycleResult) -> str:
    cycle = result.cycle
    lines = [
        f"cycle {cycle.id} ({cycle.kind}{', dry run' if cycle.dry_run else ''}): {cycle.describe()} "
        f"in {duration_seconds(result):.2f}s",
        f"requests: graph {cycle.graph_requests}, goto {cycle.goto_requests}",
    ]
    if cycle.counts:
        counts = cycle.counts.to_dict()
        width = max(len(k) for k in counts)
        lines.append("counts (action/status):")
        lines.extend(f"  {key.ljust(width)}  {n}" for key, n in counts.items())
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


# test-connection and provision ------------------------------------------------------------------------


def check_lines(check: Check) -> list[str]:
    """One connection check: ok with what was found, or FAIL with the error and a hint."""
    lines = [f"{'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail if check.ok else check.error}"]
    if check.hint and not check.ok:
        lines.append(f"     hint: {check.hint}")
    return lines


def provision_lines(result: Mapping[str, Any]) -> list[str]:
    """One on-demand result (the API's JSON shape): the action and status, then each step."""
    lines = [f"{result['entraId']}: {result['action']} -> {result['status']}"]
    for step in result["provisioningSteps"]:
        lines.append(f"  [{step['provisioningStepType']:<10}] {step['status']:<8} {step['description']}")
    return lines


# status -----------------------------------------------------------------------------------------------


def render_status(status: Mapping[str, Any]) -> list[str]:
    """The status document (GET /api/status) as lines for people."""
    on = "on" if status["provisioningEnabled"] else "OFF (PROVISIONING_ENABLED is false)"
    lines = [
        f"provisioning: {on}" + ("; dry run (DRY_RUN is true)" if status["dryRun"] else ""),
        f"schedule:     {status['schedule']}; next run {status['nextScheduledRun'] or 'unknown'}",
    ]
    running = status["running"]
    if running:
        lines.append(
            f"running:      cycle {running['id']} ({running['kind']}) since {running['started']}: "
            f"{running['pages']} pages, {running['objectsRead']} objects read, "
            f"{running['operationsDone']} operations done"
        )
    else:
        lines.append("running:      no")
    for label, key in (("last cycle:  ", "lastCycle"), ("last success:", "lastSuccessfulCycle")):
        lines.extend(_cycle_lines(label, status[key]))
    skip = status["lastSkip"]
    if skip:
        why = f"{skip['status']}: {skip['detail']}" if skip.get("detail") else skip["status"]
        lines.append(f"last skip:    {skip['time']}: {why}")
    mappings = status.get("mappings")
    if mappings and not mappings["ok"]:
        lines.append(
            f"mappings:     {mappings['file']} is broken, no cycle runs: {'; '.join(mappings['problems'])}"
        )
    elif mappings:
        full = " (changed: the next cycle is a full one)" if mappings["fullCycleNext"] else ""
        lines.append(f"mappings:     {mappings['file']}{full}")
    quarantine = status["quarantine"]
    if quarantine:
        then = (
            "approve or reject the staged deprovisions"
            if quarantine["awaitingApproval"]
            else f"next attempt after {quarantine['nextAttempt']}"
        )
        reason, since, detail = quarantine["reason"], quarantine["since"], quarantine["detail"]
        lines.append(f"quarantine:   {reason} since {since}: {detail}; {then}")
    else:
        lines.append("quarantine:   no")
    groups = status.get("groups")
    if groups:
        cut = groups["truncated"]
        shown = "; ".join(f"{g['displayName'] or g['id']} {g['pushed']} of {g['members']}" for g in cut)
        more = f": {shown}" + (", ..." if groups["truncatedCount"] > len(cut) else "") if cut else ""
        lines.append(
            f"groups:       {groups['managed']} managed in GoTo, {groups['truncatedCount']} truncated{more}"
        )
    lines.append(f"staged:       {status['stagedDeprovisions']} deprovisions awaiting approval")
    retries = status["retries"]
    given_up = ""
    if retries["givenUp"]:
        shown = ", ".join(retries["givenUpIds"]) + (", ..." if retries["givenUpIdsTruncated"] else "")
        given_up = f" ({shown})"
    lines.append(f"retries:      {retries['pending']} pending, {retries['givenUp']} given up{given_up}")
    return lines


def _cycle_lines(label: str, cycle: Mapping[str, Any] | None) -> list[str]:
    if cycle is None:
        return [f"{label} none"]
    duration = "" if cycle["durationSeconds"] is None else f" in {cycle['durationSeconds']:.1f}s"
    interrupted = " (interrupted)" if cycle["interrupted"] else ""
    detail = f": {cycle['detail']}" if cycle.get("detail") else ""
    counts = ", ".join(f"{key} {n}" for key, n in cycle["counts"].items()) or "nothing to do"
    requests = cycle["requests"]
    lines = [
        f"{label} {cycle['id']} ({cycle['kind']}) {cycle['status']}{detail}{interrupted}, "
        f"started {cycle['started']}{duration}: {counts}; "
        f"{requests['graph']} Graph and {requests['goto']} GoTo requests"
    ]
    if cycle["error"]:
        lines.append(f"              error: {cycle['error']}")
    return lines


# logs -------------------------------------------------------------------------------------------------


def record_line(record: AuditRecord) -> str:
    """One readable log line: when, what, to whom, and why when it was not a plain success."""
    moment = datetime.fromisoformat(record.activity_date_time).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    who = (
        f"{record.source_display_name} ({record.source_id})"
        if record.source_display_name
        else record.source_id
    )
    line = f"{moment}  {record.action:<12} {record.status.value:<8} {who} -> GoTo {record.target_id or '-'}"
    if record.status is AuditStatus.FAILURE or record.error_code:
        line += f"  [{record.error_code or 'error'}: {redact(record.error_reason) or ''}]"
    elif record.status is not AuditStatus.SUCCESS and record.reason:
        line += f"  ({redact(record.reason)})"
    if record.dry_run:
        line += "  (dry run)"
    return line
