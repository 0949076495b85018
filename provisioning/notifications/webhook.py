"""`POST /api/graph/notifications`: Graph's validation handshake, the clientState check, enqueue, 202.

It never provisions and never calls Graph: Graph counts an answer after 3 s as slow and drops a
slow endpoint's notifications (graph.md), so the only I/O here is one queue write per 200 ids.
The function key arrives in the query string (`?code=`, kept by Graph from the notificationUrl);
the host checks it before this code runs. The validation token is echoed before any setting is
read, so a cold instance answers as fast as it can start Python.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from provisioning.api.http import ApiError, ApiRequest, ApiResponse, json_response
from provisioning.config import load_settings
from provisioning.notifications.messages import parse_notifications
from provisioning.notifications.queue import NotificationQueue
from provisioning.notifications.settings import ChangeNotificationSettings

log = logging.getLogger(__name__)
MAX_VALIDATION_TOKEN = 1024

Enqueue = Callable[[str], Awaitable[None]]


def validation_answer(request: ApiRequest) -> ApiResponse | None:
    """Graph's handshake: `?validationToken=…` is answered 200 text/plain with the decoded token."""
    token = request.params.get("validationToken")
    if token is None:
        return None
    if len(token) > MAX_VALIDATION_TOKEN:
        raise ApiError(400, "badRequest", f"validationToken is longer than {MAX_VALIDATION_TOKEN} characters")
    return ApiResponse(200, token.encode(), content_type="text/plain")


async def accept_notifications(
    request: ApiRequest, change: ChangeNotificationSettings, enqueue: Enqueue
) -> ApiResponse:
    """The POST once validation is ruled out: clientState checked per notification, ids enqueued."""
    if not change.enabled or not change.client_state:
        raise ApiError(
            404, "notificationsOff", "change notifications are off: GRAPH_NOTIFICATION_URL is not set"
        )
    received = datetime.now(UTC).isoformat()
    try:
        parsed = parse_notifications(request.body, change.client_state, received_at=received)
    except ValueError as exc:
        raise ApiError(400, "badRequest", f"body: {exc}", field="body") from None
    if parsed.refused:
        log.warning(
            "refused %d change notification(s): wrong clientState or not a user/group", parsed.refused
        )
    if parsed.accepted == 0 and parsed.refused:
        raise ApiError(
            403, "clientStateMismatch", "clientState does not match GRAPH_NOTIFICATION_CLIENT_STATE"
        )
    for batch in parsed.batches:
        await enqueue(batch.to_json())
    return json_response(
        202, {"accepted": parsed.accepted, "refused": parsed.refused, "messages": len(parsed.batches)}
    )


async def handle_graph_notifications(request: ApiRequest) -> ApiResponse:
    """The route: validation first (no settings needed), then accept onto the Storage queue."""
    answer = validation_answer(request)
    if answer is not None:
        return answer
    settings = load_settings()
    change = settings.change_notifications
    if not change.enabled:
        return await accept_notifications(request, change, _never)
    async with NotificationQueue.from_settings(change, client_id=settings.azure_client_id) as queue:
        return await accept_notifications(request, change, queue.send)


async def _never(_: str) -> None:  # pragma: no cover - accept_notifications refuses before enqueueing
    raise AssertionError("nothing is enqueued while change notifications are off")
