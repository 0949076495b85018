"""The SCIM 2.0 identity API under /identity/v1, in the dialect Entra's GoTo connector speaks."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from sandbox.goto.constants import LIST_SCHEMA, MAX_PAGE_SIZE, PATCH_SCHEMA, SCIM_BASE_PATH
from sandbox.goto.errors import ScimError, bad_request, not_found, scim_json
from sandbox.goto.filters import ResourceKind, parse_filter
from sandbox.goto.resource import strip_core_prefix
from sandbox.goto.schemas import all_schemas, schema, service_provider_config
from sandbox.goto.settings import SimulatorSettings
from sandbox.goto.store import Store

_B = SCIM_BASE_PATH
RULES = [
    Rule(f"{_B}/Users", methods=["GET", "POST"], endpoint="scim.users"),
    Rule(f"{_B}/Users/me", methods=["GET"], endpoint="scim.me"),
    Rule(f"{_B}/Users/<resource_id>", methods=["GET", "PUT", "PATCH", "DELETE"], endpoint="scim.user"),
    Rule(f"{_B}/Groups", methods=["GET", "POST"], endpoint="scim.groups"),
    Rule(f"{_B}/Groups/<resource_id>", methods=["GET", "PUT", "PATCH", "DELETE"], endpoint="scim.group"),
    Rule(f"{_B}/ServiceProviderConfig", methods=["GET"], endpoint="scim.spc"),
    Rule(f"{_B}/ServiceProviderConfigs", methods=["GET"], endpoint="scim.spc"),
    Rule(f"{_B}/Schemas", methods=["GET"], endpoint="scim.schemas"),
    Rule(f"{_B}/Schemas/<schema_id>", methods=["GET"], endpoint="scim.schema"),
]

_JSON_TYPES = ("application/scim+json", "application/json")


def read_json(request: Request) -> Any:
    """GoTo takes application/scim+json and application/json; other media types are refused."""
    mimetype = request.mimetype
    if mimetype and mimetype not in _JSON_TYPES:
        raise ScimError(415, f"unsupported media type {mimetype!r}; send application/scim+json")
    try:
        return json.loads(request.get_data() or b"null")
    except ValueError as exc:
        raise ScimError(400, f"malformed JSON: {exc}", "invalidSyntax") from exc


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise bad_request(f"{name} must be an integer, not {raw!r}") from exc


def _names(raw: str | None) -> set[str]:
    return {strip_core_prefix(n.strip()).split(".")[0].lower() for n in (raw or "").split(",") if n.strip()}


def project(resource: dict[str, Any], request: Request) -> dict[str, Any]:
    """`attributes` / `excludedAttributes` at top-level granularity (Entra excludes group members)."""
    always = {"schemas", "id", "meta"}
    wanted, unwanted = _names(request.args.get("attributes")), _names(request.args.get("excludedAttributes"))
    if wanted:
        return {k: v for k, v in resource.items() if k in always or k.lower() in wanted}
    if unwanted:
        return {k: v for k, v in resource.items() if k in always or k.lower() not in unwanted}
    return resource


def _single(resource: dict[str, Any], request: Request, status: int = 200) -> Response:
    headers = {"ETag": resource["meta"]["version"]}
    if status == 201:
        headers["Location"] = resource["meta"]["location"]
    return scim_json(project(resource, request), status, headers)


class ScimRoutes:
    """One method per endpoint; every ScimError they raise becomes a SCIM error body upstream."""

    def __init__(self, store: Store, settings: SimulatorSettings | None = None) -> None:
        self.store = store
        self.settings = settings or SimulatorSettings()

    def dispatch(self, endpoint: str, request: Request, values: Mapping[str, Any]) -> Response:
        handler: Callable[..., Response] = getattr(self, endpoint.removeprefix("scim."))
        return handler(request, **values)

    def _list(self, request: Request, kind: ResourceKind) -> Response:
        text = request.args.get("filter")
        predicate = parse_filter(text, kind) if text else None
        if self.settings.ignore_filter:  # variant: the filter is parsed, then ignored
            predicate = None
        start = max(1, _int_param(request, "startIndex", 1))
        if self.settings.ignore_start_index:  # variant: every page is the first page
            start = 1
        count = min(MAX_PAGE_SIZE, max(0, _int_param(request, "count", MAX_PAGE_SIZE)))
        paged = self.store.page_users if kind == "User" else self.store.page_groups
        total, page = paged(predicate, start, count)
        body = {
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(page),
            self.settings.list_key: [project(r, request) for r in page],
        }
        return scim_json(body)

    def users(self, request: Request) -> Response:
        if request.method == "POST":
            return _single(self.store.create_user(_object(read_json(request), "User")), request, 201)
        return self._list(request, "User")

    def me(self, request: Request) -> Response:
        return _single(self.store.get_admin(), request)

    def user(self, request: Request, resource_id: str) -> Response:
        if request.method == "GET":
            return _single(self.store.get_user(resource_id), request)
        if request.method == "PUT":
            replaced = self.store.replace_user(resource_id, _object(read_json(request), "User"))
            return _single(replaced, request)
        if request.method == "PATCH":
            return _single(self.store.patch_user(resource_id, self._patch_body(read_json(request))), request)
        deleted = self.store.get_user(resource_id)
        self.store.delete_user(resource_id)
        if self.settings.delete_answer == "ok_with_body":  # variant: the 2018 description's 200
            return scim_json(project(deleted, request))
        return Response(status=204)

    def groups(self, request: Request) -> Response:
        if request.method == "POST":
            return _single(self.store.create_group(_object(read_json(request), "Group")), request, 201)
        return self._list(request, "Group")

    def group(self, request: Request, resource_id: str) -> Response:
        try:
            return self._group(request, resource_id)
        except ScimError as exc:
            if exc.status == 404 and self.settings.missing_group_status == 401:
                raise ScimError(401, "not sufficiently authorized") from exc  # variant: 401, not 404
            raise

    def _group(self, request: Request, resource_id: str) -> Response:
        if request.method == "GET":
            return _single(self.store.get_group(resource_id), request)
        if request.method == "PUT":
            replaced = self.store.replace_group(resource_id, _object(read_json(request), "Group"))
            return _single(replaced, request)
        if request.method == "PATCH":
            return _single(self.store.patch_group(resource_id, self._patch_body(read_json(request))), request)
        deleted = self.store.get_group(resource_id)
        self.store.delete_group(resource_id)
        if self.settings.delete_answer == "ok_with_body":
            return scim_json(project(deleted, request))
        return Response(status=204)

    def _patch_body(self, body: Any) -> Any:
        """Variant "partial_json" (the 2018 description): the body is a partial resource, not a PatchOp."""
        if self.settings.patch_format == "patchop":
            return body
        if not isinstance(body, dict) or "Operations" in body or PATCH_SCHEMA in (body.get("schemas") or []):
            raise ScimError(400, "PATCH takes a partial JSON user, not a SCIM PatchOp", "invalidSyntax")
        changes = {k: v for k, v in body.items() if k not in ("schemas", "id", "meta")}
        return {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "value": changes}]}

    def spc(self, request: Request) -> Response:
        config = service_provider_config(self.store.base_url)
        config["patch"] = {"supported": self.settings.patch_format == "patchop"}
        return scim_json(config)

    def schemas(self, request: Request) -> Response:
        found = all_schemas(self.store.base_url)
        body = {
            "schemas": [LIST_SCHEMA],
            "totalResults": len(found),
            "startIndex": 1,
            "itemsPerPage": len(found),
            "Resources": found,
        }
        return scim_json(body)

    def schema(self, request: Request, schema_id: str) -> Response:
        found = schema(schema_id, self.store.base_url)
        if found is None:
            raise not_found(f"Schema {schema_id!r} not found")
        return scim_json(found)


def _object(body: Any, kind: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ScimError(400, f"a {kind} must be a JSON object", "invalidSyntax")
    return body
