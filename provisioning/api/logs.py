"""GET /api/logs: the provisioning logs, filtered, newest first, paged.

Records are shaped the way Entra shows its provisioning logs (provisioningObjectSummary), as JSON or
as CSV for export. `logs` on the CLI (provisioning.cli) parses its filters with this module's
parser and prints these same shapes, so a bad value is refused with the same message naming it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from provisioning.api.http import (
    GUID,
    ApiRequest,
    ApiResponse,
    bad_request,
    check_params,
    guarded,
    json_response,
    param_datetime,
    param_int,
)
from provisioning.model import AuditRecord, AuditStatus, ObjectType
from provisioning.redaction import redact
from provisioning.state.audit_log import (
    DEFAULT_TOP,
    MAX_TOP,
    AuditLog,
    AuditPage,
    AuditQuery,
    ContinuationTokenError,
)

FILTER_PARAMS = ("cycleId", "entraId", "gotoId", "action", "status", "from", "to")
PARAMS = frozenset({*FILTER_PARAMS, "top", "continuationToken", "format"})
ACTIONS = ("create", "update", "delete", "disable", "stagedDelete", "other")
STATUSES = tuple(s.value for s in AuditStatus)
FORMATS = ("json", "csv")
CONTINUATION_HEADER = "X-Continuation-Token"
CSV_COLUMNS = (
    "activityDateTime",
    "id",
    "cycleId",
    "changeId",
    "provisioningAction",
    "status",
    "sourceId",
    "sourceDisplayName",
    "identityType",
    "targetId",
    "targetDisplayName",
    "errorCode",
    "errorReason",
    "recommendedAction",
    "modifiedProperties",
    "reason",
    "durationInMilliseconds",
    "initiatedBy",
    "dryRun",
)
_GOTO_ID = re.compile(r"\A[A-Za-z0-9._-]{1,128}\Z")
# What the audit log's inverted-timestamp keys can hold and a query may subtract a day from
# (LONGEST_CYCLE) without leaving datetime's range: 1970 (the epoch) up to the year 9000.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC) - timedelta(microseconds=1)
_CSV_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a cell as a formula


@dataclass(frozen=True, slots=True)
class LogsRequest:
    query: AuditQuery
    top: int = DEFAULT_TOP
    continuation_token: str | None = None
    format: str = "json"


def parse_logs_request(request: ApiRequest) -> LogsRequest:
    """Check every query parameter; an unknown or malformed one is a 400 naming it."""
    check_params(request, set(PARAMS))
    params = request.params
    fmt = params.get("format") or "json"
    if fmt not in FORMATS:
        raise bad_request("format", f"must be one of {', '.join(FORMATS)}, got {_short(fmt)}")
    since, until = _moment(request, "from"), _moment(request, "to")
    if since is not None and until is not None and since > until:
        raise bad_request("from", "must not be after 'to'")
    status = _choice(params, "status", STATUSES)
    query = AuditQuery(
        cycle_id=_guid(params, "cycleId"),
        entra_id=_guid(params, "entraId"),
        goto_id=_goto_id(params),
        action=_choice(params, "action", ACTIONS),
        status=None if status is None else AuditStatus(status),
        since=since,
        until=until,
    )
    top = param_int(request, "top", DEFAULT_TOP, minimum=1, maximum=MAX_TOP)
    token = params.get("continuationToken") or None
    return LogsRequest(query, top, token, fmt)


async def read_page(log: AuditLog, request: LogsRequest) -> AuditPage:
    try:
        return await log.query(request.query, top=request.top, continuation_token=request.continuation_token)
    except ContinuationTokenError as exc:
        raise bad_request("continuationToken", str(exc)) from None


async def handle_logs(request: ApiRequest, *, log: AuditLog) -> ApiResponse:
    """GET /api/logs. Always answers (bad input 400 naming the field, never a stack trace)."""

    async def answer(request: ApiRequest) -> ApiResponse:
        parsed = parse_logs_request(request)
        page = await read_page(log, parsed)
        if parsed.format == "csv":
            headers = {"Content-Disposition": 'attachment; filename="provisioning-logs.csv"'}
            if page.continuation_token:
                headers[CONTINUATION_HEADER] = page.continuation_token
            body = records_csv(page.records).encode()
            return ApiResponse(200, body, content_type="text/csv; charset=utf-8", headers=headers)
        return json_response(200, page_dict(page))

    return await guarded(answer, request)


# shapes -------------------------------------------------------------------------------------------


def page_dict(page: AuditPage) -> dict[str, Any]:
    return {"value": [record_dict(r) for r in page.records], "continuationToken": page.continuation_token}


def record_dict(record: AuditRecord) -> dict[str, Any]:
    """One record shaped like Entra's provisioningObjectSummary."""
    error = None
    if record.error_code or record.error_reason or record.recommended_action:
        error = {
            "errorCode": record.error_code,
            "reason": redact(record.error_reason),
            "recommendedAction": redact(record.recommended_action),
        }
    steps = []
    if record.reason:
        steps.append(
            {
                "name": "Action",
                "provisioningStepType": "processing",
                "status": record.status.value,
                "description": redact(record.reason),
            }
        )
    return {
        "id": record.id,
        "activityDateTime": record.activity_date_time,
        "cycleId": record.cycle_id,
        "changeId": record.change_id,
        "provisioningAction": record.action,
        "provisioningStatusInfo": {"status": record.status.value, "errorInformation": error},
        "sourceIdentity": {
            "id": record.source_id,
            "displayName": record.source_display_name,
            "identityType": _identity_type(record.object_type),
        },
        "targetIdentity": {"id": record.target_id, "displayName": record.target_display_name},
        "modifiedProperties": [
            {"displayName": p.display_name, "oldValue": p.old_value, "newValue": p.new_value}
            for p in record.modified_properties
        ],
        "provisioningSteps": steps,
        "durationInMilliseconds": record.duration_ms,
        "initiatedBy": record.initiated_by,
        "dryRun": record.dry_run,
    }


