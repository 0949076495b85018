"""The WSGI app: one pipeline in front of every API route — count, rate-limit, fault, delay, authorize.

The order mirrors a real gateway: a request is counted and throttled before anything looks at its
token, so 429s and injected faults reach unauthenticated callers too.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import re
import socket
import threading
from collections.abc import Iterable, Mapping
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox._counters import RequestCounters
from sandbox._faults import FaultConfig, FaultInjector, FaultKind
from sandbox.goto import admin, control_routes, oauth_routes, scim_routes
from sandbox.goto.constants import SANDBOX_GOTO_TOKEN, SCIM_BASE_PATH
from sandbox.goto.errors import ScimError
from sandbox.goto.licenses import LicenseStore
from sandbox.goto.oauth import OAuthServer
from sandbox.goto.ratelimit import TokenBucket, retry_after_value
from sandbox.goto.settings import SimulatorSettings
from sandbox.goto.store import Store

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

TOKEN_PATH = "/oauth/token"
_FAULT_SETTINGS = frozenset(f.name for f in fields(FaultConfig))
_FAULT_STATUS: dict[FaultKind, int] = {"throttle": 429, "unavailable": 503, "server_error": 500}


def route_key(method: str, rule: Rule | None, path: str) -> str:
    """ "GET /identity/v1/Users/{id}": one counter per route template, not per resource."""
    template = re.sub(r"<[^>]+>", "{id}", rule.rule) if rule is not None else path
    return f"{method} {template}"


class DroppedConnection(ConnectionAbortedError):
    """Raised after shutting the socket: werkzeug treats a ConnectionError as a client that left."""


class GoToApp:
    """Holds the simulator's state and serves it; thread-safe, one instance per simulator."""

    def __init__(
        self, settings: SimulatorSettings, *, seed: int = 0, fault_settings: Mapping[str, Any] | None = None
    ) -> None:
        self._initial = copy.deepcopy(settings)
        self._initial_faults = dict(fault_settings or {})
        self.settings = settings
        self.store = Store(verified_domains=settings.verified_domains, seed=seed)
        self.licenses = LicenseStore(self._user_exists)
        self.oauth = OAuthServer(settings)
        self.faults = FaultInjector(seed=seed)
        self.faults.configure(**self._initial_faults)
        self.counters = RequestCounters()
        self.rate_limited = RequestCounters()  # 429s from the bucket, per API (not faults)
        self.buckets = {
            "scim": TokenBucket(settings.rate_limit_per_second),
            "oauth": TokenBucket(settings.rate_limit_per_second),
            "admin": TokenBucket(settings.rate_limit_per_second),  # GoTo's limit is per API
        }
        self.stopping = threading.Event()
        self._config_lock = threading.Lock()
        rules = [*scim_routes.RULES, *admin.RULES, *oauth_routes.RULES, *control_routes.RULES]
        self._map = Map([rule.empty() for rule in rules])  # a Rule binds to one Map only
        self._scim = scim_routes.ScimRoutes(self.store, settings)
        self._admin = admin.AdminRoutes(self.store, self.licenses)
        self._oauth_routes = oauth_routes.OAuthRoutes(self.oauth)
        self._control = control_routes.ControlRoutes(self)

    # -- configuration ---------------------------------------------------------------------------

    def configure(self, **values: Any) -> None:
        """Simulator settings and FaultConfig fields in one call; unknown names raise ValueError."""
        unknown = set(values) - SimulatorSettings.names() - _FAULT_SETTINGS
        if unknown:
            known = sorted(SimulatorSettings.names() | _FAULT_SETTINGS)
            raise ValueError(f"unknown setting(s) {sorted(unknown)}; known: {known}")
        mine = {k: v for k, v in values.items() if k in SimulatorSettings.names()}
        faults = {k: v for k, v in values.items() if k in _FAULT_SETTINGS}
        with self._config_lock:
            trial = copy.deepcopy(self.settings)
            trial.update(mine)  # validate everything before changing anything
            FaultConfig().update(faults)
            self.settings.update(mine)
            self.faults.configure(**faults)
            self._apply_settings(rate_changed="rate_limit_per_second" in mine)

    def _apply_settings(self, *, rate_changed: bool) -> None:
        self.store.verified_domains = self.settings.verified_domains
        if rate_changed:
            for bucket in self.buckets.values():
                bucket.set_rate(self.settings.rate_limit_per_second)

    def config(self) -> dict[str, Any]:
        return {**self.settings.as_dict(), **self.faults.config.as_dict()}

    def reset(self) -> None:
        """Everything back to how the simulator started: state, tokens, faults, counters, settings."""
        with self._config_lock:
            self.settings.update(self._initial.as_dict())
            self._apply_settings(rate_changed=True)
            self.store.reset()
            self.licenses.reset()
            self.oauth.reset()
            self.faults.reset()
            self.faults.configure(**self._initial_faults)
            self.counters.reset()

    # -- WSGI ------------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self._respond(request, environ)
        return response(environ, start_response)

    def _respond(self, request: Request, environ: WSGIEnvironment) -> Response:
        adapter = self._map.bind_to_environ(environ)
        rule: Rule | None = None
        values: Mapping[str, Any] = {}
        routing_error: NotFound | MethodNotAllowed | None = None
        try:
            rule, values = adapter.match(return_rule=True)
        except (NotFound, MethodNotAllowed) as exc:
            routing_error = exc
        path = request.path
        if path.startswith(control_routes.CONTROL_PREFIX):
            if rule is None:
                body = json.dumps({"error": "no such control route"})
                return Response(body, 404, mimetype="application/json")
            return self._control.dispatch(rule.endpoint, request)

        self.counters.add(route_key(request.method, rule, path))
        api = _api_of(path)
        if api == "admin":
            return self._admin_respond(request, environ, rule, values, routing_error)
        if api is not None:
            early = self._gate(api, environ)
            if early is not None:
                return early
        try:
            if routing_error is not None:
                if api == "scim":
                    self._authorize(request)
                status, detail = (
                    (405, f"{request.method} is not allowed on {path}")
                    if isinstance(routing_error, MethodNotAllowed)
                    else (404, f"no such endpoint: {path}")
                )
                if api == "oauth":
                    return _error(api, status, detail)
                raise ScimError(status, detail)
            assert rule is not None
            if rule.endpoint.startswith("oauth."):
                return self._oauth_routes.dispatch(rule.endpoint, request)
            self._authorize(request)
            response = self._scim.dispatch(rule.endpoint, request, values)
            if rule.endpoint == "scim.user" and request.method == "DELETE":
                self.licenses.forget_user(str(values["resource_id"]))  # a deleted user frees their seats
            return response
        except ScimError as exc:
            if self.settings.error_body == "goto_json":
                return goto_json_error(exc, path)
            return exc.response()
        except Exception:
            log.exception("GoTo simulator failed on %s %s", request.method, path)
            return ScimError(500, "simulator error").response()

    def _admin_respond(
        self,
        request: Request,
        environ: WSGIEnvironment,
        rule: Rule | None,
        values: Mapping[str, Any],
        routing_error: NotFound | MethodNotAllowed | None,
    ) -> Response:
        """The Admin API: the same gateway (counted, limited, faulted), then the token and its scope."""
        early = self._gate("admin", environ)
        if early is not None:
            return early
        try:
            self._authorize(request)
            if admin.ADMIN_SCOPE not in self._token_scopes(request):
                raise admin.AdminError(
                    403, "FORBIDDEN", f"the access token lacks the {admin.ADMIN_SCOPE} scope (Admin API)"
                )
            if routing_error is not None or rule is None:
                if isinstance(routing_error, MethodNotAllowed):
                    raise admin.AdminError(405, "METHOD_NOT_ALLOWED", f"{request.method} is not allowed")
                raise admin.AdminError(404, "NOT_FOUND", f"no such endpoint: {request.path}")
            return self._admin.dispatch(rule.endpoint, request, values)
        except ScimError as exc:
            return admin.admin_error_response(exc)
        except Exception:
            log.exception("GoTo simulator failed on %s %s", request.method, request.path)
            return admin.admin_error_response(ScimError(500, "simulator error"))

    def _token_scopes(self, request: Request) -> set[str]:
        """The scopes the bearer token was issued with; the static sandbox token carries them all."""
        token = (request.headers.get("Authorization") or "").partition(" ")[2].strip()
        if token == SANDBOX_GOTO_TOKEN:
            return {admin.ADMIN_SCOPE, "identity:scim.org", "identity:scim.me"}
        # OAuthServer keeps each issued token's scope; it has no public reader for it yet
        with self.oauth._lock:
            grant = self.oauth._access.get(token)
            return set(grant.scope.split()) if grant is not None else set()

    def _user_exists(self, user_key: str) -> bool:
        try:
            self.store.get_user(user_key)
        except ScimError:
            return False
        return True

    def _bucket(self, api: str) -> TokenBucket:
        """`admin_rate_limit="shared"`: Admin API requests draw on SCIM's bucket."""
        if api == "admin" and self.settings.admin_rate_limit == "shared":
            return self.buckets["scim"]
        return self.buckets[api]

    def _gate(self, api: str, environ: WSGIEnvironment) -> Response | None:
        """Rate limit, then faults, then latency: what stands between a request and its handler."""
        bucket = self._bucket(api)
        wait = bucket.take()
        if wait is not None:
            self.rate_limited.add(api)
            headers = {"Retry-After": retry_after_value(wait)} if self.settings.retry_after_header else {}
            limit = f"rate limit exceeded: {bucket.rate:g} requests per second"
            return _error(api, 429, limit, headers)
        kind = self.faults.draw()
        config = self.faults.config
        if kind == "drop":
            self._drop(environ)
        if kind == "timeout":
            self.stopping.wait(config.timeout_seconds)
            if self.settings.timeout_mode == "hang":
                self._drop(environ)
            return _error(api, 504, "gateway timeout (injected)")
        if kind is not None:
            status = _FAULT_STATUS[kind]
            headers = {}
            if status in (429, 503) and config.retry_after is not None:
                headers["Retry-After"] = retry_after_value(config.retry_after)
            return _error(api, status, f"{kind} (injected)", headers)
        if config.latency_ms > 0:
            self.stopping.wait(config.latency_ms / 1000.0)
        return None

    @staticmethod
    def _drop(environ: WSGIEnvironment) -> None:
        """Close the connection without an answer; the client sees the server hang up."""
        sock = environ.get("werkzeug.socket")
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        raise DroppedConnection("connection dropped on purpose by the GoTo simulator")

    def _authorize(self, request: Request) -> None:
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        token = token.strip()
        accepted = token == SANDBOX_GOTO_TOKEN or self.oauth.access_token_valid(token)
        if scheme.lower() == "bearer" and token and accepted:
            return
        if self.settings.invalid_token_status == 403:  # the 2018 description's answer
            raise ScimError(403, "Invalid token passed")
        raise _Unauthorized(self.settings.unauthorized_body == "empty")


