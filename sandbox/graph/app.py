"""The Graph v1.0 routes the product reads, as a WSGI app: auth, faults, counters, then the handler."""

from __future__ import annotations

import math
import re
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox._counters import RequestCounters
from sandbox._faults import FaultInjector, FaultKind
from sandbox.graph.constants import SANDBOX_GRAPH_TOKEN, SERVICE_PRINCIPAL_ID
from sandbox.graph.delta import paginate, round_entries
from sandbox.graph.records import (
    DEFAULT_GROUP_SELECT,
    DEFAULT_USER_SELECT,
    GROUP_DELTA_SELECTABLE,
    GROUP_PROPERTIES,
    USER_PROPERTIES,
)
from sandbox.graph.responses import graph_error, json_response
from sandbox.graph.settings import SimulatorSettings
from sandbox.graph.subscription_routes import SUBSCRIPTION_ROUTES, SUBSCRIPTION_TEMPLATES, SubscriptionRoutes
from sandbox.graph.subscriptions import SubscriptionHub
from sandbox.graph.tenant import Tenant
from sandbox.graph.tokens import DeltaCursor, DeltaQuery, Resource, ResultSet, TokenError

MAX_TOP = 999
DEFAULT_TOP = 100
MAX_FILTER_IDS = 50

# endpoint -> the route as counters name it ("GET /v1.0/users/delta")
ROUTES: dict[str, tuple[str, ...]] = {
    "users_delta": ("/v1.0/users/delta", "/v1.0/users/delta()"),
    "groups_delta": ("/v1.0/groups/delta", "/v1.0/groups/delta()"),
    "user": ("/v1.0/users/<key>",),
    "group": ("/v1.0/groups/<group_id>",),
    "group_members": ("/v1.0/groups/<group_id>/members",),
    "service_principal": ("/v1.0/servicePrincipals/<sp_id>",),
    "app_role_assigned_to": ("/v1.0/servicePrincipals/<sp_id>/appRoleAssignedTo",),
}
_TEMPLATES = {
    "users_delta": "/v1.0/users/delta",
    "groups_delta": "/v1.0/groups/delta",
    "user": "/v1.0/users/{id}",
    "group": "/v1.0/groups/{id}",
    "group_members": "/v1.0/groups/{id}/members",
    "service_principal": "/v1.0/servicePrincipals/{id}",
    "app_role_assigned_to": "/v1.0/servicePrincipals/{id}/appRoleAssignedTo",
}
_ID_EQ = re.compile(r"^\s*id\s+eq\s+'([^']+)'\s*$", re.IGNORECASE)
_FAULTS: dict[str, tuple[int, str, str]] = {
    "throttle": (429, "TooManyRequests", "Too many requests. Please retry after the given delay."),
    "unavailable": (503, "serviceNotAvailable", "The service is temporarily unavailable."),
    "server_error": (500, "generalException", "An unexpected error occurred."),
    "timeout": (504, "gatewayTimeout", "The gateway did not receive a timely answer."),
}


class BadRequest(Exception):
    """A query Graph would refuse with 400; `code` is Graph's error code."""

    def __init__(self, message: str, code: str = "Request_BadRequest") -> None:
        super().__init__(message)
        self.code = code


