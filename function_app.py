"""Azure Functions entry points (v2 programming model). Triggers only: each calls a service.

HTTP routes use function-level keys (send `x-functions-key`); handlers live in provisioning/api and
are plain async functions, converted here from and to azure.functions types.
"""

from __future__ import annotations

import logging

import azure.functions as func

from provisioning.api.drift import handle_drift
from provisioning.api.goto_oauth import handle_goto_authorize, handle_goto_callback
from provisioning.api.http import ApiRequest, ApiResponse, Handler, guarded
from provisioning.api.routes import (
    handle_logs_route,
    handle_provision_group,
    handle_provision_user,
    handle_restart,
    handle_staged,
    handle_status_route,
    handle_test_connection,
)
from provisioning.config import load_settings
from provisioning.dashboard.handler import (
    handle_cycles_route,
    handle_dashboard,
    handle_dashboard_script,
    handle_dashboard_style,
    handle_retries_route,
)
from provisioning.notifications.queue import NotificationQueue
from provisioning.notifications.subscriptions import run_subscription_timer
from provisioning.notifications.webhook import handle_graph_notifications
from provisioning.notifications.worker import process_message
from provisioning.report import summary_dict
from provisioning.service import prune_audit, run_sync

# httpx/httpcore log every request at INFO with its full URL (delta tokens, UPN filters), and the Azure
# SDK logs every Table request and answer (keys are Entra ids); the Functions host runs the root
# logger at INFO and ships it to Application Insights.
for _chatty in ("httpx", "httpcore", "azure.core.pipeline.policies.http_logging_policy"):
    logging.getLogger(_chatty).setLevel(logging.WARNING)

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
# Notification workers and on-demand calls hold the single-flight lease for one object at a time: a
# tick waits that long for it instead of skipping the cycle (a burst would otherwise starve the timer).
TIMER_LEASE_WAIT_SECONDS = 30.0
log = logging.getLogger("provisioning")