class _Unauthorized(ScimError):
    """401 with `WWW-Authenticate: Bearer error="invalid_token"`; body SCIM error JSON or empty."""

    def __init__(self, empty_body: bool) -> None:
        super().__init__(401, "invalid_token: missing, unknown or expired access token")
        self.empty_body = empty_body

    def response(self) -> Response:
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        if self.empty_body:
            return Response(b"", status=401, headers=headers)
        response = super().response()
        response.headers.update(headers)
        return response


_GOTO_CODES = {
    400: "invalid.request",
    401: "not.authorized",
    403: "forbidden",
    404: "not.found",
    409: "conflict",
    415: "unsupported.media.type",
}


def goto_json_error(exc: ScimError, path: str) -> Response:
    """GoTo's non-SCIM error body a public client saw: `{"code": "not.authorized", "uri": "/v1/Users"}`."""
    code = _GOTO_CODES.get(exc.status, "server.error" if exc.status >= 500 else "error")
    uri = path.removeprefix("/identity")
    body = json.dumps({"code": code, "uri": uri})
    response = Response(body, status=exc.status, content_type="application/json")
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


def _api_of(path: str) -> str | None:
    if path == TOKEN_PATH:
        return "oauth"
    if path.startswith(SCIM_BASE_PATH + "/"):
        return "scim"
    if path.startswith(admin.ADMIN_BASE_PATH + "/"):
        return "admin"
    return None


def _error(api: str, status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    """Gateway-level failures in each API's own error dialect."""
    if api == "scim":
        response = ScimError(status, detail).response()
    elif api == "admin":
        code = "TOO_MANY_REQUESTS" if status == 429 else "UNAVAILABLE" if status >= 500 else "ERROR"
        response = admin.admin_error_response(admin.AdminError(status, code, detail))
    else:
        error = "invalid_request"
        if status in (429, 503, 504):
            error = "temporarily_unavailable"
        elif status >= 500:
            error = "server_error"
        body = {"error": error, "error_description": detail}
        response = Response(json.dumps(body), status=status, content_type="application/json")
    response.headers.update(headers or {})
    return response