class GraphApp:
    """WSGI callable for `/v1.0/...`; shares tenant, settings, faults and counters with its owner."""

    def __init__(
        self,
        tenant: Tenant,
        settings: SimulatorSettings,
        faults: FaultInjector,
        counters: RequestCounters,
    ) -> None:
        self.tenant = tenant
        self.settings = settings
        self.faults = faults
        self.counters = counters
        self.subscriptions = SubscriptionHub(tenant)  # change notifications (subscriptions.py)
        self._subscription_routes = SubscriptionRoutes(self.subscriptions)
        self._map = Map(
            [Rule(path, endpoint=name, methods=["GET"]) for name, paths in ROUTES.items() for path in paths]
            + [Rule(path, endpoint=name, methods=list(m)) for name, (path, m) in SUBSCRIPTION_ROUTES.items()],
            strict_slashes=False,
        )
        self._handlers: dict[str, Callable[..., Response]] = {
            "users_delta": lambda request: self._delta(request, "users"),
            "groups_delta": lambda request: self._delta(request, "groups"),
            "user": self._user,
            "group": self._group,
            "group_members": self._group_members,
            "service_principal": self._service_principal,
            "app_role_assigned_to": self._app_role_assigned_to,
        }
        for name in SUBSCRIPTION_ROUTES:
            self._handlers[name] = lambda request, name=name, **args: self._subscription_routes.handle(
                name, request, **args
            )

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        response = self.handle(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        urls = self._map.bind_to_environ(request.environ)
        endpoint: str | None = None
        args: Mapping[str, Any] = {}
        route_error: NotFound | MethodNotAllowed | None = None
        try:
            endpoint, args = urls.match()
            key = f"{request.method} {(_TEMPLATES | SUBSCRIPTION_TEMPLATES)[endpoint]}"
        except (NotFound, MethodNotAllowed) as exc:
            route_error = exc
            key = f"{request.method} {request.path}"
        self.counters.add(key, request.query_string.decode("latin-1"))

        fault = self.faults.draw()
        latency = self.faults.config.latency_ms
        if latency:
            time.sleep(latency / 1000)
        if fault is not None:
            return self._fault(request, fault)
        if not _authorized(request):
            return graph_error(
                request,
                401,
                "InvalidAuthenticationToken",
                "Access token is empty or invalid.",
                headers={
                    "WWW-Authenticate": 'Bearer realm="", authorization_uri="https://login.microsoftonline.com"'
                },
            )
        if endpoint is None:
            if isinstance(route_error, MethodNotAllowed):
                return graph_error(request, 405, "Request_BadRequest", "The HTTP method is not allowed here.")
            return graph_error(
                request, 400, "BadRequest", f"Resource not found for the segment in '{request.path}'."
            )
        try:
            return self._handlers[endpoint](request, **args)
        except BadRequest as exc:
            return graph_error(request, 400, exc.code, str(exc))

    # ------------------------------------------------------------------ delta

    def _delta(self, request: Request, resource: Resource) -> Response:
        tokens = self.tenant.tokens
        skip = _param(request, "skiptoken")
        delta = _param(request, "deltatoken")
        try:
            if skip:
                result, index = tokens.resolve_page(skip, resource)
                return self._page(request, result, index, f"/{resource}/delta")
            minimal = False
            since: int | None = None
            if delta and delta != "latest":
                cursor = tokens.resolve_delta(delta, resource)
                query, since = cursor.query, cursor.version
                minimal = _prefers_minimal(request)
            else:
                query = self._delta_query(request, resource)
        except TokenError as exc:
            return self._token_error(request, exc, resource)

        root = _root(request)
        context = f"{root}/$metadata#{resource}" + (f"({','.join(query.select)})" if query.select else "")
        if delta == "latest":
            token = tokens.latest_token(DeltaCursor(query, self.tenant.version))
            body = {
                "@odata.context": context,
                "value": [],
                "@odata.deltaLink": f"{root}/{resource}/delta?$deltatoken={token}",
            }
            return json_response(body, request=request)

        with self.tenant.lock:
            version = self.tenant.version
            entries = round_entries(
                self.tenant, query, since, minimal=minimal, max_members=self.settings.max_members_per_entry
            )
        page_size = self.settings.page_size if resource == "users" else self.settings.groups_page_size
        result = ResultSet(
            scope=resource,
            pages=paginate(entries, page_size, empty_page_every=self.settings.empty_page_every),
            context=context,
            end=DeltaCursor(query, version),
            minimal=minimal,
        )
        return self._page(request, result, 0, f"/{resource}/delta")

    def _delta_query(self, request: Request, resource: Resource) -> DeltaQuery:
        known = ("id", *USER_PROPERTIES) if resource == "users" else ("id", *GROUP_DELTA_SELECTABLE)
        select = _select(
            request, known, "microsoft.graph.user" if resource == "users" else "microsoft.graph.group"
        )
        raw_filter = _param(request, "filter")
        ids: tuple[str, ...] | None = None
        if raw_filter:
            found = []
            for clause in re.split(r"\s+or\s+", raw_filter.strip(), flags=re.IGNORECASE):
                match = _ID_EQ.match(clause)
                if not match:
                    raise BadRequest(
                        "Delta queries support only $filter=id eq '...' clauses joined by 'or'.",
                        "Request_UnsupportedQuery",
                    )
                found.append(match.group(1))
            if len(found) > MAX_FILTER_IDS:
                raise BadRequest(
                    f"At most {MAX_FILTER_IDS} ids may be filtered on.", "Request_UnsupportedQuery"
                )
            ids = tuple(found)
        return DeltaQuery(resource, select, ids)

    def _token_error(self, request: Request, exc: TokenError, resource: Resource) -> Response:
        if exc.gone:
            query = exc.query or DeltaQuery(resource)
            params: dict[str, str] = {}
            if query.select:
                params["$select"] = ",".join(query.select)
            if query.ids:
                params["$filter"] = " or ".join(f"id eq '{i}'" for i in query.ids)
            location = f"{_root(request)}/{resource}/delta"
            if params:
                location += "?" + urlencode(params, safe="$,'")
            return graph_error(
                request,
                410,
                "resyncRequired",
                "Resync required: replace local state with a full synchronization.",
                headers={"Location": location},
            )
        return graph_error(
            request,
            400,
            "syncStateNotFound",
            f"The sync state generation is not found or has expired ({exc}). Please do a full resync.",
        )

    def _page(self, request: Request, result: ResultSet, index: int, path: str) -> Response:
        root = _root(request)
        body: dict[str, Any] = {"@odata.context": result.context, "value": result.pages[index]}
        loop = self.settings.next_link_loop
        if loop == "self":
            body["@odata.nextLink"] = request.url
        elif loop == "endless" and index + 1 >= len(result.pages):
            body["@odata.nextLink"] = (
                f"{root}{path}?$skiptoken={self.tenant.tokens.replay_token(result, index)}"
            )
        elif index + 1 < len(result.pages):
            token = self.tenant.tokens.page_token(result, index + 1)
            body["@odata.nextLink"] = f"{root}{path}?$skiptoken={token}"
        elif result.end is not None:
            body["@odata.deltaLink"] = f"{root}{path}?$deltatoken={self.tenant.tokens.delta_token(result)}"
        headers = {"Preference-Applied": "return=minimal"} if result.minimal else None
        return json_response(body, headers=headers, request=request)

    # ------------------------------------------------------------------ objects

    def _user(self, request: Request, key: str) -> Response:
        select = _select(request, ("id", *USER_PROPERTIES), "microsoft.graph.user")
        user = self.tenant.find_user(key)
        if user is None:
            return _not_found(request, key)
        props = select or ("id", *DEFAULT_USER_SELECT)
        body = {"@odata.context": _entity_context(request, "users", select)}
        body.update({"id": user["id"]} | {p: user.get(p) for p in props})
        return json_response(body, request=request)

    def _group(self, request: Request, group_id: str) -> Response:
        select = _select(request, ("id", *GROUP_PROPERTIES), "microsoft.graph.group")
        try:
            group = self.tenant.group(group_id)
        except KeyError:
            return _not_found(request, group_id)
        props = select or ("id", *DEFAULT_GROUP_SELECT)
        body = {"@odata.context": _entity_context(request, "groups", select)}
        body.update({"id": group["id"]} | {p: group.get(p) for p in props})
        return json_response(body, request=request)

    def _group_members(self, request: Request, group_id: str) -> Response:
        scope = f"members:{group_id}"
        path = f"/groups/{group_id}/members"
        skip = _param(request, "skiptoken")
        if skip:
            return self._listing_page(request, skip, scope, path)
        select = _select(
            request, ("id", *USER_PROPERTIES, *GROUP_PROPERTIES), "microsoft.graph.directoryObject"
        )
        top = _top(request)
        rows: list[dict[str, Any]] = []
        with self.tenant.lock:
            try:
                members = self.tenant.members(group_id)
            except KeyError:
                return _not_found(request, group_id)
            for member_id, member_type in members:
                if member_type == "user":
                    source, known, default = self.tenant.user(member_id), USER_PROPERTIES, DEFAULT_USER_SELECT
                else:
                    source, known, default = (
                        self.tenant.group(member_id),
                        GROUP_PROPERTIES,
                        DEFAULT_GROUP_SELECT,
                    )
                props = [p for p in select if p in known] if select else default
                row: dict[str, Any] = {"@odata.type": f"#microsoft.graph.{member_type}", "id": member_id}
                row.update({p: source.get(p) for p in props})
                rows.append(row)
        context = f"{_root(request)}/$metadata#directoryObjects" + (f"({','.join(select)})" if select else "")
        result = ResultSet(scope=scope, pages=paginate(rows, top), context=context)
        return self._page(request, result, 0, path)

    def _service_principal(self, request: Request, sp_id: str) -> Response:
        if sp_id != SERVICE_PRINCIPAL_ID:
            return _not_found(request, sp_id)
        sp = self.tenant.service_principal()
        select = _select(request, tuple(sp), "microsoft.graph.servicePrincipal")
        body: dict[str, Any] = {"@odata.context": _entity_context(request, "servicePrincipals", select)}
        body.update({k: v for k, v in sp.items() if not select or k in select or k == "id"})
        return json_response(body, request=request)

    def _app_role_assigned_to(self, request: Request, sp_id: str) -> Response:
        scope = f"appRoleAssignedTo:{sp_id}"
        path = f"/servicePrincipals/{sp_id}/appRoleAssignedTo"
        skip = _param(request, "skiptoken")
        if skip:
            return self._listing_page(request, skip, scope, path)
        if sp_id != SERVICE_PRINCIPAL_ID:
            return _not_found(request, sp_id)
        top = _top(request)
        context = f"{_root(request)}/$metadata#servicePrincipals('{sp_id}')/appRoleAssignedTo"
        result = ResultSet(scope=scope, pages=paginate(self.tenant.assignments(), top), context=context)
        return self._page(request, result, 0, path)

    def _listing_page(self, request: Request, token: str, scope: str, path: str) -> Response:
        try:
            result, index = self.tenant.tokens.resolve_page(token, scope)
        except TokenError:
            return graph_error(
                request, 400, "Request_BadRequest", "The skip token is invalid or has expired."
            )
        return self._page(request, result, index, path)

    # ------------------------------------------------------------------ faults

    def _fault(self, request: Request, fault: FaultKind) -> Response:
        config = self.faults.config
        if fault == "drop":
            sock = request.environ.get("werkzeug.socket")
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
            raise ConnectionAbortedError("sandbox fault: connection dropped")
        if fault == "timeout":
            time.sleep(config.timeout_seconds)
        status, code, message = _FAULTS[fault]
        headers: dict[str, str] = {}
        if fault in ("throttle", "unavailable") and config.retry_after is not None:
            headers["Retry-After"] = str(max(0, math.ceil(config.retry_after)))
        return graph_error(request, status, code, message, headers=headers)


# ---------------------------------------------------------------------- helpers


def _authorized(request: Request) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and token.strip() == SANDBOX_GRAPH_TOKEN


def _param(request: Request, name: str) -> str | None:
    """OData options arrive as `$name` (or `%24name`, decoded by werkzeug) or, in v1.0, bare `name`."""
    value = request.args.get(f"${name}")
    if value is None:
        value = request.args.get(name)
    return value


def _select(request: Request, known: Iterable[str], type_name: str) -> tuple[str, ...] | None:
    """`$select` names mapped to their canonical case; unknown names are refused as Graph does."""
    raw = _param(request, "select")
    if not raw:
        return None
    canonical = {name.lower(): name for name in known}
    out: list[str] = []
    for name in (part.strip() for part in raw.split(",")):
        if not name:
            continue
        found = canonical.get(name.lower())
        if found is None:
            raise BadRequest(f"Could not find a property named '{name}' on type '{type_name}'.")
        if found not in out:
            out.append(found)
    return tuple(out) or None


def _top(request: Request) -> int:
    raw = _param(request, "top")
    if raw is None:
        return DEFAULT_TOP
    try:
        top = int(raw)
    except ValueError:
        top = 0
    if not 1 <= top <= MAX_TOP:
        raise BadRequest(f"Invalid page size specified: '{raw}'. Must be between 1 and {MAX_TOP} inclusive.")
    return top


def _prefers_minimal(request: Request) -> bool:
    prefer = request.headers.get("Prefer", "")
    return any(part.strip().lower() == "return=minimal" for part in prefer.split(","))


def _root(request: Request) -> str:
    """Links point at the host the client used, so they work through 127.0.0.1 and localhost alike."""
    return request.host_url.rstrip("/") + "/v1.0"


def _entity_context(request: Request, collection: str, select: tuple[str, ...] | None) -> str:
    selected = f"({','.join(select)})" if select else ""
    return f"{_root(request)}/$metadata#{collection}{selected}/$entity"


def _not_found(request: Request, key: str) -> Response:
    return graph_error(
        request,
        404,
        "Request_ResourceNotFound",
        f"Resource '{key}' does not exist or one of its queried reference-property objects are not present.",
    )
