"""Handlers of the admin API: each checks its input, opens the services, calls one service."""

from __future__ import annotations

from typing import Any

from provisioning.api.http import (
    GUID,
    ApiRequest,
    ApiResponse,
    bad_request,
    check_params,
    json_body,
    json_response,
    param_bool,
    route_guid,
)
from provisioning.api.logs import handle_logs
from provisioning.api.status import handle_status
from provisioning.config import load_settings
from provisioning.diagnostics import test_connection
from provisioning.engine.admin import restart
from provisioning.engine.on_demand import MAX_GROUP_MEMBERS, OnDemand
from provisioning.report import summary_dict
from provisioning.service import open_services, open_state, request_staged_approval


async def handle_test_connection(request: ApiRequest) -> ApiResponse:
    check_params(request, set())
    json_body(request, allowed=set())
    settings = load_settings()
    checks = await test_connection(settings)
    ok = all(c.ok for c in checks)
    return json_response(200 if ok else 424, {"ok": ok, "checks": [c.as_dict() for c in checks]})


async def handle_provision_user(request: ApiRequest) -> ApiResponse:
    check_params(request, {"dryRun"})
    dry_run = param_bool(request, "dryRun")
    user_id = route_guid(request, "entraId")
    json_body(request, allowed=set())
    settings = load_settings()
    async with open_services(settings) as services:
        result = await OnDemand(services.engine(settings)).provision_user(
            user_id, dry_run=dry_run or settings.dry_run
        )
    return json_response(200, result.as_dict())


async def handle_provision_group(request: ApiRequest) -> ApiResponse:
    check_params(request, {"dryRun"})
    dry_run = param_bool(request, "dryRun")
    group_id = route_guid(request, "entraId")
    body = json_body(request, allowed={"memberIds"})
    member_ids = _member_ids(body.get("memberIds")) if "memberIds" in body else None
    settings = load_settings()
    async with open_services(settings) as services:
        answer = await OnDemand(services.engine(settings)).provision_group(
            group_id, member_ids=member_ids, dry_run=dry_run or settings.dry_run
        )
    return json_response(200, answer)


def _member_ids(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and GUID.fullmatch(v) for v in value):
        raise bad_request("memberIds", "must be a list of Entra object ids (GUIDs)")
    if not 1 <= len(value) <= MAX_GROUP_MEMBERS:
        raise bad_request("memberIds", f"must hold 1 to {MAX_GROUP_MEMBERS} ids, as Entra allows")
    return [v.lower() for v in value]


async def handle_restart(request: ApiRequest) -> ApiResponse:
    check_params(request, {"resetLinks"})
    body = json_body(request, allowed={"resetLinks"})
    reset = param_bool(request, "resetLinks")
    if "resetLinks" in body:
        if not isinstance(body["resetLinks"], bool):
            raise bad_request("resetLinks", "must be true or false")
        reset = body["resetLinks"]
    settings = load_settings()
    async with open_services(settings) as services:
        answer = await restart(services.engine(settings), reset_links=reset)
    return json_response(200, answer)


async def handle_staged(request: ApiRequest, *, approve: bool) -> ApiResponse:
    """Reject settles now (Table writes only); approve is recorded and applied by the next timer
    cycle under the lease and the time budget: hundreds of GoTo writes outlast Flex's 230 s HTTP cap."""
    check_params(request, set())
    json_body(request, allowed=set())
    settings = load_settings()
    if approve:
        answer = await request_staged_approval(settings, initiated_by="api")
        return json_response(202 if answer["accepted"] else 200, answer)
    async with open_services(settings) as services:
        result = await services.engine(settings).staged.settle(approve=False, initiated_by="api")
    body = summary_dict(result)
    body["settled"] = len(result.planned)
    return json_response(200, body)


async def handle_status_route(request: ApiRequest) -> ApiResponse:
    settings = load_settings()
    async with open_state(settings) as state:
        return await handle_status(request, state=state, settings=settings)


async def handle_logs_route(request: ApiRequest) -> ApiResponse:
    settings = load_settings()
    async with open_state(settings) as state:
        assert state.audit_log is not None
        return await handle_logs(request, log=state.audit_log)
