"""`GET /api/drift`: the drift report, and its repair (`repair=true`, `deactivateOrphans=true`), a
dry run unless `apply=true`.

Flex Consumption cuts an HTTP request at 230 s. The route counts GoTo's users first (one request)
and refuses, with 422 `driftTooLong` and the estimate, a read the estimate puts past
HTTP_BUDGET_SECONDS; `estimateOnly=true` answers the estimate alone. Writes a repair would need
past what is left of the budget are not sent: the answer is the dry run, saying why
(`repair.notApplied`). The CLI (`python -m provisioning drift`) has no such limit.
"""

from __future__ import annotations

from provisioning.api.http import (
    ApiRequest,
    ApiResponse,
    bad_request,
    check_params,
    json_body,
    json_response,
    param_bool,
)
from provisioning.config import load_settings
from provisioning.drift.report import drift_csv
from provisioning.drift.run import Request, TooLong, run_drift

HTTP_BUDGET_SECONDS = 180.0  # of Flex's 230 s: the rest for Graph, Table Storage and the answer
PARAMS = {"repair", "apply", "deactivateOrphans", "estimateOnly", "format"}
FORMATS = ("json", "csv")
TOO_LONG_HINT = (
    "run `python -m provisioning drift` (no time limit), or raise GOTO_RATE_LIMIT_PER_SECOND if your "
    "GoTo account allows more requests a second"
)


def parse_drift_request(request: ApiRequest) -> tuple[Request, str]:
    """The query parameters, checked before any setting or I/O: a bad one is a 400 naming it."""
    check_params(request, PARAMS)
    json_body(request, allowed=set())
    fmt = request.params.get("format") or "json"
    if fmt not in FORMATS:
        raise bad_request("format", f"must be one of {', '.join(FORMATS)}, got {fmt[:40]!r}")
    asked = Request(
        repair=param_bool(request, "repair"),
        deactivate_orphans=param_bool(request, "deactivateOrphans"),
        apply=param_bool(request, "apply"),
        estimate_only=param_bool(request, "estimateOnly"),
        budget_seconds=HTTP_BUDGET_SECONDS,
    )
    if asked.apply and not (asked.repair or asked.deactivate_orphans):
        raise bad_request("apply", "applies a repair: add repair=true and/or deactivateOrphans=true")
    if asked.estimate_only and (asked.repair or asked.deactivate_orphans):
        raise bad_request("estimateOnly", "answers the estimate alone: it takes no repair")
    if asked.estimate_only and fmt != "json":
        raise bad_request("format", "the estimate is JSON only")
    return asked, fmt


async def handle_drift(request: ApiRequest) -> ApiResponse:
    asked, fmt = parse_drift_request(request)
    settings = load_settings()
    try:
        document = await run_drift(settings, asked)
    except TooLong as exc:
        error = {"code": "driftTooLong", "message": str(exc), "hint": TOO_LONG_HINT}
        return json_response(422, {"error": error, "estimate": exc.estimate.as_dict()})
    if fmt == "csv":
        return ApiResponse(200, drift_csv(document).encode(), content_type="text/csv")
    return json_response(200, document)