def records_csv(records: Sequence[AuditRecord]) -> str:
    """A header row, then one row per record; modified properties joined as `name: old -> new; ...`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in records:
        row = (
            r.activity_date_time,
            r.id,
            r.cycle_id,
            r.change_id,
            r.action,
            r.status.value,
            r.source_id,
            r.source_display_name,
            _identity_type(r.object_type),
            r.target_id,
            r.target_display_name,
            r.error_code,
            redact(r.error_reason),
            redact(r.recommended_action),
            modified_text(r),
            redact(r.reason),
            r.duration_ms,
            r.initiated_by,
            "true" if r.dry_run else "false",
        )
        writer.writerow([_cell(value) for value in row])
    return buffer.getvalue()


def modified_text(record: AuditRecord) -> str:
    return "; ".join(
        f"{p.display_name}: {_shown(p.old_value)} -> {_shown(p.new_value)}"
        for p in record.modified_properties
    )


def _identity_type(object_type: ObjectType) -> str:
    return object_type.value.capitalize()


def _shown(value: str | None) -> str:
    return "(none)" if value is None else value


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_CSV_FORMULA) else text


def _moment(request: ApiRequest, name: str) -> datetime | None:
    moment = param_datetime(request, name)
    if moment is not None and not EARLIEST <= moment <= LATEST:
        raise bad_request(
            name,
            f"must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (what the audit log holds), "
            f"got {_short(request.params[name])}",
        )
    return moment


def _guid(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name) or None
    if value is not None and not GUID.fullmatch(value):
        raise bad_request(name, f"must be a GUID, got {_short(value)}")
    return None if value is None else value.lower()


def _goto_id(params: Mapping[str, str]) -> str | None:
    value = params.get("gotoId") or None
    if value is not None and not _GOTO_ID.fullmatch(value):
        allowed = "letters, digits, '.', '_' and '-'"
        raise bad_request("gotoId", f"must be a GoTo user id ({allowed}), got {_short(value)}")
    return value


def _choice(params: Mapping[str, str], name: str, allowed: Sequence[str]) -> str | None:
    value = params.get(name) or None
    if value is not None and value not in allowed:
        raise bad_request(name, f"must be one of {', '.join(allowed)}, got {_short(value)}")
    return value


def _short(value: str) -> str:
    """A refused value, quoted and cut short: enough to recognise, never a wall of text."""
    return repr(value if len(value) <= 60 else value[:60] + "...")
