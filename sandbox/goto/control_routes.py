"""/_sandbox/…: the JSON inspection and control surface, for demos and for tests in other processes.

Never rate-limited, faulted or counted: observing the simulator must not change what it observes.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from sandbox.goto.errors import ScimError

if TYPE_CHECKING:
    from sandbox.goto.app import GoToApp

CONTROL_PREFIX = "/_sandbox"
_P = CONTROL_PREFIX
RULES = [
    Rule(f"{_P}/state", methods=["GET"], endpoint="control.state"),
    Rule(f"{_P}/users", methods=["GET", "POST"], endpoint="control.users"),
    Rule(f"{_P}/groups", methods=["GET", "POST"], endpoint="control.groups"),
    Rule(f"{_P}/licenses", methods=["GET", "POST"], endpoint="control.licenses"),
    Rule(f"{_P}/config", methods=["GET", "POST"], endpoint="control.config"),
    Rule(f"{_P}/faults", methods=["POST"], endpoint="control.faults"),
    Rule(f"{_P}/counters", methods=["GET", "DELETE"], endpoint="control.counters"),
    Rule(f"{_P}/oauth/clients", methods=["GET", "POST"], endpoint="control.clients"),
    Rule(f"{_P}/oauth/revoke", methods=["POST"], endpoint="control.revoke"),
    Rule(f"{_P}/oauth/expire", methods=["POST"], endpoint="control.expire"),
    Rule(f"{_P}/reset", methods=["POST"], endpoint="control.reset"),
]


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _body(request: Request) -> Any:
    raw = request.get_data()
    return json.loads(raw) if raw else {}


class ControlRoutes:
    def __init__(self, app: GoToApp) -> None:
        self.app = app

    def dispatch(self, endpoint: str, request: Request) -> Response:
        try:
            return self._handle(endpoint.removeprefix("control."), request)
        except ScimError as exc:
            return exc.response()
        except (ValueError, TypeError, KeyError) as exc:
            return _json({"error": str(exc)}, 400)

    def _handle(self, name: str, request: Request) -> Response:
        app = self.app
        post = request.method == "POST"
        if name == "state":
            state = {"users": app.store.users(), "groups": app.store.groups()}
            return _json({**state, "licenses": app.licenses.licenses()})
        if name == "users":
            if post:
                items = _items(_body(request))
                return _json([app.store.create_user(u, check_domain=False) for u in items], 201)
            return _json(app.store.users())
        if name == "groups":
            if post:
                return _json([app.store.create_group(g) for g in _items(_body(request))], 201)
            return _json(app.store.groups())
        if name == "licenses":  # seed: {"key", "products", "seats", "enabled"} or a list of them
            if post:
                added = [
                    app.licenses.add_license(
                        str(item["key"]),
                        products=tuple(item.get("products", ("G2M",))),
                        seats=item.get("seats", 10),
                        enabled=bool(item.get("enabled", True)),
                        name=str(item.get("name", "")),
                    )
                    for item in _items(_body(request))
                ]
                return _json(added, 201)
            return _json(app.licenses.licenses())
        if name == "config":
            if post:
                app.configure(**_body(request))
            return _json(app.config())
        if name == "faults":
            body = _body(request)
            app.faults.queue(body["kind"], int(body.get("count", 1)))
            return _json({"queued": body["kind"], "count": int(body.get("count", 1))})
        if name == "counters":
            if request.method == "DELETE":
                app.counters.reset()
            return _json({"counts": app.counters.snapshot(), "total": app.counters.total()})
        if name == "clients":
            if post:
                body = _body(request)
                client = app.oauth.register_client(
                    body["client_id"],
                    body["client_secret"],
                    redirect_uris=body.get("redirect_uris", ()),
                    password_grant=bool(body.get("password_grant", False)),
                    **({"scope": body["scope"]} if "scope" in body else {}),
                )
                return _json(client.as_dict(), 201)
            return _json(app.oauth.clients())
        if name == "revoke":
            body = _body(request)
            revoked = app.oauth.revoke_refresh_tokens(
                client_id=body.get("client_id"), token=body.get("token")
            )
            return _json({"revoked": revoked})
        if name == "expire":
            return _json({"expired": app.oauth.expire_access_tokens()})
        app.reset()
        return _json({"reset": True})


def _items(body: Any) -> list[dict[str, Any]]:
    items = body if isinstance(body, list) else [body]
    if not all(isinstance(i, dict) for i in items):
        raise ValueError("send a resource object or a list of them")
    return items
