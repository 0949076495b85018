"""The Key Vault secrets REST surface a token store needs, as a WSGI app: set, get, list versions.

Authentication follows Key Vault's challenge protocol: a request without a valid bearer token gets
401 with `WWW-Authenticate: Bearer authorization=…, resource=https://vault.azure.net`, which the
SDK answers by fetching a token for that resource and retrying. Errors use Key Vault's JSON shape
`{"error": {"code", "message"}}`.
"""

from __future__ import annotations

import json
import secrets
import threading
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from sandbox.keyvault.constants import (
    SANDBOX_TENANT_ID,
    SANDBOX_VAULT_TOKEN,
    VAULT_RESOURCE,
)
from sandbox.keyvault.vault import SECRET_NAME, Vault

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

CHALLENGE = (
    f'Bearer authorization="https://login.microsoftonline.com/{SANDBOX_TENANT_ID}", '
    f'resource="{VAULT_RESOURCE}"'
)
_ERROR_CODES = {400: "BadParameter", 401: "Unauthorized", 403: "Forbidden", 404: "SecretNotFound"}


def error(status: int, message: str, *, code: str | None = None) -> Response:
    body = {"error": {"code": code or _ERROR_CODES.get(status, "InternalServerError"), "message": message}}
    headers = {"WWW-Authenticate": CHALLENGE} if status == 401 else None
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


def ok(body: Any) -> Response:
    return Response(json.dumps(body), status=200, content_type="application/json")


class KeyVaultApp:
    """Thread-safe. `fail_next(status)` fails the next authenticated requests (403: no RBAC role)."""

    def __init__(self, vault: Vault | None = None, *, tokens: Iterable[str] = (SANDBOX_VAULT_TOKEN,)) -> None:
        self.vault = vault or Vault()
        self._tokens = frozenset(tokens)
        self._lock = threading.Lock()
        self._failures: list[int] = []
        self.requests = 0

    def fail_next(self, status: int, count: int = 1) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    def reset(self) -> None:
        self.vault.reset()
        with self._lock:
            self._failures.clear()
            self.requests = 0

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self.handle(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        with self._lock:
            self.requests += 1
        if not self._authorized(request):  # the SDK's first, bodiless request is always this one
            return error(401, "AKV10000: Request is missing a Bearer or PoP token.")
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            return error(failure, f"injected failure (HTTP {failure})")
        if not request.args.get("api-version"):
            return error(400, "The api-version query parameter is required.")
        parts = request.path.strip("/").split("/")
        if len(parts) < 2 or parts[0] != "secrets":
            return error(404, f"no such operation: {request.method} {request.path}", code="NotFound")
        name = parts[1]
        if not SECRET_NAME.match(name):
            return error(400, f"The secret name {name!r} is invalid.")
        rest = [p for p in parts[2:] if p]
        vault_url = request.host_url.rstrip("/")
        if request.method == "PUT" and not rest:
            return self._set(request, name, vault_url)
        if request.method == "GET" and rest == ["versions"]:
            items = [v.properties(vault_url) for v in self.vault.versions(name)]
            return ok({"value": items, "nextLink": None})
        if request.method == "GET" and len(rest) <= 1:
            found = self.vault.get(name, rest[0] if rest else None)
            if found is None:
                return error(404, f"A secret with (name/id) {name} was not found in this key vault.")
            if not found.enabled:
                return error(403, "Operation get is not allowed on a disabled secret.")
            return ok(found.bundle(vault_url))
        return error(405, f"{request.method} is not supported here", code="MethodNotAllowed")

    def _authorized(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and any(secrets.compare_digest(token, t) for t in self._tokens)

    def _set(self, request: Request, name: str, vault_url: str) -> Response:
        try:
            body = json.loads(request.get_data() or b"null")
        except ValueError:
            return error(400, "The request body is not JSON.")
        if not isinstance(body, dict) or not isinstance(body.get("value"), str):
            return error(400, "The parameter 'value' is required and must be a string.")
        tags = body.get("tags") or {}
        if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
            return error(400, "Tags must map names to strings.")
        attributes = body.get("attributes") or {}
        version = self.vault.set(
            name,
            body["value"],
            content_type=body.get("contentType"),
            tags=tags,
            enabled=bool(attributes.get("enabled", True)),
        )
        return ok(version.bundle(vault_url))
