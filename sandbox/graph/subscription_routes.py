"""`/v1.0/subscriptions` as Graph answers it, over the simulator's SubscriptionHub."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.graph.responses import graph_error, json_response
from sandbox.graph.subscriptions import SubscriptionError, SubscriptionHub

# endpoint -> (path, methods); app.py mounts them beside the read routes
SUBSCRIPTION_ROUTES: dict[str, tuple[str, tuple[str, ...]]] = {
    "subscriptions": ("/v1.0/subscriptions", ("GET", "POST")),
    "subscription": ("/v1.0/subscriptions/<subscription_id>", ("GET", "PATCH", "DELETE")),
    "subscription_reauthorize": ("/v1.0/subscriptions/<subscription_id>/reauthorize", ("POST",)),
}
SUBSCRIPTION_TEMPLATES = {
    "subscriptions": "/v1.0/subscriptions",
    "subscription": "/v1.0/subscriptions/{id}",
    "subscription_reauthorize": "/v1.0/subscriptions/{id}/reauthorize",
}


class SubscriptionRoutes:
    """Create, list, read, renew, delete and reauthorize subscriptions."""

    def __init__(self, hub: SubscriptionHub) -> None:
        self.hub = hub

    def handle(self, endpoint: str, request: Request, subscription_id: str | None = None) -> Response:
        try:
            return self._dispatch(endpoint, request, subscription_id)
        except SubscriptionError as exc:
            return graph_error(request, exc.status, exc.code, str(exc))

    def _dispatch(self, endpoint: str, request: Request, subscription_id: str | None) -> Response:
        hub = self.hub
        if endpoint == "subscriptions":
            if request.method == "POST":
                return json_response(_context(request, hub.create(_body(request)).as_dict()), status=201)
            value = [s.as_dict() for s in hub.live()]
            return json_response(
                {"@odata.context": _root(request) + "/$metadata#subscriptions", "value": value}
            )
        assert subscription_id is not None
        if endpoint == "subscription_reauthorize":
            hub.reauthorize(subscription_id)
            return Response(status=204)
        if request.method == "DELETE":
            hub.delete(subscription_id)
            return Response(status=204)
        if request.method == "PATCH":
            return json_response(_context(request, hub.update(subscription_id, _body(request)).as_dict()))
        return json_response(_context(request, hub.get(subscription_id).as_dict()))


def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.get_data() or b"{}")
    except ValueError:
        raise SubscriptionError(400, "BadRequest", "the request body is not JSON") from None
    if not isinstance(body, dict):
        raise SubscriptionError(400, "BadRequest", "the request body is not a JSON object")
    return body


def _root(request: Request) -> str:
    return request.host_url.rstrip("/") + "/v1.0"


def _context(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    return {"@odata.context": _root(request) + "/$metadata#subscriptions/$entity", **body}