@app.timer_trigger(schedule="%SYNC_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
async def sync_timer(timer: func.TimerRequest) -> None:
    """One incremental cycle per tick; a bad setting fails the invocation with the setting's name."""
    if timer.past_due:
        log.warning("sync timer is past due; running now")
    settings = load_settings()
    result = await run_sync(settings, initiated_by="timer", lease_wait=TIMER_LEASE_WAIT_SECONDS)
    log.info("provisioning cycle finished: %s", summary_dict(result))
    pruned = await prune_audit(settings)
    if pruned:
        log.info("pruned %d audit records older than %d days", pruned, settings.audit_retention_days)


def _request(req: func.HttpRequest) -> ApiRequest:
    return ApiRequest(
        method=req.method,
        path=req.url,
        params=dict(req.params),
        route=dict(req.route_params),
        body=req.get_body() or b"",
        headers={k.lower(): v for k, v in req.headers.items()},
    )


def _response(answer: ApiResponse) -> func.HttpResponse:
    return func.HttpResponse(
        body=answer.body,
        status_code=answer.status,
        mimetype=answer.content_type,
        headers=dict(answer.headers),
    )


async def _serve(handler: Handler, req: func.HttpRequest) -> func.HttpResponse:
    return _response(await guarded(handler, _request(req)))


@app.route(route="test-connection", methods=["POST"])
async def test_connection(req: func.HttpRequest) -> func.HttpResponse:
    return await _serve(handle_test_connection, req)


@app.route(route="provision/users/{entraId}", methods=["POST"])
async def provision_user(req: func.HttpRequest) -> func.HttpResponse:
    return await _serve(handle_provision_user, req)


@app.route(route="provision/groups/{entraId}", methods=["POST"])
async def provision_group(req: func.HttpRequest) -> func.HttpResponse:
    return await _serve(handle_provision_group, req)


@app.route(route="restart", methods=["POST"])
async def restart_provisioning(req: func.HttpRequest) -> func.HttpResponse:
    return await _serve(handle_restart, req)


@app.route(route="staged/approve", methods=["POST"])
async def staged_approve(req: func.HttpRequest) -> func.HttpResponse:
    return await _serve(lambda r: handle_staged(r, approve=True), req)


@app.route(route="staged/reject", methods=["POST"])
async def staged_reject(req: func.HttpRequest) -> func.HttpResponse:
    return await _serve(lambda r: handle_staged(r, approve=False), req)


@app.route(route="status", methods=["GET"])
async def status(req: func.HttpRequest) -> func.HttpResponse:
    return await _serve(handle_status_route, req)


@app.route(route="logs", methods=["GET"])
async def logs(req: func.HttpRequest) -> func.HttpResponse:
    return await _serve(handle_logs_route, req)


@app.route(route="drift", methods=["GET"])
async def drift(req: func.HttpRequest) -> func.HttpResponse:
    """The drift report; repair=true&apply=true writes (docs/drift.md), within Flex's 230 s cut."""
    return await _serve(handle_drift, req)


@app.route(route="cycles", methods=["GET"])
async def cycles(req: func.HttpRequest) -> func.HttpResponse:
    return await _serve(handle_cycles_route, req)


@app.route(route="retries", methods=["GET"])
async def retries(req: func.HttpRequest) -> func.HttpResponse:
    return await _serve(handle_retries_route, req)


# The status page needs the function key (opened as /api/dashboard?code=KEY); the page drops the key
# from its address at once and sends it as x-functions-key to the JSON routes above, never in a URL.
# Its script and style hold no data and are anonymous: a <script src> cannot carry a header.
@app.route(route="dashboard", methods=["GET"])
async def dashboard(req: func.HttpRequest) -> func.HttpResponse:
    return await _serve(handle_dashboard, req)


@app.route(route="dashboard/app.js", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def dashboard_script(req: func.HttpRequest) -> func.HttpResponse:
    return await _serve(handle_dashboard_script, req)


@app.route(route="dashboard/app.css", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def dashboard_style(req: func.HttpRequest) -> func.HttpResponse:
    return await _serve(handle_dashboard_style, req)


@app.route(route="goto/authorize", methods=["GET"])
async def goto_authorize(req: func.HttpRequest) -> func.HttpResponse:
    return await _serve(handle_goto_authorize, req)


@app.route(route="goto/callback", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def goto_callback(req: func.HttpRequest) -> func.HttpResponse:
    """Anonymous by necessity: GoTo's redirect cannot carry a function key; the single-use state guards it."""
    return await _serve(handle_goto_callback, req)


# ---------------------------------------------------------------- Graph change notifications
# docs/notifications.md: webhook -> Storage queue -> worker; a timer keeps the subscriptions alive.


@app.route(route="graph/notifications", methods=["POST"])
async def graph_notifications(req: func.HttpRequest) -> func.HttpResponse:
    """Graph's POSTs: the function key is in the notificationUrl's query string (`?code=`)."""
    return await _serve(handle_graph_notifications, req)


@app.queue_trigger(arg_name="msg", queue_name="%GRAPH_NOTIFICATION_QUEUE%", connection="AzureWebJobsStorage")
async def graph_notification_worker(msg: func.QueueMessage) -> None:
    """The ids of one notification POST through the on-demand path; raising makes the host retry."""
    settings = load_settings()
    async with NotificationQueue.from_settings(
        settings.change_notifications, client_id=settings.azure_client_id
    ) as queue:
        result = await process_message(
            msg.get_body().decode("utf-8", errors="replace"),
            dequeue_count=msg.dequeue_count or 1,
            settings=settings,
            queue=queue,
            message_id=msg.id or "",
        )
    log.info(
        "change notification message: %d provisioned, %d left to the delta cycle, %d requeued%s",
        len(result.provisioned),
        len(result.left_to_cycle),
        len(result.requeued),
        ", poisoned" if result.poisoned else "",
    )


@app.timer_trigger(schedule="%GRAPH_SUBSCRIPTION_SCHEDULE%", arg_name="timer", run_on_startup=False)
async def graph_subscription_timer(timer: func.TimerRequest) -> None:
    """Create, renew or recreate the /users and /groups subscriptions (nothing when notifications are off)."""
    done = await run_subscription_timer(load_settings())
    if done:
        log.info("Graph subscriptions: %s", done)
